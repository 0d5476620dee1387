/**
 * Graph-style paging for the `/v1` listings: `limit` (default 25, at most 100), `after` and
 * `before` cursors, and the envelope `{"data":[…],"paging":{"cursors":{"before","after"},
 * "next","previous"}}` with `next`/`previous` as full URLs, present when that page exists.
 * Cursors are opaque to clients: base64url of `<listing>:<position>`, so a cursor of one
 * listing is refused by another (400 code 100) rather than read as something else.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { graphErrors } from "../http/graph-error.ts";
import { describeIssues } from "../validation/issues.ts";
import { PAGE_LIMIT_DEFAULT, pageQuerySchema } from "../validation/tenant-api.ts";

export type Listing = "phone_numbers" | "username_history" | "username_changes";

export interface PageRequest<C> {
  limit: number;
  after?: C;
  before?: C;
}

export function encodeCursor(listing: Listing, position: string | number): string {
  return Buffer.from(`${listing}:${position}`, "utf8").toString("base64url");
}

/** The position a cursor holds, checked by `valid`; a Graph code 100 error for anything else. */
function decodeCursor<C>(
  listing: Listing,
  name: "after" | "before",
  cursor: string,
  parse: (position: string) => C | undefined,
): C {
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const prefix = `${listing}:`;
  const position = text.startsWith(prefix) ? parse(text.slice(prefix.length)) : undefined;
  if (position === undefined) {
    throw graphErrors.invalidParameter(
      `Invalid parameter: ${name} is not a cursor of this listing`,
      `${name}: send a cursor from paging.cursors of a ${listing} answer`,
    );
  }
  return position;
}

/** Validates `limit`, `after`, `before` (other parameters are ignored, as Graph ignores unknown ones). */
export function parsePageRequest<C>(
  event: APIGatewayProxyEventV2,
  listing: Listing,
  parse: (position: string) => C | undefined,
): PageRequest<C> {
  const result = pageQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!result.success) {
    const detail = describeIssues(result.error);
    throw graphErrors.invalidParameter(`Invalid parameter: ${detail}`, detail);
  }
  const { limit, after, before } = result.data;
  return {
    limit: limit === undefined ? PAGE_LIMIT_DEFAULT : Number(limit),
    ...(after !== undefined ? { after: decodeCursor(listing, "after", after, parse) } : {}),
    ...(before !== undefined ? { before: decodeCursor(listing, "before", before, parse) } : {}),
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

/** The URL of this same request with other paging parameters: what Graph puts in next/previous. */
function pageUrl(
  event: APIGatewayProxyEventV2,
  limit: number,
  cursor: { after: string } | { before: string },
) {
  const headers = event.headers ?? {};
  const host = headers.host ?? event.requestContext.domainName;
  const scheme = headers["x-forwarded-proto"] === "http" ? "http" : "https";
  const query = new URLSearchParams({ limit: String(limit), ...cursor });
  return `${scheme}://${host}${event.rawPath}?${query.toString()}`;
}

export interface EnvelopeInput<T> {
  event: APIGatewayProxyEventV2;
  listing: Listing;
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
  const { event, listing, limit } = input;
  const before = input.first === undefined ? undefined : encodeCursor(listing, input.first);
  const afterPosition = input.last ?? input.emptyAfter;
  const after = afterPosition === undefined ? undefined : encodeCursor(listing, afterPosition);
  return {
    data: input.data,
    paging: {
      cursors: { ...(before ? { before } : {}), ...(after ? { after } : {}) },
      ...(input.hasNext && after ? { next: pageUrl(event, limit, { after }) } : {}),
      ...(input.hasPrevious && before ? { previous: pageUrl(event, limit, { before }) } : {}),
    },
  };
}
