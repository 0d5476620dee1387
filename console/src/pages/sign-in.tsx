/**
 * Sign in by pasting an API key. The key is checked for its format, then with one read of the
 * tenant API (the first phone number): a key the service refuses is never kept. The form has no
 * field name and posts nowhere (the Content-Security-Policy's `form-action 'none'`), so even
 * without its script the key cannot end up in a URL.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type ConsoleApi, createConsoleApi } from "../api/client.ts";
import { ApiError } from "../api/errors.ts";
import { ErrorNotice } from "../components/error-notice.tsx";
import { API_KEY_PATTERN } from "../session.ts";

export interface SignInProps {
  /** Why the last session ended, when it did not end by signing out (a revoked key). */
  reason?: string | undefined;
  onSignedIn(key: string, api: ConsoleApi): void;
  /** For tests: how the key is tried. */
  makeApi?: (key: string) => ConsoleApi;
}

/** The sign-in page: calls `onSignedIn` with a key the service accepted, and its client. */
export function SignIn({ reason, onSignedIn, makeApi = (key) => createConsoleApi(key) }: SignInProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [checking, setChecking] = useState(false);

  useEffect(() => heading.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    const key = input.current?.value.trim() ?? "";
    setError(undefined);
    if (!API_KEY_PATTERN.test(key)) {
      setProblem("An API key is wau_ followed by 32 letters, digits, - or _. Paste the whole key.");
      input.current?.focus();
      return;
    }
    setProblem(undefined);
    setChecking(true);
    const api = makeApi(key);
    try {
      await api.listPhoneNumbers(undefined, 1);
      if (input.current) input.current.value = "";
      onSignedIn(key, api);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError({ status: 0, message: String(caught) }));
      setChecking(false);
      input.current?.focus();
    }
  }

  return (
    <div class="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Sign in
      </h1>
      <p class="lead">
        Paste an API key of your business (it starts with <code>wau_</code>). The console keeps it in this
        browser tab only: closing the tab or signing out forgets it.
      </p>
      {reason ? (
        <p class="notice notice-warn" role="status">
          {reason}
        </p>
      ) : null}
      <form method="post" noValidate onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          ref={input}
          type="password"
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          aria-invalid={problem !== undefined || error !== undefined}
          aria-describedby="api-key-problem"
        />
        <p id="api-key-problem" class="field-error">
          {problem ?? ""}
        </p>
        <div class="actions">
          <button type="submit" class="primary" disabled={checking}>
            {checking ? "Checking the key…" : "Sign in"}
          </button>
        </div>
      </form>
      {error ? (
        <ErrorNotice
          title={error.code === 190 ? "This API key was not accepted" : "Signing in failed"}
          error={error}
        />
      ) : null}
    </div>
  );
}
