/**
 * Which URLs a tenant webhook may point at. In AWS: `https` only, to a host name or a public IP
 * address (no loopback, private, link-local or carrier-grade NAT literals: the service must not
 * be turned against networks it can reach). With a local store (`npm start`, tests), loopback is
 * accepted too, over `http` or `https`, so receivers on the developer's machine work; private,
 * link-local and CGNAT literals stay refused there as well.
 * Checked when an endpoint is added and again before every attempt.
 */
import { isIP } from "node:net";

export const ENDPOINT_URL_MAX_LENGTH = 2048;

function ipv4Octets(host: string): number[] | undefined {
  return isIP(host) === 4 ? host.split(".").map(Number) : undefined;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  return ipv4Octets(host)?.[0] === 127;
}

/** Loopback, private, link-local, unspecified and shared (CGNAT) address literals. */
function isNonPublicAddress(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (isLoopbackHost(host)) return true;
  const octets = ipv4Octets(host);
  if (octets) {
    const [a = 0, b = 0] = octets;
    return (
      a === 0 ||
      a === 10 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  if (isIP(host) === 6) {
    // Unspecified, unique local (fc00::/7), link-local (fe80::/10), IPv4-mapped.
    return host === "::" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith("::ffff:");
  }
  return false;
}

/** Why `raw` cannot be a webhook endpoint, or undefined when it can. */
export function endpointUrlProblem(raw: string, allowLoopbackHttp: boolean): string | undefined {
  if (raw.length > ENDPOINT_URL_MAX_LENGTH) return `must be at most ${ENDPOINT_URL_MAX_LENGTH} characters`;
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
  if (isNonPublicAddress(url.hostname) && !(allowLoopbackHttp && loopback)) {
    return allowLoopbackHttp
      ? "must name a public host or loopback (no private or link-local address)"
      : "must name a public host (no loopback, private or link-local address)";
  }
  return undefined;
}
