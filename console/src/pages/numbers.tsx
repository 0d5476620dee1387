/**
 * The tenant's phone numbers (GET /v1/phone_numbers, paged) with their recorded username, status
 * and last change. Refreshes itself every few seconds while a name is `reserved` (waiting for
 * Meta), and announces every status that changes.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { PageCursor, PhoneNumber } from "../api/client.ts";
import { ListToolbar } from "../components/list-toolbar.tsx";
import { Pager } from "../components/pager.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { TableHead } from "../components/table-head.tsx";
import { phoneLabel, sourceLabel, timeLabel } from "../format.ts";
import { useLoad, usePolling } from "../hooks.ts";
import type { PageContext } from "../sections.tsx";
import { statusChanges } from "../usernames.ts";

/** How often a page with a reserved name asks again (ms). */
export const POLL_INTERVAL_MS = 2_000;

/** The numbers list page (`#/numbers`). */
export function NumbersPage({ context }: { context: PageContext }) {
  const [cursor, setCursor] = useState<PageCursor>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);
  const page = useLoad(
    JSON.stringify(cursor ?? null),
    () => context.api.listPhoneNumbers(cursor),
    context.onApiError,
  );
  const numbers = page.data?.data ?? [];
  const shown = useRef<PhoneNumber[]>([]);
  useEffect(() => {
    if (!page.data) return;
    for (const message of statusChanges(shown.current, page.data.data)) context.announce(message);
    shown.current = page.data.data;
  }, [page.data, context]);
  useEffect(() => heading.current?.focus(), []);
  usePolling(
    numbers.some((n) => n.username_status === "reserved"),
    POLL_INTERVAL_MS,
    () => void page.reload(),
  );

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Phone numbers
      </h1>
      <p class="lead">
        Your business's WhatsApp numbers and their usernames, as last recorded. Open a number to claim, change
        or delete its username and to read its history.
      </p>
      <ListToolbar
        list={page}
        loadingText="Loading phone numbers…"
        errorTitle="The phone numbers could not be loaded"
      />
      {page.data && numbers.length === 0 ? (
        <p class="empty">No phone number is registered to your business yet. Your operator adds them.</p>
      ) : null}
      {numbers.length > 0 ? (
        <table class="numbers responsive">
          <TableHead
            caption="Phone numbers and their usernames"
            columns={["Number", "Username", "Status", "Last change"]}
            actions
          />
          <tbody>
            {numbers.map((number) => (
              <tr key={number.id} data-phone-number-id={number.id}>
                <th scope="row" data-label="Number">
                  <span class="phone">{phoneLabel(number.display_phone_number)}</span>
                  <span class="muted id">id {number.id}</span>
                </th>
                <td data-label="Username" class="username">
                  {number.username ?? <span class="muted">none</span>}
                </td>
                <td data-label="Status">
                  <StatusBadge status={number.username_status} />
                </td>
                <td data-label="Last change">
                  {number.username_updated_time ? (
                    <>
                      <time dateTime={number.username_updated_time}>
                        {timeLabel(number.username_updated_time)}
                      </time>
                      <span class="muted"> · {sourceLabel(number.username_source)}</span>
                    </>
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td data-label="">
                  <a class="button-link" href={`#/numbers/${encodeURIComponent(number.id)}`}>
                    Manage<span class="visually-hidden"> {phoneLabel(number.display_phone_number)}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager page={page.data} noun="numbers" disabled={page.loading} onPage={setCursor} />
    </>
  );
}
