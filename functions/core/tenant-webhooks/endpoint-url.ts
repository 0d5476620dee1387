/**
 * Which URLs a tenant webhook may point at, as text. In AWS: `https` only, to a host name or a
 * public IP address (any literal outbound-address.ts refuses: loopback, private, link-local,
 * CGNAT, IPv4-mapped, NAT64, 6to4, multicast...). With a local store (`npm start`, tests),
 * loopback is accepted too, over `http` or `https`, so receivers on the developer's machine
 * work; every other non-public literal stays refused there as well. No user name or password,
 * no fragment, no control, C1 or bidirectional character, no spaces around it, at most 2048
 * characters.
 * Checked when an endpoint is added and again before every attempt; where a host name leads is
 * checked on the addresses it resolves to, at every attempt (outbound-address.ts).
 */
import { isIP } from "node:net";
import { hasUnprintable } from "../validation/unprintable.ts";
import { addressAllowed } from "./outbound-address.ts";

export const ENDPOINT_URL_MAX_LENGTH = 2048;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return isIP(host) !== 0 && addressAllowed(host, true) && !addressAllowed(host, false);
}

/** Why `raw` cannot be a webhook endpoint, or undefined when it can. */
export function endpointUrlProblem(raw: string, allowLoopbackHttp: boolean): string | undefined {
  if (raw.length > ENDPOINT_URL_MAX_LENGTH) return `must be at most ${ENDPOINT_URL_MAX_LENGTH} characters`;
  if (hasUnprintable(raw)) return "must not contain control or bidirectional characters";
  // `new URL` would trim them, but the text is what is stored and shown.
  if (raw.trim() !== raw) return "must not start or end with spaces";
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL, e.g. https://example.com/webhooks";
  }
  if (url.username || url.password) return "must not carry a user name or password";
  if (url.hash) return "must not have a #fragment";
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol === "http:") {
    if (allowLoopbackHttp && loopback) return undefined;
    return allowLoopbackHttp ? "must be https (http only on loopback, for local receivers)" : "must be https";
  }
  if (url.protocol !== "https:") return "must be https";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const refused =
    host.toLowerCase() === "localhost" || host.toLowerCase().endsWith(".localhost")
      ? !allowLoopbackHttp
      : isIP(host) !== 0 && !addressAllowed(host, allowLoopbackHttp);
  if (refused) {
    return allowLoopbackHttp
      ? "must name a public host or loopback (no private or link-local address)"
      : "must name a public host (no loopback, private or link-local address)";
  }
  return undefined;
}
