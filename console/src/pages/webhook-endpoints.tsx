/**
 * The tenant's webhook endpoints (GET /v1/webhook_endpoints, oldest first, paged) and the form
 * that adds one (POST /v1/webhook_endpoints). The new endpoint's signing secret is shown once,
 * with a copy button, until the person says it is stored or leaves the page. Each endpoint opens
 * its own page (webhook-endpoint.tsx): the delivery log, rotation, removal.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { CreatedWebhookEndpoint, PageCursor } from "../api/client.ts";
import { ApiError, networkError, SELF_SERVICE_ADVICE } from "../api/errors.ts";
import { CheckboxGroup } from "../components/checkbox-group.tsx";
import { ErrorNotice } from "../components/error-notice.tsx";
import { ListToolbar } from "../components/list-toolbar.tsx";
import { Pager } from "../components/pager.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { TableHead } from "../components/table-head.tsx";
import { timeLabel } from "../format.ts";
import { useLoad } from "../hooks.ts";
import type { PageContext } from "../sections.tsx";
import {
  EMPTY_ENDPOINT_DRAFT,
  ENDPOINT_DESCRIPTION_MAX_LENGTH,
  type EndpointDraft,
  EVENT_TYPES,
  endpointDraftProblems,
  eventTypesLabel,
  newEndpointOf,
} from "../webhook-endpoints.ts";

/** What code 100 means on the form: the service named a rule the URL or description broke. */
const ADD_ADVICE = {
  ...SELF_SERVICE_ADVICE,
  codes: {
    ...SELF_SERVICE_ADVICE.codes,
    100: "The service refused the endpoint: the message above names the field and the rule (a URL must be https to a public host; at most 10 endpoints). Correct it, or remove an endpoint you no longer use, then try again.",
  },
};

/** A label for an endpoint in buttons' and links' names: its description, else its URL. */
export function endpointName(endpoint: { url: string; description?: string | undefined }): string {
  return endpoint.description ?? endpoint.url;
}

/** The endpoints page (`#/webhooks`). */
export function WebhookEndpointsPage({ context }: { context: PageContext }) {
  const { api, announce, onApiError } = context;
  const heading = useRef<HTMLHeadingElement>(null);
  const [cursor, setCursor] = useState<PageCursor>(undefined);
  const list = useLoad(
    `webhook-endpoints:${JSON.stringify(cursor ?? null)}`,
    () => api.listWebhookEndpoints(cursor),
    onApiError,
  );
  const [created, setCreated] = useState<CreatedWebhookEndpoint | undefined>(undefined);
  const endpoints = list.data?.data ?? [];

  useEffect(() => heading.current?.focus(), []);

  async function add(draft: EndpointDraft): Promise<ApiError | undefined> {
    try {
      const endpoint = await api.createWebhookEndpoint(newEndpointOf(draft));
      setCreated(endpoint);
      announce(`Endpoint ${endpointName(endpoint)} added. Its signing secret is shown once: store it now.`);
      void list.reload();
      return undefined;
    } catch (caught) {
      const error = caught instanceof ApiError ? caught : networkError(caught);
      onApiError(error);
      return error;
    }
  }

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        Webhook endpoints
      </h1>
      <p class="lead">
        Every change of your numbers' usernames is sent to each endpoint as an HTTP POST, signed per Standard
        Webhooks with the endpoint's own secret and retried for more than a day until your service answers
        2xx. Open an endpoint for its delivery log, to rotate its secret or to remove it.
      </p>

      {created ? (
        <SecretOnce
          key={created.secret}
          title="Signing secret of the new endpoint"
          secret={created.secret}
          noun="signing secret"
          onDone={() => {
            setCreated(undefined);
            heading.current?.focus();
          }}
        >
          <p>
            Verify each delivery's <code>webhook-signature</code> header with it (any Standard Webhooks
            library), for <span class="url">{created.url}</span>.{" "}
            <a href={`#/webhooks/${encodeURIComponent(created.id)}`}>Open the endpoint's delivery log</a>
          </p>
        </SecretOnce>
      ) : null}

      <section aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading">Your endpoints</h2>
        <ListToolbar
          list={list}
          loadingText="Loading the endpoints…"
          errorTitle="The endpoints could not be loaded"
          advice={SELF_SERVICE_ADVICE}
        />
        {list.data && endpoints.length === 0 ? (
          <p class="empty">No endpoint yet: add one below to receive your numbers' username changes.</p>
        ) : null}
        {endpoints.length > 0 ? (
          <table class="endpoints responsive">
            <TableHead
              caption="Webhook endpoints, oldest first"
              columns={["Endpoint", "Receives", "Added", "Secret"]}
              actions
            />
            <tbody>
              {endpoints.map((endpoint) => (
                <tr key={endpoint.id} data-endpoint-id={endpoint.id}>
                  <th scope="row" data-label="Endpoint">
                    <span class="url">{endpoint.url}</span>
                    {endpoint.description ? (
                      <span class="muted description">{endpoint.description}</span>
                    ) : null}
                  </th>
                  <td
                    data-label="Receives"
                    class="event-types"
                    data-event-types={endpoint.event_types.join(" ")}
                  >
                    {eventTypesLabel(endpoint.event_types)}
                  </td>
                  <td data-label="Added">
                    <time dateTime={endpoint.created_time}>{timeLabel(endpoint.created_time)}</time>
                  </td>
                  <td data-label="Secret">
                    {endpoint.secret_rotated_time ? (
                      <>
                        rotated{" "}
                        <time dateTime={endpoint.secret_rotated_time}>
                          {timeLabel(endpoint.secret_rotated_time)}
                        </time>
                      </>
                    ) : (
                      <span class="muted">never rotated</span>
                    )}
                  </td>
                  <td data-label="">
                    <a class="button-link" href={`#/webhooks/${encodeURIComponent(endpoint.id)}`}>
                      Manage<span class="visually-hidden"> {endpointName(endpoint)}</span>
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <Pager page={list.data} noun="endpoints" disabled={list.loading} onPage={setCursor} />
      </section>

      <section aria-labelledby="add-endpoint-heading">
        <h2 id="add-endpoint-heading">Add an endpoint</h2>
        <EndpointForm onAdd={add} />
      </section>
    </>
  );
}

/**
 * The "Add an endpoint" form over one `EndpointDraft` (webhook-endpoints.ts): checked before
 * sending, the service's refusal shown under it. A field the contract adds is one more input here.
 */
function EndpointForm({ onAdd }: { onAdd(draft: EndpointDraft): Promise<ApiError | undefined> }) {
  const [draft, setDraft] = useState<EndpointDraft>(EMPTY_ENDPOINT_DRAFT);
  const [checked, setChecked] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const urlInput = useRef<HTMLInputElement>(null);
  const descriptionInput = useRef<HTMLInputElement>(null);
  const problems = checked ? endpointDraftProblems(draft) : {};
  const edit = (field: "url" | "description") => (event: { currentTarget: HTMLInputElement }) =>
    setDraft((previous) => ({ ...previous, [field]: event.currentTarget.value }));

  async function submit(event: Event) {
    event.preventDefault();
    setChecked(true);
    setError(undefined);
    const found = endpointDraftProblems(draft);
    if (found.url) return urlInput.current?.focus();
    if (found.description) return descriptionInput.current?.focus();
    if (found.eventTypes) return document.getElementById("new-endpoint-types-username-updated")?.focus();
    setBusy(true);
    const refused = await onAdd(draft);
    setBusy(false);
    if (refused) {
      setError(refused);
      // The refusal names a field: back to the form, where the person corrects it.
      urlInput.current?.focus();
    } else {
      setDraft(EMPTY_ENDPOINT_DRAFT);
      setChecked(false);
    }
  }

  return (
    <>
      <form method="post" noValidate onSubmit={submit}>
        <label for="endpoint-url">URL</label>
        <input
          id="endpoint-url"
          ref={urlInput}
          type="url"
          inputMode="url"
          value={draft.url}
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          placeholder="https://hooks.example.com/whatsapp-usernames"
          aria-invalid={problems.url !== undefined}
          aria-describedby="endpoint-url-hint endpoint-url-problem"
          onInput={edit("url")}
        />
        <p id="endpoint-url-hint" class="hint">
          https, to a host name or a public address; no user name, password or #fragment. Redirects are not
          followed. A local development stack (npm start) also takes http to localhost or 127.0.0.1, for a
          receiver on your machine.
        </p>
        <p id="endpoint-url-problem" class="field-error">
          {problems.url ?? ""}
        </p>

        <label for="endpoint-description">
          Description <span class="muted">(optional)</span>
        </label>
        <input
          id="endpoint-description"
          ref={descriptionInput}
          type="text"
          value={draft.description}
          autoComplete="off"
          maxLength={ENDPOINT_DESCRIPTION_MAX_LENGTH + 20}
          aria-invalid={problems.description !== undefined}
          aria-describedby="endpoint-description-hint endpoint-description-problem"
          onInput={edit("description")}
        />
        <p id="endpoint-description-hint" class="hint">
          A note for your team, e.g. which service receives it (at most {ENDPOINT_DESCRIPTION_MAX_LENGTH}{" "}
          characters).
        </p>
        <p id="endpoint-description-problem" class="field-error">
          {problems.description ?? ""}
        </p>

        <CheckboxGroup
          legend="What it receives"
          idPrefix="new-endpoint-types"
          options={EVENT_TYPES}
          values={draft.eventTypes}
          problem={problems.eventTypes}
          onChange={(eventTypes) => setDraft((previous) => ({ ...previous, eventTypes }))}
        />

        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Adding the endpoint…" : "Add endpoint"}
          </button>
        </div>
      </form>
      {error ? <ErrorNotice title="The endpoint was not added" error={error} advice={ADD_ADVICE} /> : null}
    </>
  );
}
