/**
 * How the sandbox learns phone numbers nobody added to it: from a `PhoneSource` given at start.
 * `npm start` passes one that reads the service's own store (dev/sandbox-phones.ts), so a number
 * registered, or given a new token, with the admin CLI while it runs is known to the sandbox's
 * Meta at the very next Graph request, with no restart (real Meta knows every number from the
 * start). The source is asked only when a request names a number the sandbox does not know, or
 * carries a token that is not that number's; everything else is answered from memory.
 */
import type { PhoneStore } from "./phone-store.ts";
import type { SandboxPhoneInput } from "./sandbox-phone.ts";

/** The number as its owner registered it (id, token, WABA, portfolio, display number), or undefined. */
export type PhoneSource = (phoneNumberId: string) => Promise<SandboxPhoneInput | undefined>;

/** `/v24.0/<id>/<edge>` -> the phone number id (percent-decoded); undefined for other paths. */
function phoneIdOf(pathname: string): string | undefined {
  const [root, version, rawId] = pathname.split("/");
  if (root !== "" || !version || !rawId) return undefined;
  try {
    return decodeURIComponent(rawId);
  } catch {
    return undefined;
  }
}

const bearerToken = (authorization: string | undefined): string | undefined =>
  /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];

/**
 * Before a Graph request is answered: learns its phone number from `source` when the sandbox
 * does not know it or knows another token for it. A known number keeps its username state (the
 * sandbox's Meta owns that); only its credentials and ids follow the source. Errors of the
 * source propagate (the sandbox then answers 500: a store it cannot read is worth seeing).
 */
export async function learnPhone(
  phones: PhoneStore,
  source: PhoneSource,
  request: { pathname: string; authorization: string | undefined },
): Promise<void> {
  const id = phoneIdOf(request.pathname);
  if (id === undefined) return;
  const known = phones.get(id);
  if (known && known.accessToken === bearerToken(request.authorization)) return;
  const found = await source(id);
  if (!found || found.phoneNumberId !== id) return;
  // Another request may have taught it the number while the source was being read.
  if (phones.get(id)) {
    const { accessToken, wabaId, businessId, displayPhoneNumber } = found;
    phones.update(id, { accessToken, wabaId, businessId, displayPhoneNumber });
    return;
  }
  try {
    phones.add(found);
  } catch {
    // Its stored name is held by another sandbox number (or marked taken): the number, without it.
    const { username: _username, status: _status, ...withoutName } = found;
    phones.add(withoutName);
  }
}
