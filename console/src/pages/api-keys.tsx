/**
 * The tenant's API keys (GET /v1/api_keys: name, created, last used, status; never a key), a new
 * key (POST /v1/api_keys, the key shown once with a copy button) and revocation after a
 * confirmation (DELETE /v1/api_keys/{id}). The service never revokes the tenant's last active key:
 * its refusal is shown as it says it, with what to do. Revoking the key this tab is signed in with
 * signs out, saying so.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiKey, CreatedApiKey, PageCursor } from "../api/client.ts";
import { ApiError, networkError, SELF_SERVICE_ADVICE } from "../api/errors.ts";
import { API_KEY_NAME_MAX_LENGTH, apiKeyLabel, apiKeyNameProblem } from "../api-keys.ts";
import { ConfirmDialog } from "../components/confirm-dialog.tsx";
import { ErrorNotice } from "../components/error-notice.tsx";
import { ListToolbar } from "../components/list-toolbar.tsx";
import { Pager } from "../components/pager.tsx";
import { SecretOnce } from "../components/secret-once.tsx";
import { Badge } from "../components/status-badge.tsx";
import { TableHead } from "../components/table-head.tsx";
import { relativeTimeLabel, timeLabel } from "../format.ts";
import { useLoad, useNow } from "../hooks.ts";
import type { PageContext } from "../sections.tsx";

/** What the service's code 100 means here: the last active key, or a refused name. */
const REVOKE_ADVICE = {
  ...SELF_SERVICE_ADVICE,
  codes: {
    ...SELF_SERVICE_ADVICE.codes,
    100: "Your business always keeps one active key. Create another key first, then revoke this one (and sign in with the new key, if this is the one you are signed in with).",
  },
};
const CREATE_ADVICE = {
  ...SELF_SERVICE_ADVICE,
  codes: {
    ...SELF_SERVICE_ADVICE.codes,
    100: "The service refused the key: the message above says why (a name of 1 to 100 printable characters; at most 20 active keys). Correct the name, or revoke a key you no longer use, then try again.",
  },
};

/** Why the console signed out after a revocation that answered 401 code 190 for its own key. */
export const REVOKED_OWN_KEY =
  "You revoked the API key this tab was signed in with, so the console signed out. Sign in with another key of your business.";

/** The API keys page (`#/api-keys`). */
export function ApiKeysPage({ context }: { context: PageContext }) {
  const { api, announce, onApiError, signOut } = context;
  const heading = useRef<HTMLHeadingElement>(null);
  const nameInput = useRef<HTMLInputElement>(null);
  const keysHeading = useRef<HTMLHeadingElement>(null);
  const [cursor, setCursor] = useState<PageCursor>(undefined);
  const list = useLoad(
    `api-keys:${JSON.stringify(cursor ?? null)}`,
    () => api.listApiKeys(cursor),
    onApiError,
  );
  const [name, setName] = useState("");
  const [checked, setChecked] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | undefined>(undefined);
  const [confirm, setConfirm] = useState<ApiKey | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [failure, setFailure] = useState<
    { action: "create" | "revoke"; title: string; error: ApiError } | undefined
  >(undefined);
  const keys = list.data?.data ?? [];
  const problem = checked ? apiKeyNameProblem(name) : undefined;
  // "Last used 3 minutes ago" stays true on a page left open.
  const now = useNow(30_000);

  useEffect(() => heading.current?.focus(), []);

  function failed(action: "create" | "revoke", title: string, caught: unknown) {
    const error = caught instanceof ApiError ? caught : networkError(caught);
    onApiError(error);
    setFailure({ action, title, error });
  }

  async function create(event: Event) {
    event.preventDefault();
    setChecked(true);
    if (apiKeyNameProblem(name)) return nameInput.current?.focus();
    setBusy("Creating the key…");
    setFailure(undefined);
    setNotice(undefined);
    try {
      const trimmed = name.trim();
      const key = await api.createApiKey(trimmed === "" ? undefined : trimmed);
      setCreated(key);
      setName("");
      setChecked(false);
      announce("New API key created. It is shown once: store it now.");
      void list.reload();
    } catch (caught) {
      failed("create", "The key was not created", caught);
      nameInput.current?.focus();
    } finally {
      setBusy(undefined);
    }
  }

  async function revoke(key: ApiKey) {
    setBusy(`Revoking ${apiKeyLabel(key)}…`);
    setFailure(undefined);
    setNotice(undefined);
    try {
      await api.revokeApiKey(key.id);
    } catch (caught) {
      // The focus stays on the key's button, still there: the refusal is announced as an alert.
      failed("revoke", `${apiKeyLabel(key)} was not revoked`, caught);
      setBusy(undefined);
      return;
    }
    // The service marks the key this tab's requests are made with (`current`): revoking it ends
    // this tab's access, so the console signs out at once rather than at its next refusal.
    if (key.current) {
      signOut(REVOKED_OWN_KEY);
      return;
    }
    const text = `${apiKeyLabel(key)} is revoked: the service refuses it from now on (every part of it within a minute).`;
    // The panel of a key just created says it works: revoked, it no longer does.
    setCreated((shown) => (shown?.id === key.id ? undefined : shown));
    setNotice(text);
    announce(text);
    setBusy(undefined);
    // The row's button is gone with the key's activity: the focus goes to the list it was in.
    keysHeading.current?.focus();
    void list.reload();
  }

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        API keys
      </h1>
      <p class="lead">
        The keys your business calls this service with, and signs in to this console with. A key is shown
        once, when it is created; revoke one you no longer use or that may have leaked.
      </p>

      {created ? (
        <SecretOnce
          key={created.key}
          title={`New API key${created.name ? `: ${created.name}` : ""}`}
          secret={created.key}
          noun="API key"
          onDone={() => {
            setCreated(undefined);
            heading.current?.focus();
          }}
        >
          <p>
            It works at once: send it as the <code>X-API-Key</code> header, or sign in to this console with
            it. Its id is {created.id}.
          </p>
        </SecretOnce>
      ) : null}

      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading" ref={keysHeading} tabIndex={-1}>
          Your keys
        </h2>
        <ListToolbar
          list={list}
          loadingText="Loading the keys…"
          errorTitle="The API keys could not be loaded"
          advice={SELF_SERVICE_ADVICE}
        />
        <div class="action-status" aria-live="polite">
          {busy ? <p class="loading">{busy}</p> : null}
        </div>
        {/* Not a live region: `announce` says it (twice would be read twice). */}
        {notice ? <p class="notice notice-ok">{notice}</p> : null}
        {failure?.action === "revoke" ? (
          <ErrorNotice title={failure.title} error={failure.error} advice={REVOKE_ADVICE} />
        ) : null}
        {keys.length > 0 ? (
          <table class="api-keys responsive">
            <TableHead
              caption="API keys of your business, by id"
              columns={["Key", "Created", "Last used", "Status"]}
              actions
            />
            <tbody>
              {keys.map((key) => (
                <tr key={key.id} data-key-id={key.id} data-status={key.status}>
                  <th scope="row" data-label="Key">
                    <span class="key-name">{key.name ?? <span class="muted">no name</span>}</span>
                    <span class="muted id">{key.id}</span>
                    {key.current ? <span class="current-key">this tab is signed in with it</span> : null}
                  </th>
                  <td data-label="Created">
                    <time dateTime={key.created_time}>{timeLabel(key.created_time)}</time>
                  </td>
                  <td data-label="Last used">
                    {key.last_used_time ? (
                      <>
                        <time dateTime={key.last_used_time}>
                          {relativeTimeLabel(key.last_used_time, now, "past")}
                        </time>
                        <span class="muted id">{timeLabel(key.last_used_time)}</span>
                      </>
                    ) : (
                      <span class="muted">not recorded</span>
                    )}
                  </td>
                  <td data-label="Status">
                    <Badge tone={key.status === "active" ? "ok" : "neutral"}>{key.status}</Badge>
                    {key.revoked_time ? (
                      <span class="muted id">
                        <time dateTime={key.revoked_time}>{timeLabel(key.revoked_time)}</time>
                      </span>
                    ) : null}
                  </td>
                  <td data-label="">
                    {key.status === "active" ? (
                      // Not `disabled` while busy: a disabled button drops the keyboard focus it has.
                      <button
                        type="button"
                        class="danger"
                        aria-disabled={busy !== undefined}
                        onClick={() => {
                          if (busy === undefined) setConfirm(key);
                        }}
                      >
                        Revoke…<span class="visually-hidden"> {apiKeyLabel(key)}</span>
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <p class="hint">
          When a key was last used is recorded at most once every 5 minutes, so it may be a few minutes
          behind.
        </p>
        <Pager page={list.data} noun="keys" disabled={list.loading} onPage={setCursor} />
      </section>

      <section aria-labelledby="create-key-heading">
        <h2 id="create-key-heading">Create a key</h2>
        <form method="post" noValidate onSubmit={create}>
          <label for="api-key-name">
            Name <span class="muted">(optional)</span>
          </label>
          <input
            id="api-key-name"
            ref={nameInput}
            type="text"
            value={name}
            autoComplete="off"
            maxLength={API_KEY_NAME_MAX_LENGTH + 20}
            aria-invalid={problem !== undefined}
            aria-describedby="api-key-name-hint api-key-name-problem"
            onInput={(event) => setName(event.currentTarget.value)}
          />
          <p id="api-key-name-hint" class="hint">
            What uses it, so you know which to revoke later, e.g. "billing service" (at most{" "}
            {API_KEY_NAME_MAX_LENGTH} characters).
          </p>
          <p id="api-key-name-problem" class="field-error">
            {problem ?? ""}
          </p>
          <div class="actions">
            <button type="submit" class="primary" disabled={busy !== undefined}>
              Create key
            </button>
          </div>
        </form>
        {failure?.action === "create" ? (
          <ErrorNotice title={failure.title} error={failure.error} advice={CREATE_ADVICE} />
        ) : null}
      </section>

      {confirm ? (
        <ConfirmDialog
          title={`Revoke ${confirm.name ?? confirm.id}?`}
          confirmLabel="Revoke key"
          danger
          onCancel={() => setConfirm(undefined)}
          onConfirm={() => {
            const key = confirm;
            setConfirm(undefined);
            void revoke(key);
          }}
          returnFocus={() => keysHeading.current}
        >
          <p>
            Everything that calls the service with {apiKeyLabel(confirm)} is refused from now on (within a
            minute everywhere). It cannot be undone.
          </p>
          {confirm.current ? (
            <p class="notice notice-warn">
              This tab is signed in with this key: the console signs out once it is revoked. Sign in again
              with another active key of your business.
            </p>
          ) : null}
        </ConfirmDialog>
      ) : null}
    </>
  );
}
