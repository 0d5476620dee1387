/**
 * A request's parameters in every form Graph takes them:
 *  - the query string (`?username=lucky_shrub`);
 *  - a JSON object body (`Content-Type: application/json`);
 *  - a form body (`application/x-www-form-urlencoded`, or `multipart/form-data` text fields).
 * Precedence when more than one form is present: per parameter, the body's value wins over the
 * query string's (`POST …?access_token=K` with a form or JSON body of the other parameters is how
 * Graph SDKs call). Without a Content-Type (or with another one) the body is read as a form when
 * it starts like one (`name=`), else as JSON; a form-typed body that starts with `{` is JSON sent
 * with curl's default `-d` content type. A name given twice in one source is refused, never guessed.
 *
 * Nothing here throws for client input: a body over the size limit or one that cannot be decoded
 * is reported, so the route can raise it in its own order (after authentication), and the
 * `access_token` parameter can still be found in a readable body of a route that ignores bodies.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { z } from "zod/mini";
import { type GraphError, graphErrors } from "../errors/graph-error.ts";
import { describeIssues } from "../validation/issues.ts";
import { FORBIDDEN_KEYS, parseJsonSafely } from "../validation/safe-json.ts";
import { API_BODY_LIMIT_BYTES, rawBody } from "./request.ts";

export interface RequestParameters {
  /** Every parameter by name: the body's value where the body has the name, else the query string's. */
  values: Record<string, unknown>;
  /** Names given more than once in one source (`a=1&a=2`). */
  repeated: ReadonlySet<string>;
  /** The body is over API_BODY_LIMIT_BYTES (413): raised on every route. */
  tooLarge?: GraphError;
  /** The body could not be decoded (400): raised by routes that read parameters. */
  unreadable?: GraphError;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

type BodyFormat = "json" | "form" | "multipart";

function contentTypeEssence(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}

/** How to read a body of this content type; `text` is the body when it is UTF-8. */
function bodyFormat(essence: string, text: string | undefined): BodyFormat {
  if (essence === "multipart/form-data") return "multipart";
  const startsLikeJson = text !== undefined && /^\s*[{[]/.test(text);
  if (essence === "application/x-www-form-urlencoded") return startsLikeJson ? "json" : "form";
  if (essence === "application/json" || essence.endsWith("+json")) return "json";
  return text !== undefined && /^[^\s=&{}[\]"]+=/.test(text) ? "form" : "json";
}

/** Collects name/value pairs into one source's values, noting names given more than once. */
function collect(pairs: Iterable<[string, unknown]>, repeated: Set<string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of pairs) {
    if (FORBIDDEN_KEYS.has(name)) continue;
    if (Object.hasOwn(values, name)) repeated.add(name);
    else values[name] = value;
  }
  return values;
}

async function bodyValues(
  bytes: Buffer,
  contentType: string | undefined,
  repeated: Set<string>,
): Promise<Record<string, unknown> | GraphError> {
  let text: string | undefined;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = undefined;
  }
  const essence = contentTypeEssence(contentType);
  const format = bodyFormat(essence, text);
  if (format === "multipart") {
    try {
      const form = await new Response(new Uint8Array(bytes), {
        headers: { "content-type": contentType ?? "" },
      }).formData();
      return collect(form.entries(), repeated);
    } catch {
      return graphErrors.invalidParameter(
        "Request body is not valid multipart/form-data",
        "send a JSON object or an application/x-www-form-urlencoded form",
      );
    }
  }
  if (format === "form") {
    if (text === undefined)
      return graphErrors.invalidParameter(
        "Request body is not valid UTF-8",
        "send the body encoded as UTF-8",
      );
    return collect(new URLSearchParams(text), repeated);
  }
  let parsed: unknown;
  try {
    if (text === undefined) throw new Error("not UTF-8");
    parsed = parseJsonSafely(text);
  } catch {
    return graphErrors.invalidParameter("Request body is not valid JSON", "send a UTF-8 JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return graphErrors.invalidParameter(
      "Request body must be a JSON object",
      "send the parameters as one JSON object (or a form), not an array or a bare value",
    );
  }
  return parsed as Record<string, unknown>;
}

/** Reads the query string and the body into parameters (see the module's comment for the rules). */
export async function readParameters(
  event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded" | "rawQueryString" | "headers">,
): Promise<RequestParameters> {
  const repeated = new Set<string>();
  const query = collect(new URLSearchParams(event.rawQueryString ?? ""), repeated);
  // A text body has at least as many UTF-8 bytes as UTF-16 units: a huge one is refused uncopied.
  const tooLargeText = !event.isBase64Encoded && (event.body?.length ?? 0) > API_BODY_LIMIT_BYTES;
  const bytes = tooLargeText ? undefined : rawBody(event);
  if (bytes === undefined || bytes.length > API_BODY_LIMIT_BYTES) {
    return { values: query, repeated, tooLarge: graphErrors.payloadTooLarge(API_BODY_LIMIT_BYTES) };
  }
  if (bytes.length === 0) return { values: query, repeated };
  const repeatedInBody = new Set<string>();
  const body = await bodyValues(bytes, event.headers?.["content-type"], repeatedInBody);
  if (!isPlainRecord(body)) return { values: query, repeated, unreadable: body };
  // The body's value of a name wins, so a name repeated only in the query string does not matter.
  for (const name of Object.keys(body)) repeated.delete(name);
  for (const name of repeatedInBody) repeated.add(name);
  return { values: { ...query, ...body }, repeated };
}

function isPlainRecord(value: Record<string, unknown> | GraphError): value is Record<string, unknown> {
  return !(value instanceof Error);
}

/** The `access_token` parameter when it is one string (a repeated one counts as none). */
export function accessTokenParameter(parameters: RequestParameters): string | undefined {
  const token = parameters.values.access_token;
  return typeof token === "string" && !parameters.repeated.has("access_token") ? token : undefined;
}

/**
 * Validates the parameters a route reads against its schema, or throws a Graph code 100 error
 * naming each field and what it must be. Fields the schema does not name are dropped.
 */
export function validateParameters<T>(parameters: RequestParameters, schema: z.ZodMiniType<T>): T {
  if (parameters.unreadable) throw parameters.unreadable;
  const result = schema.safeParse(parameters.values);
  if (!result.success) {
    const detail = describeIssues(result.error, parameters.values);
    throw graphErrors.invalidParameter(`Invalid parameter: ${detail}`, detail);
  }
  for (const name of Object.keys(result.data as object)) {
    if (parameters.repeated.has(name)) {
      const detail = `${name} is given more than once: send it once`;
      throw graphErrors.invalidParameter(`Invalid parameter: ${detail}`, detail);
    }
  }
  return result.data;
}
