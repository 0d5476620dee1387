/**
 * Where the console keeps the tenant's API key: for this browser tab only. In memory, mirrored
 * into `sessionStorage` so a reload of the tab keeps the session; closing the tab forgets it.
 * Never `localStorage` (shared by every tab, kept across restarts), never a cookie, never a URL
 * (the key travels only in the `X-API-Key` header of the console's own requests).
 */

/** The sessionStorage entry (one per tab, per origin). */
export const SESSION_STORAGE_ENTRY = "wau-console:api-key";

export interface KeyStore {
  /** The key signed in with, or undefined when signed out. */
  get(): string | undefined;
  set(key: string): void;
  /** Signs out: forgets the key in memory and in the tab's storage. */
  clear(): void;
}

/** The tab's sessionStorage, or undefined where the browser refuses it (then memory only). */
function tabStorage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

/** A key store for this tab: memory, mirrored into `storage` (default: sessionStorage) when it works. */
export function tabKeyStore(storage: Storage | undefined = tabStorage()): KeyStore {
  let key: string | undefined;
  try {
    key = storage?.getItem(SESSION_STORAGE_ENTRY) ?? undefined;
  } catch {
    key = undefined;
  }
  return {
    get: () => key,
    set(value) {
      key = value;
      try {
        storage?.setItem(SESSION_STORAGE_ENTRY, value);
      } catch {
        // Storage full or refused: the key stays in memory, and a reload signs out.
      }
    },
    clear() {
      key = undefined;
      try {
        storage?.removeItem(SESSION_STORAGE_ENTRY);
      } catch {
        // Nothing stored.
      }
    },
  };
}

/** `wau_` + 32 base64url characters (functions/core/auth/api-keys.ts): checked before any request. */
export const API_KEY_PATTERN = /^wau_[A-Za-z0-9_-]{32}$/;
