/**
 * What a POST to the username path asks for, decided from the request alone (docs/reliability.md,
 * "Order of checks"), restated independently of functions/core/http/request-parameters.ts:
 * parameters from the query string and a JSON, form or multipart body, the body's winning per
 * name; a name twice in one source refused; Graph's `method=delete` turning the POST into a DELETE
 * and `method=get` into the GET.
 */
import { oracleAccepts } from "../../support/username-oracle.ts";

export type PostIntent =
  | { kind: "refused" }
  | { kind: "claim"; username: string; transferAction?: string }
  | { kind: "delete" }
  | { kind: "read" };

type Source = { values: Map<string, unknown>; repeated: Set<string> } | "unreadable";

const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"];

function fromPairs(pairs: Iterable<[string, unknown]>): Source {
  const values = new Map<string, unknown>();
  const repeated = new Set<string>();
  for (const [name, value] of pairs) {
    if (PROTOTYPE_KEYS.includes(name)) continue;
    if (values.has(name)) repeated.add(name);
    else values.set(name, value);
  }
  return { values, repeated };
}

function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function jsonSource(text: string | undefined): Source {
  if (text === undefined) return "unreadable";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "unreadable";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "unreadable";
  return fromPairs(Object.entries(value));
}

async function bodySource(body: Buffer, contentType: string | undefined): Promise<Source | undefined> {
  if (body.length === 0) return undefined;
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  const text = utf8(body);
  if (type === "multipart/form-data") {
    try {
      const form = await new Response(new Uint8Array(body), {
        headers: { "content-type": contentType ?? "" },
      }).formData();
      return fromPairs(form.entries());
    } catch {
      return "unreadable";
    }
  }
  const looksLikeJson = text !== undefined && /^\s*[[{]/.test(text);
  const isForm =
    type === "application/x-www-form-urlencoded"
      ? !looksLikeJson
      : type !== "application/json" &&
        !type.endsWith("+json") &&
        text !== undefined &&
        /^[^\s=&{}[\]"]+=/.test(text);
  if (!isForm) return jsonSource(text);
  return text === undefined ? "unreadable" : fromPairs(new URLSearchParams(text));
}

/** One parameter as the route reads it: the body's if it has the name, else the query string's. */
function lookup(name: string, query: Source & object, body: (Source & object) | undefined) {
  if (body?.values.has(name)) return { value: body.values.get(name), repeated: body.repeated.has(name) };
  return { value: query.values.get(name), repeated: query.repeated.has(name) };
}

export async function postIntent(
  rawQueryString: string,
  body: Buffer,
  contentType: string | undefined,
): Promise<PostIntent> {
  const query = fromPairs(new URLSearchParams(rawQueryString)) as Source & object;
  const source = await bodySource(body, contentType);
  if (source === "unreadable") return { kind: "refused" };
  const method = lookup("method", query, source);
  if (method.value !== undefined) {
    if (typeof method.value !== "string" || method.repeated) return { kind: "refused" };
    const lower = method.value.toLowerCase();
    if (lower === "delete") return { kind: "delete" };
    if (lower === "get") return { kind: "read" };
    if (lower !== "post") return { kind: "refused" };
  }
  const username = lookup("username", query, source);
  const transfer = lookup("transfer_action", query, source);
  if (typeof username.value !== "string" || !oracleAccepts(username.value) || username.repeated) {
    return { kind: "refused" };
  }
  if (transfer.value === undefined) return { kind: "claim", username: username.value };
  if ((transfer.value !== "none" && transfer.value !== "force_transfer") || transfer.repeated) {
    return { kind: "refused" };
  }
  return { kind: "claim", username: username.value, transferAction: transfer.value };
}
