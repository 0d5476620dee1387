/**
 * Graph-style paging for the `/v1` listings: `limit` (default 25, at most 100), `after` and
 * `before` cursors, and the envelope `{"data":[…],"paging":{"cursors":{"before","after"},
 * "next","previous"}}` with `next`/`previous` as full URLs on the configured base URL, present
 * when that page exists (carrying the request's `access_token` when it came in the query string).
 * Cursors are opaque to clients: base64url of `<listing>:<position>:<scope tag>`, the tag a hash
 * of the listing and its scope (the tenant for the feed and the number list, the phone number for
 * a history). A cursor of another listing, another tenant's feed or another number's history is
 * refused (400 code 100, "... is not a cursor of this listing") rather than read as a position of
 * this one. Listings that can tell check the position too (the feed: a position it holds).
 */
import { createHash } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { presentedApiKey } from "../auth/api-keys.ts";
import { config } from "../config.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { describeIssues } from "../validation/issues.ts";
import { PAGE_LIMIT_DEFAULT, pageQuerySchema } from "../validation/tenant-api.ts";

export type Listing = "phone_numbers" | "username_history" | "username_changes";

export interface PageRequest<C> {
  limit: number;
  after?: C;
  before?: C;
}

/** A listing of one scope: `username_history` of one phone number, the others of one tenant. */
export interface ListingScope {
  listing: Listing;
  /** The tenant id, or the phone number id for `username_history`. */
  scope: string;
}

/** Ties a cursor to its listing and scope without showing the scope (12 base64url characters). */
function scopeTag({ listing, scope }: ListingScope): string {
  return createHash("sha256").update(`${listing}\n${scope}`).digest("base64url").slice(0, 12);
}

export function encodeCursor(of: ListingScope, position: string | number): string {
  return Buffer.from(`${of.listing}:${position}:${scopeTag(of)}`, "utf8").toString("base64url");
}

/** The one error of every cursor that is not this listing's (or names a position it does not hold). */
export function notACursorOf(listing: Listing, name: "after" | "before") {
  return graphErrors.invalidParameter(
    `Invalid parameter: ${name} is not a cursor of this listing`,
    `${name}: send a cursor from paging.cursors of a ${listing} answer`,
  );
}

/** The position a cursor holds, checked by `parse`; a Graph code 100 error for anything else. */
function decodeCursor<C>(
  of: ListingScope,
  name: "after" | "before",
  cursor: string,
  parse: (position: string) => C | undefined,
): C {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const prefix = `${of.listing}:`;
  const suffix = `:${scopeTag(of)}`;
  const position =
    text.startsWith(prefix) && text.endsWith(suffix) && text.length > prefix.length + suffix.length
      ? parse(text.slice(prefix.length, -suffix.length))
      : undefined;
  if (position === undefined) throw notACursorOf(of.listing, name);
  return position;
}

const PAGING_PARAMETERS = ["limit", "after", "before"] as const;

/** A paging parameter given more than once (API Gateway joins repeated values with commas). */
function repeatedParameter(event: APIGatewayProxyEventV2): string | undefined {
  const query = new URLSearchParams(event.rawQueryString ?? "");
  return PAGING_PARAMETERS.find((name) => query.getAll(name).length > 1);
}

/** Validates `limit`, `after`, `before` (other parameters are ignored, as Graph ignores unknown ones). */
export function parsePageRequest<C>(
  event: APIGatewayProxyEventV2,
  of: ListingScope,
  parse: (position: string) => C | undefined,
): PageRequest<C> {
  const repeated = repeatedParameter(event);
  if (repeated) {
    throw graphErrors.invalidParameter(
      `Invalid parameter: ${repeated} must be given once`,
      `${repeated}: send it once`,
    );
  }
  const result = pageQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) {
    const detail = describeIssues(result.error);
    throw graphErrors.invalidParameter(`Invalid parameter: ${detail}`, detail);
  }
  const { limit, after, before } = result.data;
  return {
    limit: limit === undefined ? PAGE_LIMIT_DEFAULT : Number(limit),
    ...(after !== undefined ? { after: decodeCursor(of, "after", after, parse) } : {}),
    ...(before !== undefined ? { before: decodeCursor(of, "before", before, parse) } : {}),
  };
}

/** A decimal integer position in [min, max], or undefined. */
export function integerPosition(min: number, max: number) {
  return (position: string): number | undefined => {
    if (!/^\d{1,15}$/.test(position)) return undefined;
    const value = Number(position);
    return value >= min && value <= max ? value : undefined;
  };
}

export interface Envelope<T> {
  data: T[];
  paging: {
    cursors: { before?: string; after?: string };
    next?: string;
    previous?: string;
  };
}

/**
 * The API key, when the request presented it as Graph's `access_token` in its query string (no
 * `X-API-Key`, no `Authorization`, no body that could hold another): Graph's own `next` and
 * `previous` carry the token the request used, so a client that follows them as they are stays
 * authenticated. A key sent in a header or a body is never copied into a URL.
 */
function queryStringCredential(event: APIGatewayProxyEventV2): string | undefined {
  if (presentedApiKey(event.headers ?? {}) !== undefined) return undefined;
  if ((event.body ?? "") !== "") return undefined;
  const tokens = new URLSearchParams(event.rawQueryString ?? "").getAll("access_token");
  return tokens.length === 1 && tokens[0]?.trim() ? tokens[0] : undefined;
}

/**
 * The URL of this same listing with other paging parameters, what Graph puts in next/previous:
 * the configured base URL (config.apiBaseUrl: the API's own, set at deploy time) or API
 * Gateway's own domain name, never the request's Host header, which the client chooses.
 */
function pageUrl(
  event: APIGatewayProxyEventV2,
  limit: number,
  cursor: { after: string } | { before: string },
) {
  const base = config.apiBaseUrl() ?? `https://${event.requestContext.domainName}`;
  const token = queryStringCredential(event);
  const query = new URLSearchParams({
    limit: String(limit),
    ...cursor,
    ...(token ? { access_token: token } : {}),
  });
  return `${base}${event.rawPath}?${query.toString()}`;
}

export interface EnvelopeInput<T> {
  event: APIGatewayProxyEventV2;
  of: ListingScope;
  limit: number;
  data: T[];
  /** Cursor positions of the first and last item (undefined when the page is empty). */
  first?: string | number;
  last?: string | number;
  /** A page follows after the last item / precedes the first one. */
  hasNext: boolean;
  hasPrevious: boolean;
  /** The `after` position to hand out when the page is empty (the change feed's resume point). */
  emptyAfter?: string | number;
}

export function envelope<T>(input: EnvelopeInput<T>): Envelope<T> {
  const { event, of, limit } = input;
  const before = input.first === undefined ? undefined : encodeCursor(of, input.first);
  const afterPosition = input.last ?? input.emptyAfter;
  const after = afterPosition === undefined ? undefined : encodeCursor(of, afterPosition);
  return {
    data: input.data,
    paging: {
      cursors: { ...(before ? { before } : {}), ...(after ? { after } : {}) },
      ...(input.hasNext && after ? { next: pageUrl(event, limit, { after }) } : {}),
      ...(input.hasPrevious && before ? { previous: pageUrl(event, limit, { before }) } : {}),
    },
  };
}
