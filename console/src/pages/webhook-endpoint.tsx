/**
 * One webhook endpoint: what it is, its delivery log (GET …/deliveries: each event of the feed,
 * newest first, with its delivery's status, attempts and last outcome; paged), a redelivery of any
 * event, the rotation of its signing secret (the new one shown once; the old one kept for the
 * service's 24 h or stopped at once), and its removal after a confirmation. The log looks again
 * on its own while a delivery is in flight, so a person watching sees it land.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type {
  PageCursor,
  RotatedWebhookEndpoint,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventType,
} from "../api/client.ts";
import { ApiError, networkError, SELF_SERVICE_ADVICE } from "../api/errors.ts";
import { CheckboxGroup } from "../components/checkbox-group.tsx";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorNotice } from "../components/error-notice.tsx";
import { ListToolbar } from "../components/list-toolbar.tsx";
import { Pager } from "../components/pager.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { Badge } from "../components/status-badge.tsx";
import { TableHead } from "../components/table-head.tsx";
import { relativeTimeLabel, timeLabel } from "../format.ts";
import { useLoad, useNow, usePolling } from "../hooks.ts";
import type { PageContext } from "../sections.tsx";
import {
  DELIVERY_POLL_INTERVAL_MS,
  deliveryChangeLabel,
  deliveryInFlight,
  deliveryStatusOf,
  EVENT_TYPES,
  eventTypesLabel,
  eventTypesProblem,
  orderedEventTypes,
  overlapSecondsOf,
  previousSecretStopped,
  REDELIVER_ADVICE,
  ROTATION_OVERLAPS,
  type RotationOverlap,
  redeliverable,
} from "../webhook-endpoints.ts";

/** Where an action failed, so its error shows beside the control that made it. */
type Action = "types" | "rotate" | "remove" | "redeliver";

/** How often relative times ("2 minutes ago") are brought up to date (ms). */
const RELATIVE_TIME_TICK_MS = 15_000;

/** The log's rows per page. */
const DELIVERIES_PER_PAGE = 10;

/** One endpoint's page (`#/webhooks/<id>`). */
export function WebhookEndpointPage({ context, id }: { context: PageContext; id: string }) {
  const { api, announce, onApiError } = context;
  const heading = useRef<HTMLHeadingElement>(null);
  const endpoint = useLoad(`webhook-endpoint:${id}`, () => api.getWebhookEndpoint(id), onApiError);
  const [cursor, setCursor] = useState<PageCursor>(undefined);
  const log = useLoad(
    `webhook-deliveries:${id}:${JSON.stringify(cursor ?? null)}`,
    () => api.listWebhookDeliveries(id, cursor, DELIVERIES_PER_PAGE),
    onApiError,
  );
  const [dialog, setDialog] = useState<"rotate" | "remove" | undefined>(undefined);
  const [overlap, setOverlap] = useState<RotationOverlap>("default");
  const [rotated, setRotated] = useState<RotatedWebhookEndpoint | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [redelivering, setRedelivering] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<{ action: Action; text: string } | undefined>(undefined);
  const [failure, setFailure] = useState<{ action: Action; title: string; error: ApiError } | undefined>(
    undefined,
  );
  const [removed, setRemoved] = useState(false);

  const current: WebhookEndpoint | undefined = endpoint.data;
  const deliveries = log.data?.data ?? [];
  // No such endpoint of this tenant (an unknown or malformed id in the address, or removed in
  // another tab): nothing below applies, and the log's own refusal would only repeat it.
  const noSuchEndpoint =
    endpoint.error !== undefined && (endpoint.error.code === 33 || endpoint.error.code === 100);

  const now = useNow(RELATIVE_TIME_TICK_MS);
  useEffect(() => heading.current?.focus(), []);
  usePolling(
    !removed && !noSuchEndpoint && deliveries.some((delivery) => deliveryInFlight(delivery, current)),
    DELIVERY_POLL_INTERVAL_MS,
    () => void log.reload(),
  );

  function failed(action: Action, title: string, caught: unknown) {
    const error = caught instanceof ApiError ? caught : networkError(caught);
    onApiError(error);
    setFailure({ action, title, error });
  }

  function start(what: string) {
    setBusy(what);
    setFailure(undefined);
    setNotice(undefined);
  }

  async function saveTypes(types: WebhookEventType[]) {
    start("Saving what the endpoint receives…");
    try {
      const updated = await api.updateWebhookEndpoint(id, { event_types: orderedEventTypes(types) });
      const text = `This endpoint now receives ${eventTypesLabel(updated.event_types)}, from the next change on.`;
      setNotice({ action: "types", text });
      announce(text);
      await endpoint.reload();
      // Which events the endpoint receives (and may have redelivered) changed with its types.
      void log.reload();
    } catch (caught) {
      failed("types", "What the endpoint receives was not changed", caught);
    } finally {
      setBusy(undefined);
    }
  }

  async function rotate(choice: RotationOverlap) {
    start("Rotating the signing secret…");
    try {
      const answer = await api.rotateWebhookEndpointSecret(id, overlapSecondsOf(choice));
      setRotated(answer);
      announce("The endpoint has a new signing secret, shown once: store it now.");
      // The endpoint's facts (when its secret was last rotated) as the service now has them.
      void endpoint.reload();
    } catch (caught) {
      failed("rotate", "The secret was not rotated", caught);
    } finally {
      setBusy(undefined);
    }
  }

  async function remove() {
    start("Removing the endpoint…");
    try {
      await api.deleteWebhookEndpoint(id);
      setRemoved(true);
      setRotated(undefined);
      announce("Endpoint removed: nothing more is sent to it.");
      heading.current?.focus();
    } catch (caught) {
      failed("remove", "The endpoint was not removed", caught);
    } finally {
      setBusy(undefined);
    }
  }

  async function redeliver(eventId: string) {
    setRedelivering(eventId);
    setFailure(undefined);
    setNotice(undefined);
    try {
      await api.redeliverWebhookEvent(id, eventId);
      const text = `Event ${eventId} is being sent again, with the same webhook-id. Its row shows the outcome.`;
      setNotice({ action: "redeliver", text });
      announce(text);
      await log.reload();
    } catch (caught) {
      failed("redeliver", `Event ${eventId} was not sent again`, caught);
      // Refused for what the endpoint is now (its event types changed elsewhere): read it and its
      // log again, so the page offers what the endpoint receives now.
      if (caught instanceof ApiError && caught.status === 400)
        void Promise.all([endpoint.reload(), log.reload()]);
    } finally {
      setRedelivering(undefined);
    }
  }

  // A notice is not a live region: `announce` says it (twice would be read twice).
  const noticeOf = (action: Action) => (
    <>
      {notice?.action === action ? <p class="notice notice-ok">{notice.text}</p> : null}
      {failure?.action === action ? (
        <ErrorNotice
          title={failure.title}
          error={failure.error}
          advice={action === "redeliver" ? REDELIVER_ADVICE : SELF_SERVICE_ADVICE}
        />
      ) : null}
    </>
  );

  return (
    <>
      <p class="breadcrumb">
        <a href="#/webhooks">All webhook endpoints</a>
      </p>
      <h1 ref={heading} tabIndex={-1} class="url-heading">
        {current ? current.url : `Webhook endpoint ${id}`}
      </h1>
      {endpoint.error ? (
        <ErrorNotice
          title="This endpoint could not be loaded"
          error={endpoint.error}
          advice={SELF_SERVICE_ADVICE}
        />
      ) : null}
      {removed ? (
        <div class="notice notice-ok">
          <p>Endpoint removed: nothing more is sent to it, and its pending retries have ended.</p>
          <p>
            <a href="#/webhooks">Back to your endpoints</a>
          </p>
        </div>
      ) : null}
      {current && !removed ? (
        <dl class="facts">
          <div>
            <dt>Description</dt>
            <dd>{current.description ?? <span class="muted">none</span>}</dd>
          </div>
          <div>
            <dt>Added</dt>
            <dd>
              <time dateTime={current.created_time}>{timeLabel(current.created_time)}</time>
            </dd>
          </div>
          <div>
            <dt>Receives</dt>
            <dd class="event-types">{eventTypesLabel(current.event_types)}</dd>
          </div>
          <div>
            <dt>Secret last rotated</dt>
            <dd>
              {current.secret_rotated_time ? (
                <time dateTime={current.secret_rotated_time}>{timeLabel(current.secret_rotated_time)}</time>
              ) : (
                "never"
              )}
            </dd>
          </div>
          {current.previous_secret_expires_time ? (
            <div>
              <dt>Previous secret</dt>
              <dd data-testid="previous-secret">
                still verifies until{" "}
                <time dateTime={current.previous_secret_expires_time}>
                  {timeLabel(current.previous_secret_expires_time)}
                </time>{" "}
                ({relativeTimeLabel(current.previous_secret_expires_time, now)})
              </dd>
            </div>
          ) : null}
          <div>
            <dt>Endpoint id</dt>
            <dd>{current.id}</dd>
          </div>
        </dl>
      ) : null}

      {rotated && !removed ? (
        <SecretOnce
          key={rotated.secret}
          title="New signing secret"
          secret={rotated.secret}
          noun="signing secret"
          onDone={() => {
            setRotated(undefined);
            heading.current?.focus();
          }}
        >
          <p class="previous-secret">
            {previousSecretStopped(rotated) ? (
              "The previous secret stopped at once: from now on deliveries are signed with the new one only."
            ) : (
              <>
                The previous secret still verifies deliveries until{" "}
                <time dateTime={rotated.previous_secret_expires_time}>
                  {timeLabel(rotated.previous_secret_expires_time)}
                </time>{" "}
                ({relativeTimeLabel(rotated.previous_secret_expires_time, now)}): both sign every delivery
                until then.
              </>
            )}
          </p>
        </SecretOnce>
      ) : null}

      <div class="action-status" aria-live="polite">
        {busy ? <p class="loading">{busy}</p> : null}
      </div>

      {!removed && !noSuchEndpoint ? (
        <>
          <section aria-labelledby="types-heading">
            <h2 id="types-heading">What it receives</h2>
            {current ? (
              <EventTypesForm
                key={current.event_types.join(" ")}
                saved={current.event_types}
                busy={busy !== undefined}
                onSave={(types) => void saveTypes(types)}
              />
            ) : null}
            {noticeOf("types")}
          </section>

          <section aria-labelledby="secret-heading">
            <h2 id="secret-heading">Signing secret</h2>
            <p class="hint">
              Rotate it on your schedule, or at once when it may have leaked. The new secret is shown once.
            </p>
            {/* Not `disabled` while busy: a disabled button drops the keyboard focus it has. */}
            <button
              type="button"
              disabled={!current}
              aria-disabled={busy !== undefined}
              onClick={() => {
                if (busy !== undefined) return;
                setOverlap("default");
                setDialog("rotate");
              }}
            >
              Rotate secret…
            </button>
            {noticeOf("rotate")}
          </section>

          <section aria-labelledby="deliveries-heading">
            <h2 id="deliveries-heading">Delivery log</h2>
            <p class="hint">
              Every change of your numbers, newest first, and how its delivery to this endpoint went. Each is
              sent with its event id as <code>webhook-id</code>: a redelivery uses the same one.
            </p>
            <ListToolbar
              list={log}
              loadingText="Loading the delivery log…"
              errorTitle="The delivery log could not be loaded"
              advice={SELF_SERVICE_ADVICE}
            />
            {noticeOf("redeliver")}
            {log.data && deliveries.length === 0 ? (
              <p class="empty">No event yet: a change of a number's username shows here.</p>
            ) : null}
            {deliveries.length > 0 ? (
              <table class="deliveries responsive">
                <TableHead
                  caption="Deliveries to this endpoint, newest event first"
                  columns={["Event", "Status", "Attempts", "Last attempt"]}
                  actions
                />
                <tbody>
                  {deliveries.map((delivery) => (
                    <DeliveryRow
                      key={delivery.event_id}
                      delivery={delivery}
                      endpoint={current}
                      now={now}
                      busy={redelivering !== undefined || busy !== undefined}
                      sending={redelivering === delivery.event_id}
                      onRedeliver={() => void redeliver(delivery.event_id)}
                    />
                  ))}
                </tbody>
              </table>
            ) : null}
            <Pager
              page={log.data}
              noun="events"
              labels={{ previous: "Newer", next: "Older" }}
              disabled={log.loading}
              onPage={setCursor}
            />
          </section>

          <section aria-labelledby="remove-heading">
            <h2 id="remove-heading">Remove this endpoint</h2>
            <p class="hint">Nothing more is sent to it; deliveries waiting for a retry end.</p>
            <button
              type="button"
              class="danger"
              disabled={!current}
              aria-disabled={busy !== undefined}
              onClick={() => {
                if (busy === undefined) setDialog("remove");
              }}
            >
              Remove endpoint…
            </button>
            {noticeOf("remove")}
          </section>
        </>
      ) : null}

      {dialog === "rotate" ? (
        <ConfirmDialog
          title="Rotate the signing secret?"
          confirmLabel="Rotate secret"
          onCancel={() => setDialog(undefined)}
          onConfirm={() => {
            setDialog(undefined);
            void rotate(overlap);
          }}
        >
          <p>The endpoint gets a new secret, shown once; every delivery from now on is signed with it.</p>
          <fieldset class="choices">
            <legend>The old secret</legend>
            {ROTATION_OVERLAPS.map((choice) => (
              <div class="choice" key={choice.value}>
                <input
                  type="radio"
                  id={`overlap-${choice.value}`}
                  name="overlap"
                  value={choice.value}
                  checked={overlap === choice.value}
                  aria-describedby={`overlap-${choice.value}-hint`}
                  onChange={() => setOverlap(choice.value)}
                />
                <label for={`overlap-${choice.value}`}>{choice.label}</label>
                <p id={`overlap-${choice.value}-hint`} class="hint">
                  {choice.hint}
                </p>
              </div>
            ))}
          </fieldset>
        </ConfirmDialog>
      ) : null}
      {dialog === "remove" && current ? (
        <ConfirmDialog
          title="Remove this endpoint?"
          confirmLabel="Remove endpoint"
          danger
          onCancel={() => setDialog(undefined)}
          onConfirm={() => {
            setDialog(undefined);
            void remove();
          }}
        >
          <p>
            Nothing more is sent to <span class="url">{current.url}</span>, and its deliveries waiting for a
            retry end. Your service stops receiving username changes there.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** One event of the log and its delivery, with its redeliver button; relative times against `now`. */
function DeliveryRow({
  delivery,
  endpoint,
  now,
  busy,
  sending,
  onRedeliver,
}: {
  delivery: WebhookDelivery;
  endpoint: WebhookEndpoint | undefined;
  now: number;
  busy: boolean;
  sending: boolean;
  onRedeliver(): void;
}) {
  const status = deliveryStatusOf(delivery, endpoint);
  return (
    <tr data-event-id={delivery.event_id} data-status={delivery.status}>
      <td data-label="Event">
        <time dateTime={delivery.event_created_time}>{timeLabel(delivery.event_created_time)}</time>
        <span class="change" data-testid="delivery-change">
          {deliveryChangeLabel(delivery)}
        </span>
        <span class="muted id">
          {delivery.event_type} · {delivery.event_id}
        </span>
      </td>
      <td data-label="Status">
        <Badge tone={status.tone}>{status.label}</Badge>
        {status.note ? <span class="muted id">{status.note}</span> : null}
        {delivery.status === "pending" && delivery.next_attempt_time ? (
          <span class="muted id">
            next attempt{" "}
            <time dateTime={delivery.next_attempt_time}>
              {relativeTimeLabel(delivery.next_attempt_time, now, "future")}
            </time>
          </span>
        ) : null}
      </td>
      <td data-label="Attempts" class="attempts">
        {delivery.attempts}
      </td>
      <td data-label="Last attempt">
        {delivery.last_attempt_time ? (
          <>
            <span class="outcome">{outcomeOf(delivery)}</span>
            <span class="muted id">
              <time dateTime={delivery.last_attempt_time}>
                {relativeTimeLabel(delivery.last_attempt_time, now, "past")}
              </time>{" "}
              ({timeLabel(delivery.last_attempt_time)})
            </span>
            {delivery.last_response_excerpt ? (
              <span class="muted excerpt">Answer: {delivery.last_response_excerpt}</span>
            ) : null}
          </>
        ) : (
          <span class="muted">none</span>
        )}
      </td>
      <td data-label="">
        {/* The service refuses to redeliver what the endpoint's types do not select now (add its type first). */}
        {redeliverable(delivery, endpoint) ? (
          // Not `disabled` while busy: a disabled button drops the keyboard focus it has.
          <button
            type="button"
            aria-disabled={busy}
            aria-busy={sending}
            onClick={() => {
              if (!busy) onRedeliver();
            }}
          >
            {sending ? "Sending…" : "Redeliver"}
            <span class="visually-hidden"> event {delivery.event_id}</span>
          </button>
        ) : null}
      </td>
    </tr>
  );
}

/**
 * The endpoint's event types as checkboxes, saved with one button. Mounted with the saved types as
 * its `key`, so a save (or a change in another tab, once reloaded) starts it afresh.
 */
function EventTypesForm({
  saved,
  busy,
  onSave,
}: {
  saved: readonly WebhookEventType[];
  busy: boolean;
  onSave(types: WebhookEventType[]): void;
}) {
  const [types, setTypes] = useState<WebhookEventType[]>(() => orderedEventTypes(saved));
  const [checked, setChecked] = useState(false);
  const problem = checked ? eventTypesProblem(types) : undefined;
  const unchanged = orderedEventTypes(saved).join(" ") === types.join(" ");
  return (
    <form
      method="post"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        setChecked(true);
        if (!eventTypesProblem(types) && !unchanged) onSave(types);
      }}
    >
      <CheckboxGroup
        legend="Changes sent to this endpoint"
        idPrefix="endpoint-types"
        options={EVENT_TYPES}
        values={types}
        problem={problem}
        onChange={(next) => {
          setTypes(next);
          setChecked(true);
        }}
      />
      <p class="hint">
        A new choice applies to the changes from then on; those already on their way arrive as chosen.
      </p>
      <div class="actions">
        <button type="submit" disabled={busy || unchanged}>
          Save what it receives
        </button>
      </div>
    </form>
  );
}

/** The last attempt's outcome in a few words: the endpoint's HTTP status, or why there was none. */
function outcomeOf(delivery: WebhookDelivery): string {
  const status = delivery.last_response_status !== undefined ? `HTTP ${delivery.last_response_status}` : "";
  const error = delivery.last_error ?? "";
  if (status && error && error !== status) return `${status}: ${error}`;
  return status || error || "";
}
