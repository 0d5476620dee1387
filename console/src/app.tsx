/**
 * The console's shell: signed out, the sign-in page; signed in, a header with the sections'
 * navigation (sections.tsx) and sign out, the current section's page, and one polite live region
 * that announces completed actions and status changes to screen readers.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type ConsoleApi, createConsoleApi } from "./api/client.ts";
import type { ApiError } from "./api/errors.ts";
import { SignIn } from "./pages/sign-in.tsx";
import { parseRoute } from "./routes.ts";
import { type PageContext, SECTIONS } from "./sections.tsx";
import { type KeyStore, tabKeyStore } from "./session.ts";

export interface AppProps {
  /** Where the key is kept (default: this tab's memory and sessionStorage). */
  keys?: KeyStore;
}

function useHash(): string {
  const [hash, setHash] = useState(() => globalThis.location?.hash ?? "");
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return hash;
}

/** The whole console: the sign-in page, or the signed-in shell around the current section's page. */
export function App({ keys }: AppProps) {
  const store = useMemo(() => keys ?? tabKeyStore(), [keys]);
  const [api, setApi] = useState<ConsoleApi | undefined>(() => {
    const key = store.get();
    return key ? createConsoleApi(key) : undefined;
  });
  const [signedOutReason, setSignedOutReason] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState("");
  const hash = useHash();
  const route = parseRoute(
    hash,
    SECTIONS.map((s) => s.id),
  );
  const main = useRef<HTMLElement>(null);

  const announce = useCallback((message: string) => {
    // The same sentence twice is still announced: clear, then set on the next frame.
    setAnnouncement("");
    requestAnimationFrame(() => setAnnouncement(message));
  }, []);

  const signOut = useCallback(
    (reason?: string) => {
      store.clear();
      setApi(undefined);
      setSignedOutReason(reason);
      announce(reason ?? "Signed out.");
    },
    [store, announce],
  );

  const onApiError = useCallback(
    (error: ApiError) => {
      if (error.code === 190 && error.status === 401) {
        signOut(
          "The service no longer accepts this API key (it was revoked or expired). Sign in with a valid key.",
        );
      }
    },
    [signOut],
  );

  const context: PageContext | undefined = useMemo(
    () =>
      api
        ? {
            api,
            route,
            navigate: (to: string) => {
              location.hash = to;
            },
            announce,
            onApiError,
            signOut,
          }
        : undefined,
    // The route is compared by value: a new object per render would reload every page.
    [api, route.section, route.rest.join("/"), announce, onApiError, signOut],
  );

  const section = SECTIONS.find((s) => s.id === route.section) ?? SECTIONS[0];

  return (
    <>
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to the content
      </button>
      <header class="top">
        <p class="brand">WhatsApp usernames</p>
        {context ? (
          <>
            <nav aria-label="Console sections">
              <ul>
                {SECTIONS.map((s) => (
                  <li key={s.id}>
                    <a href={`#/${s.id}`} aria-current={s.id === section?.id ? "page" : undefined}>
                      {s.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <button type="button" class="sign-out" onClick={() => signOut()}>
              Sign out
            </button>
          </>
        ) : null}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {context && section ? (
          <div key={`${route.section}/${route.rest.join("/")}`}>{section.render(context)}</div>
        ) : (
          <SignIn
            reason={signedOutReason}
            onSignedIn={(key, signedIn) => {
              store.set(key);
              setSignedOutReason(undefined);
              setApi(signedIn);
              announce("Signed in.");
            }}
          />
        )}
      </main>
      <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" id="announcer">
        {announcement}
      </div>
    </>
  );
}
