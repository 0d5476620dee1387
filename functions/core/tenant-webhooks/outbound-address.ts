/**
 * Where a webhook attempt may connect: checked on the addresses a host name resolves to, and the
 * connection made to one of those very addresses (a `lookup` handed to the HTTP request, so no
 * second DNS lookup happens between the check and the connect; TLS SNI and `Host` stay the name).
 *
 * An address is allowed only when `ipaddr.js` classifies it as plain unicast: IPv4 outside every
 * special range (loopback, private, link-local, CGNAT, unspecified, broadcast, multicast,
 * benchmarking, documentation, reserved...), IPv6 global unicast (2000::/3) outside every special
 * range inside it (Teredo, 6to4, benchmarking, documentation, ORCHID...), so IPv4-mapped,
 * IPv4-compatible, NAT64, unique-local, site-local, link-local and multicast IPv6 are refused.
 * With a local store (`npm start`, tests) loopback is allowed too. A host name is refused when
 * any address it resolves to is refused. Every refusal is the same error, REFUSED_ERROR: which
 * rule, address or port refused is never told.
 */

import type { LookupAddress, LookupOptions } from "node:dns";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** The one error of every refused attempt (stored as the attempt's `lastError`). */
export const REFUSED_ERROR = "refused: not a public address";

/** Thrown (through a request's `lookup`) when an endpoint's address is not allowed. */
export class AddressRefusedError extends Error {
  override name = "AddressRefusedError";
  readonly code = "EADDRREFUSED";
  constructor() {
    super(REFUSED_ERROR);
  }
}

/** Resolves a host name to every address it has (A and AAAA). */
export type HostResolver = (hostname: string) => Promise<LookupAddress[]>;

/** The system's resolver (getaddrinfo, as Node connects by default); node:dns loads at the first lookup. */
const systemResolver: HostResolver = async (hostname) => {
  const { lookup } = await import("node:dns/promises");
  return lookup(hostname, { all: true, order: "verbatim" });
};
let resolver: HostResolver = systemResolver;

/** Replaces the resolver (tests: a hosts table they control); undefined restores the system's. */
export function setHostResolver(replacement: HostResolver | undefined): void {
  resolver = replacement ?? systemResolver;
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/** True when an attempt may connect to `address` (an IP literal); loopback only if `allowLoopback`. */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  const literal = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(literal) || isIP(literal) === 0) return false;
  const ip = ipaddr.parse(literal);
  const range = ip.range();
  if (allowLoopback && range === "loopback") return true;
  if (ip.kind() === "ipv6") return range === "unicast" && (ip as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
  return range === "unicast";
}

/** The addresses of `hostname` an attempt may connect to; AddressRefusedError when any is refused. */
export async function allowedAddresses(hostname: string, allowLoopback: boolean): Promise<LookupAddress[]> {
  const host = hostname.replace(/^\[|\]$/g, "");
  const found = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolver(host);
  if (found.length === 0 || found.some((entry) => !addressAllowed(entry.address, allowLoopback))) {
    throw new AddressRefusedError();
  }
  return found;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for node:http(s) requests and node:net: resolves once, checks every address, and
 * hands the connection only addresses that passed (of the family asked for, when one is).
 */
export function checkedLookup(allowLoopback: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    allowedAddresses(hostname, allowLoopback).then(
      (found) => {
        const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family;
        const usable = family ? found.filter((entry) => entry.family === family) : found;
        if (usable.length === 0) {
          callback(Object.assign(new Error(`no IPv${family} address`), { code: "ENOTFOUND" }), "");
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, (usable[0] as LookupAddress).address, (usable[0] as LookupAddress).family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}
