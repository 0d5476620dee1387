/**
 * A stand-in for `fetch` for the console's API client (console/src/api/client.ts), tested without
 * a network or a browser: it records each request as sent (method, URL, headers, body text) and
 * answers what the test's `reply` returns. Shared by client.test.ts (the Graph-compatible routes)
 * and self-service.test.ts (the webhook-endpoint and API-key routes).
 */

/** One request the client sent. */
export interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

/** A fetch that records what it is sent and answers `reply(request)`. */
export function fakeFetch(reply: (sent: Sent) => Response) {
  const sent: Sent[] = [];
  const fetch = async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const record = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: await request.text(),
    };
    sent.push(record);
    return reply(record);
  };
  return { sent, fetch: fetch as typeof globalThis.fetch };
}

/** A JSON answer with `status`, and any further `headers` (e.g. retry-after). */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
