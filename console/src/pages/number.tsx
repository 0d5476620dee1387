/**
 * One phone number: its recorded username and status, the form to claim or change the name (the
 * service's own format rules checked before sending, Meta's suggestions one click away), delete,
 * and its history (GET …/username_history, newest first, paged; who asked for each change named by
 * the key's name from GET /v1/api_keys). A claim Meta answers with 147005 (another number of the
 * portfolio holds the name) offers `force_transfer`, only after a confirmation that names the
 * number losing the name. A number the service does not know shows its refusal, and nothing else.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiKey, PageCursor, PhoneNumber, UsernameChangeData } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { tenantApiKeys } from "../api-keys.ts";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorNotice } from "../components/error-notice.tsx";
import { ListToolbar } from "../components/list-toolbar.tsx";
import { Pager } from "../components/pager.tsx";
import { StatusBadge } from "../components/status-badge.tsx";
import { TableHead } from "../components/table-head.tsx";
import { phoneLabel, sourceLabel, timeLabel } from "../format.ts";
import { useLoad, usePolling } from "../hooks.ts";
import type { PageContext } from "../sections.tsx";
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH } from "../username-rules.ts";
import {
  changeDetails,
  findHolder,
  holderLabel,
  SAME_PORTFOLIO_HOLDER,
  usernameProblem,
} from "../usernames.ts";
import { POLL_INTERVAL_MS } from "./numbers.tsx";

type Confirm = { kind: "transfer"; username: string; holder: PhoneNumber | undefined } | { kind: "delete" };

/** One number's page (`#/numbers/<id>`). */
export function NumberPage({ context, id }: { context: PageContext; id: string }) {
  const { api, announce, onApiError } = context;
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const number = useLoad(`number:${id}`, () => api.getPhoneNumber(id), onApiError);
  const [historyCursor, setHistoryCursor] = useState<PageCursor>(undefined);
  const history = useLoad(
    `history:${id}:${JSON.stringify(historyCursor ?? null)}`,
    () => api.listUsernameHistory(id, historyCursor),
    onApiError,
  );
  // The names of the keys the history's changes were asked for with, once it names one. Its
  // failure only leaves the ids shown: no error of its own (a revoked key signs out through the
  // page's other requests).
  const asksForKeys = history.data?.data.some((event) => event.data.requested_by !== undefined) ?? false;
  const requesters = useLoad<ApiKey[] | undefined>(`requesters:${asksForKeys}`, async () =>
    asksForKeys ? await tenantApiKeys(api) : undefined,
  );
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  // `reserved`: the name a notice says waits for Meta's approval, true only while it still does.
  const [notice, setNotice] = useState<{ text: string; reserved?: string } | undefined>(undefined);
  const [actionError, setActionError] = useState<{ title: string; error: ApiError } | undefined>(undefined);
  const [suggestions, setSuggestions] = useState<string[] | undefined>(undefined);
  const [confirm, setConfirm] = useState<Confirm | undefined>(undefined);
  const shownState = useRef<string | undefined>(undefined);

  const current = number.data;
  const problem = usernameProblem(name.trim());
  const showProblem = touched && name !== "" && problem !== undefined;
  // No such number of this tenant (an unknown or malformed id in the address): nothing below
  // applies, and the history's own refusal would only repeat it.
  const noSuchNumber = number.error !== undefined && (number.error.code === 33 || number.error.code === 100);

  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (!current) return;
    const state = `${current.username ?? ""}|${current.username_status ?? ""}`;
    if (shownState.current !== undefined && shownState.current !== state) {
      announce(
        current.username
          ? `${current.username} is now ${current.username_status ?? "without status"}.`
          : "This number has no username now.",
      );
      // A change Meta made (an approval) also adds to the history: show its newest page.
      if (historyCursor === undefined) void history.reload();
      else setHistoryCursor(undefined);
      setNotice((shown) =>
        shown?.reserved !== undefined &&
        (current.username !== shown.reserved || current.username_status !== "reserved")
          ? undefined
          : shown,
      );
    }
    shownState.current = state;
  }, [current, announce, history, historyCursor]);
  usePolling(current?.username_status === "reserved", POLL_INTERVAL_MS, () => void number.reload());
  // Each action starts afresh: the outcome of the one before (a reservation, a refusal) goes.
  function start(what: string) {
    setBusy(what);
    setActionError(undefined);
    setNotice(undefined);
  }

  const refresh = () => {
    void number.reload();
    if (historyCursor === undefined) void history.reload();
    else setHistoryCursor(undefined);
  };

  function failed(title: string, caught: unknown): ApiError {
    const error = caught instanceof ApiError ? caught : new ApiError({ status: 0, message: String(caught) });
    onApiError(error);
    setActionError({ title, error });
    return error;
  }

  async function claim(username: string, transfer: "none" | "force_transfer") {
    start(transfer === "force_transfer" ? `Moving ${username} to this number…` : `Claiming ${username}…`);
    try {
      const answer = await api.claimUsername(id, username, transfer);
      const reserved = answer.status !== "approved";
      const message = reserved
        ? `Meta reserved ${username} for this number. It becomes visible once Meta approves it; this page shows the change when it happens.`
        : `Meta approved ${username} for this number.`;
      setNotice(reserved ? { text: message, reserved: username } : { text: message });
      announce(message);
      setSuggestions(undefined);
      refresh();
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === SAME_PORTFOLIO_HOLDER && transfer === "none") {
        setBusy("Finding the number that holds the name…");
        const holder = await findHolder(api, username, id).catch(() => undefined);
        setConfirm({ kind: "transfer", username, holder });
      } else {
        failed(
          transfer === "force_transfer" ? "Moving the username failed" : "Claiming the username failed",
          caught,
        );
      }
    } finally {
      setBusy(undefined);
    }
  }

  async function remove() {
    start("Deleting the username…");
    try {
      const removed = await api.deleteUsername(id);
      const message = removed
        ? "Meta deleted the username of this number."
        : "Meta had no username to delete.";
      setNotice({ text: message });
      announce(message);
      // The delete button, which has the focus, is disabled with no name left to delete: the
      // focus goes to what happened, once it is on the page.
      setTimeout(() => noticeRef.current?.focus(), 0);
      refresh();
    } catch (caught) {
      failed("Deleting the username failed", caught);
    } finally {
      setBusy(undefined);
    }
  }

  async function suggest() {
    start("Asking Meta for suggestions…");
    try {
      const names = await api.usernameSuggestions(id);
      setSuggestions(names);
      announce(names.length > 0 ? `Meta suggests ${names.length} names.` : "Meta has no suggestion.");
    } catch (caught) {
      failed("Meta's suggestions could not be loaded", caught);
    } finally {
      setBusy(undefined);
    }
  }

  const title = current ? phoneLabel(current.display_phone_number) : `Phone number ${id}`;
  return (
    <>
      <p class="breadcrumb">
        <a href="#/numbers">All phone numbers</a>
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {current || noSuchNumber ? (
        number.error ? (
          <ErrorNotice title="This phone number could not be loaded" error={number.error} />
        ) : null
      ) : (
        // Until the number is loaded nothing acts on it: the page says it loads, or why it could
        // not, with Refresh.
        <ListToolbar
          list={number}
          loadingText="Loading the phone number…"
          errorTitle="This phone number could not be loaded"
          onRefresh={refresh}
          refreshDisabled={number.loading || history.loading}
        />
      )}
      {current ? (
        <dl class="facts">
          <div>
            <dt>Username</dt>
            <dd class="current-username">{current.username ?? <span class="muted">none</span>}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd class="current-status">
              <StatusBadge status={current.username_status} />
              {current.username_status === "reserved" ? (
                <span class="muted"> waiting for Meta's approval</span>
              ) : null}
            </dd>
          </div>
          <div>
            <dt>Last change</dt>
            <dd>
              {current.username_updated_time
                ? `${timeLabel(current.username_updated_time)} · ${sourceLabel(current.username_source)}`
                : "never"}
            </dd>
          </div>
          <div>
            <dt>Phone number id</dt>
            <dd>{current.id}</dd>
          </div>
          <div>
            <dt>WhatsApp Business Account</dt>
            <dd>{current.waba_id}</dd>
          </div>
          <div>
            <dt>Business portfolio</dt>
            <dd>{current.business_id}</dd>
          </div>
        </dl>
      ) : null}

      {!current || noSuchNumber ? null : (
        <>
          <section aria-labelledby="claim-heading">
            <h2 id="claim-heading">Claim or change the username</h2>
            <form
              method="post"
              noValidate
              onSubmit={(event) => {
                event.preventDefault();
                if (busy !== undefined) return;
                // A new attempt: the last one's outcome is no longer what the page says.
                setNotice(undefined);
                setActionError(undefined);
                setTouched(true);
                const wanted = name.trim();
                if (wanted === "" || problem) {
                  input.current?.focus();
                  return;
                }
                void claim(wanted, "none");
              }}
            >
              <label for="username-input">New username</label>
              <input
                id="username-input"
                ref={input}
                type="text"
                value={name}
                autoComplete="off"
                autoCapitalize="none"
                spellcheck={false}
                maxLength={USERNAME_MAX_LENGTH + 20}
                aria-invalid={showProblem || (touched && name.trim() === "")}
                aria-describedby="username-rules username-problem"
                onInput={(event) => setName(event.currentTarget.value)}
                onBlur={() => name !== "" && setTouched(true)}
              />
              <p id="username-rules" class="hint">
                {USERNAME_MIN_LENGTH} to {USERNAME_MAX_LENGTH} characters: English letters, digits, periods
                and underscores, with at least one letter. No period at the start, the end or twice in a row;
                not starting with www or ending in a domain such as .com.
              </p>
              <p id="username-problem" class="field-error">
                {showProblem ? problem : touched && name.trim() === "" ? "Enter a username." : ""}
              </p>
              <div class="actions">
                {/* Not `disabled` while busy: a disabled button drops the keyboard focus it has. */}
                <button type="submit" class="primary" aria-disabled={busy !== undefined}>
                  Claim username
                </button>
                <button
                  type="button"
                  aria-disabled={busy !== undefined}
                  onClick={() => {
                    if (busy === undefined) void suggest();
                  }}
                >
                  Suggest names
                </button>
              </div>
            </form>
            {suggestions ? (
              suggestions.length > 0 ? (
                <div class="suggestions">
                  <h3 id="suggestions-heading">Meta's suggestions</h3>
                  <ul class="suggestion-list" aria-labelledby="suggestions-heading">
                    {suggestions.map((suggestion) => (
                      <li key={suggestion}>
                        <button
                          type="button"
                          class="chip"
                          onClick={() => {
                            setName(suggestion);
                            setTouched(true);
                            input.current?.focus();
                          }}
                        >
                          Use {suggestion}
                        </button>
                      </li>
                    ))}
                  </ul>
                </div>
              ) : (
                <p class="muted">Meta has no suggestion for this number.</p>
              )
            ) : null}
          </section>

          <div class="action-status" aria-live="polite">
            {busy ? <p class="loading">{busy}</p> : null}
          </div>
          {/* Not a live region: `announce` says it (twice would be read twice). */}
          {notice ? (
            <p class="notice notice-ok" ref={noticeRef} tabIndex={-1}>
              {notice.text}
            </p>
          ) : null}
          {actionError ? <ErrorNotice title={actionError.title} error={actionError.error} /> : null}

          <section aria-labelledby="delete-heading">
            <h2 id="delete-heading">Delete the username</h2>
            <p class="hint">Customers can no longer find the number by its username once it is deleted.</p>
            <button
              type="button"
              class="danger"
              disabled={!current?.username}
              aria-disabled={busy !== undefined}
              onClick={() => {
                if (busy === undefined) setConfirm({ kind: "delete" });
              }}
            >
              Delete username…
            </button>
          </section>

          <section aria-labelledby="history-heading">
            <h2 id="history-heading">History</h2>
            {/* Refresh loads the number too: disabled while either loads. */}
            <ListToolbar
              list={history}
              loadingText="Loading the history…"
              errorTitle="The history could not be loaded"
              onRefresh={refresh}
              refreshDisabled={number.loading || history.loading}
            />
            {history.data && history.data.data.length === 0 ? (
              <p class="empty">No change recorded yet.</p>
            ) : null}
            {history.data && history.data.data.length > 0 ? (
              <table class="history responsive">
                <TableHead
                  caption="Username changes of this number, newest first"
                  columns={["When", "Change", "Status", "Source", "Details"]}
                />
                <tbody>
                  {history.data.data.map((event) => {
                    const data = event.data as UsernameChangeData;
                    return (
                      <tr key={event.id} data-event-id={event.id}>
                        <td data-label="When">
                          <time dateTime={event.created_time}>{timeLabel(event.created_time)}</time>
                        </td>
                        <td data-label="Change">
                          {data.previous.username ?? "none"} → {data.username ?? "none"}
                        </td>
                        <td data-label="Status">
                          <StatusBadge status={data.status} />
                        </td>
                        <td data-label="Source" class="source" data-source={data.source}>
                          {sourceLabel(data.source)}
                        </td>
                        <td data-label="Details">
                          <ChangeDetails data={data} keys={requesters.data} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : null}
            <Pager
              page={history.data}
              noun="changes"
              labels={{ previous: "Newer", next: "Older" }}
              disabled={history.loading}
              onPage={setHistoryCursor}
            />
          </section>
        </>
      )}

      {confirm?.kind === "transfer" ? (
        <ConfirmDialog
          title={`Move ${confirm.username} to this number?`}
          confirmLabel={`Move ${confirm.username} here`}
          danger
          onCancel={() => {
            setConfirm(undefined);
            const message = `${confirm.username} was not moved.`;
            setNotice({ text: message });
            announce(message);
          }}
          onConfirm={() => {
            const { username } = confirm;
            setConfirm(undefined);
            void claim(username, "force_transfer");
          }}
        >
          <p>
            {holderLabel(confirm.holder)} holds {confirm.username} now. Moving it here (Meta's force transfer)
            takes it away from that number at once.
          </p>
        </ConfirmDialog>
      ) : null}
      {confirm?.kind === "delete" && current?.username ? (
        <ConfirmDialog
          title={`Delete ${current.username}?`}
          confirmLabel="Delete the username"
          danger
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            setConfirm(undefined);
            void remove();
          }}
        >
          <p>
            {phoneLabel(current.display_phone_number)} loses the username {current.username}. Another business
            may claim it afterwards.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/**
 * Who made a change and what else it says: its origin in words, the key that asked for it (by its
 * name, when `keys` knows it), Meta's context, transfers.
 */
function ChangeDetails({ data, keys }: { data: UsernameChangeData; keys: readonly ApiKey[] | undefined }) {
  const rows = changeDetails(data, keys);
  return (
    <ul class="details">
      {rows.map(([label, value]) => (
        <li key={label}>
          <span class="muted">{label}:</span> {value}
        </li>
      ))}
    </ul>
  );
}
