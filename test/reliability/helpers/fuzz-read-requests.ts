/**
 * Generated raw requests for the tenant read routes (`/v1`), each with labels that say what the
 * service must answer: the phone number in the path, the API key, the paging query (`limit`,
 * `after`, `before`) and the body. The cursor rule is restated here from the documented
 * contract, not taken from the service: an opaque base64url token of `<listing>:<position>`.
 */
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

/** Whether `cursor` is one the listing hands out: base64url of `<listing>:<position>`. */
export function isListingCursor(listing: Listing, cursor: string): boolean {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return false;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const position = text.startsWith(`${listing}:`) ? text.slice(listing.length + 1) : undefined;
  if (position === undefined) return false;
  if (listing === "phone_numbers") return /^\d{1,20}$/.test(position);
  if (!/^\d{1,15}$/.test(position)) return false;
  const value = Number(position);
  return value <= 999_999_999_999 && value >= (listing === "username_history" ? 1 : 0);
}

function cursorOf(listing: Listing, position: string): string {
  return Buffer.from(`${listing}:${position}`).toString("base64url");
}

function positionArb(listing: Listing) {
  return listing === "phone_numbers"
    ? fc.stringMatching(/^\d{1,20}$/)
    : fc.integer({ min: listing === "username_history" ? 1 : 0, max: 999_999_999_999 }).map(String);
}

const LISTINGS: Listing[] = ["phone_numbers", "username_history", "username_changes"];

/** A paging query and whether the listing must accept it. */
function pagingArb(listing: Listing): fc.Arbitrary<{ query: string; valid: boolean }> {
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
  const cursor = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ part: [] as string[], valid: true }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(cursorName, positionArb(listing))
        .map(([name, position]) => ({ part: [`${name}=${cursorOf(listing, position)}`], valid: true })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(cursorName, fc.constantFrom(...LISTINGS.filter((l) => l !== listing)), fc.nat(1000))
        .map(([name, other, n]) => ({ part: [`${name}=${cursorOf(other, String(n))}`], valid: false })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          cursorName,
          fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 201, maxLength: 220 })),
        )
        .filter(([, raw]) => !isListingCursor(listing, raw))
        .map(([name, raw]) => ({ part: [`${name}=${encodeURIComponent(raw)}`], valid: false })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(positionArb(listing), positionArb(listing)).map(([a, b]) => ({
        part: [`after=${cursorOf(listing, a)}`, `before=${cursorOf(listing, b)}`],
        valid: false,
      })),
    },
  );
  const noise = fc.constantFrom([], [], ["fields=id,username"], ["foo=bar"], ["access_token=x"]);
  return fc.tuple(limit, cursor, noise).map(([l, c, n]) => ({
    query: [...l.part, ...c.part, ...n].join("&"),
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
      paging: route.listing ? pagingArb(route.listing) : fc.constant({ query: "", valid: true }),
      noise: noiseHeaderArb,
      body: readBodyArb(bodyLimit),
    })
    .map((c) => {
      const path = route.path.replace("{phone_number_id}", encodeURIComponent(c.phone.value));
      return {
        kind: "read" as const,
        request: {
          method: c.method,
          target: c.paging.query ? `${path}?${c.paging.query}` : path,
          headers: [...c.auth.headers, ...c.noise],
          body: c.body,
        },
        ...(withPhone ? { phone: c.phone.label } : {}),
        auth: c.auth.label,
        query: c.paging.valid ? ("valid" as const) : ("invalid" as const),
      };
    });
}
