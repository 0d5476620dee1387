/**
 * Generated raw requests for the tenant read routes (`/v1`), each with labels that say what the
 * service must answer: the phone number in the path, the API key, the paging query (`limit`,
 * `after`, `before`) and the body. The cursor rule is restated here from the documented
 * contract, not taken from the service: an opaque base64url token of
 * `<listing>:<position>:<scope tag>`, the tag the first 12 base64url characters of the SHA-256 of
 * `<listing>\n<scope>` (the tenant; the phone number for a history); a change-feed position must
 * be one the feed holds (0, its start, always is; none from 10^9 on in this run's small feed).
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { AuthLabel, FuzzWorld, PhoneLabel } from "./fuzz-requests.ts";
import { authArb, noiseHeaderArb, phoneArb } from "./fuzz-requests.ts";
import type { RawRequest } from "./gateway-event.ts";

export type Listing = "phone_numbers" | "username_history" | "username_changes";

export interface ReadCase {
  kind: "read";
  request: RawRequest;
  /** Absent for the routes without a phone number in their path. */
  phone?: PhoneLabel;
  auth: AuthLabel;
  query: "valid" | "invalid";
}

export const READ_LIMIT_MAX = 100;

function scopeTag(listing: Listing, scope: string): string {
  return createHash("sha256").update(`${listing}\n${scope}`).digest("base64url").slice(0, 12);
}

function cursorOf(listing: Listing, scope: string, position: string): string {
  return Buffer.from(`${listing}:${position}:${scopeTag(listing, scope)}`).toString("base64url");
}

/** Positions the listing must accept (the feed's start only: other feed positions depend on its content). */
function positionArb(listing: Listing) {
  if (listing === "username_changes") return fc.constant("0");
  return listing === "phone_numbers"
    ? fc.stringMatching(/^\d{1,20}$/)
    : fc.integer({ min: 1, max: 999_999_999_999 }).map(String);
}

/** A paging parameter made for the request's scope (the tenant, or the number in the path). */
type Part = (scope: string) => string[];

const LISTINGS: Listing[] = ["phone_numbers", "username_history", "username_changes"];

/** A paging query for a scope, and whether the listing must accept it. */
function pagingArb(listing: Listing): fc.Arbitrary<{ query: (scope: string) => string; valid: boolean }> {
  const limit = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ part: [] as string[], valid: true }) },
    {
      weight: 3,
      arbitrary: fc
        .integer({ min: 1, max: READ_LIMIT_MAX })
        .map((n) => ({ part: [`limit=${n}`], valid: true })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom("0", "101", "1000", "-5", "1.5", " 7", "1e1", "", "ten", "5,6"),
          fc.integer({ min: 101, max: 100_000 }).map(String),
        )
        .map((value) => ({ part: [`limit=${encodeURIComponent(value)}`], valid: false })),
    },
  );
  const cursorName = fc.constantFrom("after", "before");
  // The feed's start is an `after` position only (a `before` names an event).
  const validName = listing === "username_changes" ? fc.constant("after") : cursorName;
  const cursor = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ part: (() => []) as Part, valid: true }) },
    {
      weight: 3,
      arbitrary: fc.tuple(validName, positionArb(listing)).map(([name, position]) => ({
        part: ((scope) => [`${name}=${cursorOf(listing, scope, position)}`]) as Part,
        valid: true,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(cursorName, fc.constantFrom(...LISTINGS.filter((l) => l !== listing)), fc.nat(1000))
        .map(([name, other, n]) => ({
          part: ((scope) => [`${name}=${cursorOf(other, scope, String(n))}`]) as Part,
          valid: false,
        })),
    },
    {
      // This listing's cursor of another scope: another tenant, another number.
      weight: 1,
      arbitrary: fc.tuple(validName, positionArb(listing)).map(([name, position]) => ({
        part: ((scope) => [`${name}=${cursorOf(listing, `${scope}0`, position)}`]) as Part,
        valid: false,
      })),
    },
    ...(listing === "username_changes"
      ? [
          {
            // Past the feed's head, or a `before` at its start.
            weight: 1,
            arbitrary: fc
              .oneof(
                fc.tuple(cursorName, fc.integer({ min: 1_000_000_000, max: 999_999_999_999 }).map(String)),
                fc.constant(["before", "0"] as [string, string]),
              )
              .map(([name, position]) => ({
                part: ((scope) => [`${name}=${cursorOf(listing, scope, position)}`]) as Part,
                valid: false,
              })),
          },
        ]
      : []),
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          cursorName,
          fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 201, maxLength: 220 })),
        )
        .map(([name, raw]) => ({
          // A random string is never a cursor of any scope (a 72-bit tag to hit).
          part: (() => [`${name}=${encodeURIComponent(raw)}`]) as Part,
          valid: false,
        })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(positionArb(listing), positionArb(listing)).map(([a, b]) => ({
        part: ((scope) => [
          `after=${cursorOf(listing, scope, a)}`,
          `before=${cursorOf(listing, scope, b)}`,
        ]) as Part,
        valid: false,
      })),
    },
  );
  const noise = fc.constantFrom([], [], ["fields=id,username"], ["foo=bar"], ["access_token=x"]);
  return fc.tuple(limit, cursor, noise).map(([l, c, n]) => ({
    query: (scope: string) => [...l.part, ...c.part(scope), ...n].join("&"),
    valid: l.valid && c.valid,
  }));
}

/** Bodies: none mostly (these are GETs), sometimes a small one (ignored), rarely one over the limit. */
function readBodyArb(limit: number) {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 2 }).map((text) => Buffer.from(text)) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: limit + 1, max: limit * 2 }).map((n) => Buffer.alloc(n, 0x61)),
    },
  );
}

export function readCaseArb(
  world: FuzzWorld,
  route: { path: string; listing?: Listing },
  bodyLimit: number,
): fc.Arbitrary<ReadCase> {
  const withPhone = route.path.includes("{phone_number_id}");
  return fc
    .record({
      method: fc.oneof(
        { weight: 49, arbitrary: fc.constant("GET") },
        { weight: 1, arbitrary: fc.constantFrom("POST", "DELETE") },
      ),
      phone: phoneArb(world),
      auth: authArb(world),
      paging: route.listing ? pagingArb(route.listing) : fc.constant({ query: () => "", valid: true }),
      noise: noiseHeaderArb,
      body: readBodyArb(bodyLimit),
    })
    .map((c) => {
      const path = route.path.replace("{phone_number_id}", encodeURIComponent(c.phone.value));
      const query = c.paging.query(route.listing === "username_history" ? c.phone.value : world.tenantId);
      return {
        kind: "read" as const,
        request: {
          method: c.method,
          target: query ? `${path}?${query}` : path,
          headers: [...c.auth.headers, ...c.noise],
          body: c.body,
        },
        ...(withPhone ? { phone: c.phone.label } : {}),
        auth: c.auth.label,
        query: c.paging.valid ? ("valid" as const) : ("invalid" as const),
      };
    });
}
