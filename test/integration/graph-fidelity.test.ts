/**
 * A client written for Graph works through the proxy unchanged, whatever form it sends and
 * whatever Meta answers (through the handlers, against the sandbox over HTTP):
 *  - parameters as JSON, a form (urlencoded or multipart) or the query string, validated and
 *    forwarded identically, the body winning over the query string per parameter;
 *  - the `access_token` parameter as the API key, never forwarded;
 *  - every Meta error envelope passed through byte for byte with its status and the headers
 *    clients act on, the Idempotency-Key kept or released by Meta's status and `is_transient`;
 *  - throttles never retried, Retry-After honoured within the call's budget;
 *  - type errors that name the field and the type it must be; Graph's `method=delete` on a POST.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { PASSED_THROUGH_HEADERS } from "../../functions/core/graph/client.ts";
import { revokeApiKey } from "../../functions/core/store/api-keys.ts";
import {
  META_ANSWER_EXAMPLES,
  type MetaAnswerExampleName,
  type RecordedRequest,
} from "../../meta-sandbox/index.ts";
import type { Answer } from "../support/lambda.ts";
import { expectStateUnchanged, snapshotState } from "../support/unchanged.ts";
import { usernameCandidate } from "../support/username-arbitraries.ts";
import { type CallOptions, callUsernameApi, type Operation } from "../support/username-client.ts";
import { oracleAccepts } from "../support/username-oracle.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueUsername,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
beforeAll(() => {
  // Room for a Retry-After of one second and the retries after it on a loaded machine.
  process.env.META_TIMEOUT_MS = "10000";
});

async function owner(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  const phone = await seedPhone(world, tenant);
  return { tenant, phone };
}

function onlyRequest(): RecordedRequest {
  const requests = world.sandbox.requests();
  expect(requests).toHaveLength(1);
  return requests[0] as RecordedRequest;
}

/** A claim's parameters in each form a Graph client may send them. */
type ParameterForm = "json" | "form" | "query" | "multipart" | "form-untyped" | "json-as-form";

function sendClaim(
  form: ParameterForm,
  phone: SeededPhone,
  params: Record<string, string>,
  auth: CallOptions = {},
): Promise<Answer> {
  const encoded = new URLSearchParams(params).toString();
  const base = { ...auth, headers: { ...auth.headers } };
  switch (form) {
    case "json":
      return callUsernameApi("claim", phone.phoneNumberId, { ...base, body: params });
    case "json-as-form":
      // curl -d sends JSON with its default form content type.
      base.headers["content-type"] = "application/x-www-form-urlencoded";
      return callUsernameApi("claim", phone.phoneNumberId, { ...base, rawBody: JSON.stringify(params) });
    case "form":
      base.headers["content-type"] = "application/x-www-form-urlencoded";
      return callUsernameApi("claim", phone.phoneNumberId, { ...base, rawBody: encoded, base64: true });
    case "form-untyped":
      // fbgraph sends its form without a Content-Type.
      return callUsernameApi("claim", phone.phoneNumberId, { ...base, rawBody: encoded, base64: true });
    case "query":
      return callUsernameApi("claim", phone.phoneNumberId, {
        ...base,
        rawQuery: [auth.rawQuery, encoded].filter(Boolean).join("&"),
      });
    case "multipart": {
      const boundary = "----graphclient7MA4YWxkTrZu0gW";
      const parts = Object.entries(params).map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      );
      base.headers["content-type"] = `multipart/form-data; boundary=${boundary}`;
      return callUsernameApi("claim", phone.phoneNumberId, {
        ...base,
        rawBody: Buffer.from(`${parts.join("")}--${boundary}--\r\n`),
        base64: true,
      });
    }
  }
}

const FORMS: ParameterForm[] = ["json", "form", "query", "multipart", "form-untyped", "json-as-form"];

describe("parameters in every form Graph takes", () => {
  it.each(FORMS)("%s: validated, and forwarded to Meta as the same JSON", async (form) => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();
    const username = uniqueUsername(form.replaceAll("-", "_"));

    const answer = await sendClaim(
      form,
      phone,
      { username, transfer_action: "none" },
      { apiKey: tenant.apiKey },
    );

    expect(answer.status, answer.body).toBe(200);
    const forwarded = onlyRequest();
    expect(forwarded.path).toBe(`/v24.0/${phone.phoneNumberId}/username`);
    expect(forwarded.headers["content-type"]).toBe("application/json");
    expect(forwarded.body).toBe(JSON.stringify({ username, transfer_action: "none" }));
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ username, status: "reserved" });
  });

  it("the body wins over the query string, per parameter", async () => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();
    const username = uniqueUsername("body_wins");

    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawQuery: "username=query_loses&transfer_action=force_transfer",
      body: { username },
    });

    expect(answer.status).toBe(200);
    expect(JSON.parse(onlyRequest().body)).toEqual({ username, transfer_action: "force_transfer" });
  });

  it.each<[string, CallOptions, RegExp]>([
    [
      "a repeated username in the query string",
      { rawQuery: "username=one_name&username=two_name" },
      /username is given more than once/,
    ],
    [
      "a repeated username in a form",
      {
        rawBody: "username=one_name&username=two_name",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      /username is given more than once/,
    ],
    [
      "a form transfer_action of the wrong value",
      { rawQuery: "username=lucky_form&transfer_action=steal" },
      /transfer_action must be one of: none, force_transfer/,
    ],
    ["a form with an empty username", { rawQuery: "username=" }, /username must be 3 to 35 characters/],
    ["no parameters at all", {}, /username is required/],
    [
      "a multipart body that is not multipart",
      { rawBody: "garbage", headers: { "content-type": "multipart/form-data; boundary=x" } },
      /not valid multipart\/form-data/,
    ],
    [
      "a form body that is not UTF-8",
      {
        rawBody: Buffer.from([0x75, 0x3d, 0xff, 0xfe]),
        base64: true,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      },
      /not valid UTF-8/,
    ],
  ])("%s: 400 code 100 naming it, nothing forwarded or stored", async (_what, options, message) => {
    const { tenant, phone } = await owner();
    const before = await snapshotState(phone.phoneNumberId);
    world.sandbox.clearRequests();

    const answer = await callUsernameApi("claim", phone.phoneNumberId, { apiKey: tenant.apiKey, ...options });

    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 100, type: "OAuthException" });
    expect(answer.json.error.message).toMatch(message);
    expect(world.sandbox.requests()).toEqual([]);
    await expectStateUnchanged(before);
  });

  it("a repeated name in the query string does not matter when the body gives it", async () => {
    const { tenant, phone } = await owner();
    const username = uniqueUsername("repeat_overridden");
    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawQuery: "username=a_one&username=a_two",
      body: { username },
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(world.sandbox.requests().at(-1)?.body ?? "")).toEqual({ username });
  });

  it("a file part is not a string: 400 naming the field", async () => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();
    const boundary = "b0undary";
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="username"; filename="name.txt"\r\n` +
      `Content-Type: text/plain\r\n\r\nlucky_file\r\n--${boundary}--\r\n`;
    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawBody: body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toMatch(/username must be a string, not an object/);
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("an Idempotency-Key sees the same request in another form: replayed, Meta called once", async () => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();
    const params = { username: uniqueUsername("idem_forms"), transfer_action: "none" };
    const auth = {
      apiKey: tenant.apiKey,
      headers: { "idempotency-key": `forms-${uniqueUsername("fidelity")}` },
    };

    const first = await sendClaim("json", phone, params, auth);
    const again = await sendClaim("form", phone, params, auth);
    const viaQuery = await sendClaim("query", phone, params, auth);

    expect(first.status).toBe(200);
    for (const replay of [again, viaQuery]) {
      expect(replay.status).toBe(200);
      expect(replay.body).toBe(first.body);
      expect(replay.headers["idempotent-replayed"]).toBe("true");
    }
    expect(world.sandbox.requests()).toHaveLength(1);
  });

  it("property: every form accepts exactly what JSON accepts and forwards the same bytes", async () => {
    const { tenant, phone } = await owner();
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        // Form encodings carry Unicode text; a lone surrogate is not text (JSON alone can carry it).
        usernameCandidate.filter((name) => name.isWellFormed()),
        fc.constantFrom(...FORMS),
        fc.constantFrom(undefined, "none", "force_transfer"),
        async (username, form, transfer) => {
          world.sandbox.clearRequests();
          const params: Record<string, string> = { username };
          if (transfer) params.transfer_action = transfer;
          // JSON-looking names would be read as JSON by the two sniffing forms: not this property's subject.
          const sniffed = form === "form-untyped" || form === "json-as-form";
          if (sniffed && /^\s*[{[]/.test(new URLSearchParams(params).toString())) return;

          const answer = await sendClaim(form, phone, params, { apiKey: tenant.apiKey });

          const requests = world.sandbox.requests();
          if (oracleAccepts(username)) {
            accepted += 1;
            expect(requests).toHaveLength(1);
            expect(requests[0]?.body).toBe(JSON.stringify(params));
            expect(answer.status === 200 || answer.json.error.code === 147001).toBe(true);
          } else {
            rejected += 1;
            expect(answer.status).toBe(400);
            expect(answer.json.error.code).toBe(100);
            expect(requests).toEqual([]);
          }
        },
      ),
      { numRuns: 120 },
    );
    expect(accepted).toBeGreaterThan(10);
    expect(rejected).toBeGreaterThan(10);
  });
});

describe("access_token as the API key", () => {
  const SOURCES: Array<[string, Operation, (key: string) => CallOptions]> = [
    ["the query string of a GET", "get", (key) => ({ rawQuery: `access_token=${key}` })],
    ["the query string of suggestions", "suggestions", (key) => ({ rawQuery: `access_token=${key}` })],
    [
      "the query string of a JSON POST",
      "claim",
      (key) => ({ rawQuery: `access_token=${key}`, body: { username: uniqueUsername("query_key") } }),
    ],
    [
      "a form field of a POST",
      "claim",
      (key) => ({
        rawBody: `username=${uniqueUsername("form_key")}&access_token=${key}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
    ],
    [
      "a field of a JSON POST",
      "claim",
      (key) => ({ body: { username: uniqueUsername("json_key"), access_token: key } }),
    ],
    [
      "a form field of a DELETE",
      "delete",
      (key) => ({
        rawBody: `access_token=${key}`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
    ],
  ];

  it.each(SOURCES)("in %s: accepted, and never forwarded to Meta", async (_where, operation, options) => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();

    const answer = await callUsernameApi(operation, phone.phoneNumberId, options(tenant.apiKey));

    expect(answer.status, answer.body).toBe(200);
    const forwarded = onlyRequest();
    expect(forwarded.path).not.toContain("?");
    expect(JSON.stringify(forwarded)).not.toContain(tenant.apiKey);
    expect(forwarded.body).not.toContain("access_token");
    expect(forwarded.headers.authorization).toBe(`Bearer ${phone.accessToken}`);
  });

  it.each<[string, (tenant: SeededTenant) => Promise<string> | string]>([
    ["a malformed key", () => "EAAGnotakey"],
    ["an unknown well-formed key", () => `wau_${"x".repeat(32)}`],
    [
      "a revoked key",
      async () => {
        const revoked = await seedTenant();
        await revokeApiKey(revoked.keyId);
        return revoked.apiKey;
      },
    ],
  ])("%s as access_token: 401 code 190 with WWW-Authenticate invalid_token", async (_what, keyOf) => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();
    const key = await keyOf(tenant);

    const answer = await callUsernameApi("get", phone.phoneNumberId, {
      rawQuery: `access_token=${encodeURIComponent(key)}`,
    });

    expect(answer.status).toBe(401);
    expect(answer.json.error).toMatchObject({ code: 190, type: "OAuthException" });
    expect(answer.headers["www-authenticate"]).toBe(
      `OAuth "Facebook Platform" "invalid_token" "${answer.json.error.message}"`,
    );
    expect(answer.body).not.toContain(key);
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("no key at all: 401 with WWW-Authenticate invalid_request", async () => {
    const { phone } = await owner();
    const answer = await callUsernameApi("get", phone.phoneNumberId);
    expect(answer.status).toBe(401);
    expect(answer.headers["www-authenticate"]).toMatch(/^OAuth "Facebook Platform" "invalid_request" "/);
  });

  it("the same key rules: another tenant's key through access_token sees code 33", async () => {
    const { phone } = await owner();
    const stranger = await seedTenant();
    world.sandbox.clearRequests();
    const answer = await callUsernameApi("get", phone.phoneNumberId, {
      rawQuery: `access_token=${stranger.apiKey}`,
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe(33);
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("a header key is used before access_token, and a repeated access_token counts as none", async () => {
    const { tenant, phone } = await owner();
    const withHeader = await callUsernameApi("get", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawQuery: "access_token=garbage",
    });
    expect(withHeader.status).toBe(200);
    const repeated = await callUsernameApi("get", phone.phoneNumberId, {
      rawQuery: `access_token=${tenant.apiKey}&access_token=${tenant.apiKey}`,
    });
    expect(repeated.status).toBe(401);
  });
});

describe("Graph's method=delete on a POST", () => {
  it("runs the DELETE: Meta gets a DELETE and the state becomes deleted", async () => {
    const { tenant, phone } = await owner();
    expect(
      (
        await callUsernameApi("claim", phone.phoneNumberId, {
          apiKey: tenant.apiKey,
          body: { username: uniqueUsername("fidelity") },
        })
      ).status,
    ).toBe(200);
    world.sandbox.clearRequests();

    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      rawQuery: "method=DELETE",
      rawBody: `access_token=${tenant.apiKey}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ success: true });
    expect(onlyRequest().method).toBe("DELETE");
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ status: "deleted" });
  });

  it("any other method is 400 code 100, nothing forwarded", async () => {
    const { tenant, phone } = await owner();
    world.sandbox.clearRequests();
    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      rawQuery: "method=put",
      body: { username: uniqueUsername("fidelity") },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.error.message).toMatch(/method must be post, get or delete/);
    expect(world.sandbox.requests()).toEqual([]);
  });
});

/** The listed Meta headers of the last answer the sandbox sent. */
function metaHeadersSent(): Record<string, string> {
  const sent = world.sandbox.requests().at(-1)?.response?.headers ?? {};
  return Object.fromEntries(
    PASSED_THROUGH_HEADERS.filter((name) => name in sent).map((name) => [name, sent[name] as string]),
  );
}

function headersPassedThrough(answer: Answer): Record<string, string> {
  return Object.fromEntries(
    PASSED_THROUGH_HEADERS.filter((name) => name in answer.headers).map((name) => [
      name,
      answer.headers[name] as string,
    ]),
  );
}

const PASS_THROUGH_EXAMPLES: MetaAnswerExampleName[] = [
  "unknown-error-untyped",
  "error-data-string",
  "blame-field",
  "business-use-case-throttle",
  "app-throttle",
  "error-with-extras",
];
const OPERATIONS: Operation[] = ["get", "suggestions", "claim", "delete"];

describe("Meta's answers pass through byte for byte, with the headers clients act on", () => {
  it.each(
    PASS_THROUGH_EXAMPLES.flatMap((example) => OPERATIONS.map((operation) => ({ example, operation }))),
  )("$operation answered with $example", async ({ example, operation }) => {
    const { tenant, phone } = await owner();
    world.sandbox.injectFault({ mode: "status", example, count: Number.POSITIVE_INFINITY });
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await callUsernameApi(operation, phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      ...(operation === "claim" ? { body: { username: uniqueUsername("fidelity") } } : {}),
    });
    world.sandbox.clearFaults();

    const sent = world.sandbox.requests().at(-1)?.response;
    expect(answer.status).toBe(META_ANSWER_EXAMPLES[example].status);
    expect(answer.body).toBe(META_ANSWER_EXAMPLES[example].body);
    expect(answer.body).toBe(sent?.body);
    expect(headersPassedThrough(answer)).toEqual(metaHeadersSent());
    for (const [name, value] of Object.entries(META_ANSWER_EXAMPLES[example].headers)) {
      expect(answer.headers[name], name).toBe(value);
    }
    expect(answer.headers["x-fb-trace-id"]).toBeDefined();
    await expectStateUnchanged(before);
  });

  it("a success carries Meta's headers too", async () => {
    const { tenant, phone } = await owner();
    const answer = await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    expect(answer.status).toBe(200);
    expect(headersPassedThrough(answer)).toEqual(metaHeadersSent());
    expect(answer.headers["x-business-use-case-usage"]).toContain(phone.wabaId);
  });

  it.each([
    ["an error that is a string", 400, '{"error":"nope"}'],
    ["an error that is null", 400, '{"error":null}'],
    ["an array of errors", 500, '[{"error":{"code":1}}]'],
    ["an HTML page", 503, "<html>Sorry, something went wrong</html>"],
    ["a 2xx that is not JSON", 200, "true-ish"],
  ])("%s is not a Meta error: 502 code 2, Meta's headers kept", async (_what, status, rawBody) => {
    const { tenant, phone } = await owner();
    world.sandbox.injectFault({ mode: "status", status, rawBody, headers: { "retry-after": "5" }, count: 5 });
    const before = await snapshotState(phone.phoneNumberId);

    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: uniqueUsername("fidelity") },
    });
    world.sandbox.clearFaults();

    expect(answer.status).toBe(502);
    expect(answer.json.error).toMatchObject({ code: 2, is_transient: true });
    expect(answer.headers["retry-after"]).toBe("5");
    expect(answer.headers["x-fb-trace-id"]).toBe(
      world.sandbox.requests().at(-1)?.response?.headers["x-fb-trace-id"],
    );
    await expectStateUnchanged(before);
  });
});

describe("an Idempotency-Key follows Meta's status and is_transient", () => {
  const CASES: Array<[MetaAnswerExampleName, "kept" | "released"]> = [
    ["error-data-string", "kept"],
    ["blame-field", "kept"],
    ["error-with-extras", "kept"],
    ["unknown-error-untyped", "released"],
    ["business-use-case-throttle", "released"],
    ["app-throttle", "released"],
    ["transient-retry-after", "released"],
  ];

  it.each(CASES)("%s: %s", async (example, outcome) => {
    const { tenant, phone } = await owner();
    const options = {
      apiKey: tenant.apiKey,
      body: { username: uniqueUsername("idem") },
      headers: { "idempotency-key": `meta-${uniqueUsername("fidelity")}` },
    };
    world.sandbox.injectFault({ mode: "status", example });
    const first = await callUsernameApi("claim", phone.phoneNumberId, options);
    expect(first.body).toBe(META_ANSWER_EXAMPLES[example].body);
    world.sandbox.clearRequests();

    const retry = await callUsernameApi("claim", phone.phoneNumberId, options);

    if (outcome === "kept") {
      expect(world.sandbox.requests()).toEqual([]);
      expect(retry.status).toBe(first.status);
      expect(retry.body).toBe(first.body);
      expect(retry.headers["idempotent-replayed"]).toBe("true");
      expect(headersPassedThrough(retry)).toEqual(headersPassedThrough(first));
    } else {
      expect(world.sandbox.requests()).toHaveLength(1);
      expect(retry.status).toBe(200);
    }
  });
});

describe("throttling is never retried; Retry-After is honoured within the budget", () => {
  it.each<[string, Parameters<typeof world.sandbox.injectFault>[0]]>([
    ["HTTP 429 (code 4)", { mode: "status", status: 429 }],
    ["80007 with 429", { mode: "status", example: "business-use-case-throttle" }],
    ["code 4 with HTTP 400", { mode: "status", example: "app-throttle" }],
    [
      "code 613 with HTTP 500",
      {
        mode: "status",
        status: 500,
        body: { error: { message: "(#613) Calls limit", type: "OAuthException", code: 613 } },
      },
    ],
    [
      "131056 with HTTP 503",
      {
        mode: "status",
        status: 503,
        body: { error: { message: "(#131056) Pair rate limit", code: 131056 } },
      },
    ],
  ])("a GET answered %s: one request, passed through", async (_what, fault) => {
    const { tenant, phone } = await owner();
    world.sandbox.injectFault({ ...fault, count: 5 });
    const answer = await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    world.sandbox.clearFaults();
    expect(world.sandbox.requests()).toHaveLength(1);
    expect(answer.body).toBe(world.sandbox.requests()[0]?.response?.body);
  });

  it("a transient 503 with Retry-After: 1 is retried no sooner than a second later", async () => {
    const { tenant, phone } = await owner();
    world.sandbox.injectFault({ mode: "status", example: "transient-retry-after" });

    const answer = await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expect(answer.status).toBe(200);
    const [first, second] = world.sandbox.requests();
    expect(second).toBeDefined();
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("a Retry-After beyond the budget is not waited for: the 503 passes through at once", async () => {
    const { tenant, phone } = await owner();
    world.sandbox.injectFault({
      mode: "status",
      example: "transient-retry-after",
      headers: { "retry-after": "60" },
    });

    const answer = await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expect(world.sandbox.requests()).toHaveLength(1);
    expect(answer.status).toBe(503);
    expect(answer.headers["retry-after"]).toBe("60");
    expect(answer.body).toBe(META_ANSWER_EXAMPLES["transient-retry-after"].body);
  });
});
