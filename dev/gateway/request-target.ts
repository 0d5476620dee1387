/**
 * The request target as an API Gateway HTTP API hands it to Lambda: `rawQueryString` exactly
 * as sent, `rawPath` percent-decoded (every escape except `%25`, which HTTP APIs leave as is),
 * and query parameters decoded like a form, duplicates joined with commas.
 */

export interface RequestTarget {
  /** The path as the client sent it, still percent-encoded: for logs. */
  encodedPath: string;
  /** What API Gateway routes on and reports as `rawPath` / `requestContext.http.path`. */
  rawPath: string;
  rawQueryString: string;
  /** Absent when there is no query string, as in API Gateway's event. */
  queryStringParameters?: Record<string, string>;
}

const utf8 = new TextDecoder("utf-8");

/** Decodes runs of `%XX` as UTF-8 (invalid sequences become U+FFFD) but keeps `%25` encoded. */
export function decodeHttpApiPath(path: string): string {
  return path.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    let out = "";
    let pending: number[] = [];
    const flush = () => {
      if (pending.length > 0) out += utf8.decode(Uint8Array.from(pending));
      pending = [];
    };
    for (let i = 0; i < run.length; i += 3) {
      const byte = Number.parseInt(run.slice(i + 1, i + 3), 16);
      if (byte === 0x25) {
        flush();
        out += "%25";
      } else {
        pending.push(byte);
      }
    }
    flush();
    return out;
  });
}

/** A path parameter is fully decoded: the `%25` rawPath keeps becomes `%`. */
export function decodePathParameter(segment: string): string {
  return segment.replaceAll("%25", "%");
}

function formDecode(text: string): string {
  const spaced = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A stray `%` is kept literally rather than failing the whole request.
    return decodeHttpApiPath(spaced).replaceAll("%25", "%");
  }
}

export function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === "") return undefined;
  const params: Record<string, string> = {};
  for (const pair of rawQueryString.split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = formDecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? "" : formDecode(pair.slice(eq + 1));
    params[name] = Object.hasOwn(params, name) ? `${params[name]},${value}` : value;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

/** `target` is the request line's target: origin form (`/a?b`) or absolute form (`http://h/a?b`). */
export function parseRequestTarget(target: string): RequestTarget {
  let rest = target;
  if (!rest.startsWith("/")) {
    // Absolute form (sent to proxies): keep only path and query.
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(.*)$/i.exec(rest);
    rest = match?.[1] || "/";
    if (!rest.startsWith("/")) rest = `/${rest}`;
  }
  const hash = rest.indexOf("#");
  if (hash !== -1) rest = rest.slice(0, hash);
  const question = rest.indexOf("?");
  const encodedPath = question === -1 ? rest : rest.slice(0, question);
  const rawQueryString = question === -1 ? "" : rest.slice(question + 1);
  const queryStringParameters = parseQueryString(rawQueryString);
  return {
    encodedPath,
    rawPath: decodeHttpApiPath(encodedPath),
    rawQueryString,
    ...(queryStringParameters ? { queryStringParameters } : {}),
  };
}
