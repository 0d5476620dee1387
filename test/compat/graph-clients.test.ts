/**
 * Compatibility with real Graph API clients from npm, over HTTP against the local gateway (the
 * very handlers the Lambdas run, DynamoDB Local, the Meta sandbox), each pointed at the gateway
 * by its own base-URL setting and nothing else:
 *  - Kapso's `@kapso/whatsapp-cloud-api` (`baseUrl` + `kapsoApiKey`: JSON, `X-API-Key`);
 *  - Meta's `facebook-nodejs-business-sdk` (`FacebookAdsApi.call` with its URL override: JSON
 *    bodies, the key as the `access_token` query parameter);
 *  - `fbgraph` (`setGraphUrl`: form-encoded bodies without a Content-Type, the key as an
 *    `access_token` form field or query parameter, DELETE as `POST ?method=delete`).
 * Each does get, suggestions, claim, delete, an invalid name (refused here, never forwarded) and
 * a Meta error (passed through as Meta sent it). No key ever reaches Meta or a gateway log line.
 */
import { GraphApiError, WhatsAppClient } from "@kapso/whatsapp-cloud-api";
import { FacebookAdsApi } from "facebook-nodejs-business-sdk";
import fbgraph from "fbgraph";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import { META_ANSWER_EXAMPLES } from "../../meta-sandbox/index.ts";
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
const VERSION = "v24.0";

let gateway: LocalGateway;
let tenant: SeededTenant;
const gatewayLog: string[] = [];

beforeAll(async () => {
  gateway = await startLocalGateway({ log: (line) => gatewayLog.push(line) });
  tenant = await seedTenant();
});
afterAll(async () => {
  await gateway?.close();
  // Nothing any client sent as its key may reach Meta or a gateway log line.
  const seenByMeta = JSON.stringify(world.sandbox.requests());
  expect(seenByMeta).not.toContain(tenant.apiKey);
  expect(gatewayLog.join("\n")).not.toContain(tenant.apiKey);
  expect(gatewayLog.join("\n")).not.toContain("access_token");
});
beforeEach(() => world.sandbox.clearRequests());

function baseUrl(): string {
  return `${gateway.url}/meta/whatsapp`;
}

/** What Meta last answered, exactly as the sandbox sent it. */
function lastMetaAnswer() {
  const response = world.sandbox.requests().at(-1)?.response;
  if (!response) throw new Error("Meta was not called");
  return response;
}

async function freshPhone(): Promise<SeededPhone> {
  const phone = await seedPhone(world, tenant);
  world.sandbox.clearRequests();
  return phone;
}

describe("Kapso's @kapso/whatsapp-cloud-api (baseUrl + kapsoApiKey)", () => {
  const kapso = () =>
    new WhatsAppClient({ baseUrl: baseUrl(), kapsoApiKey: tenant.apiKey, graphVersion: VERSION });

  it("get, suggestions, claim and delete", async () => {
    const phone = await freshPhone();
    const client = kapso();
    const username = uniqueUsername("kapso");

    expect(await client.request("GET", `${phone.phoneNumberId}/username`, { responseType: "json" })).toEqual(
      {},
    );
    const suggestions = await client.request<{ data: Array<{ usernameSuggestions: string[] }> }>(
      "GET",
      `${phone.phoneNumberId}/username_suggestions`,
      { responseType: "json" },
    );
    expect(suggestions.data[0]?.usernameSuggestions.length).toBeGreaterThan(0);
    const claimed = await client.request("POST", `${phone.phoneNumberId}/username`, {
      body: { username, transferAction: "none" },
      responseType: "json",
    });
    expect(claimed).toEqual({ status: "reserved" });
    expect(JSON.parse(world.sandbox.requests().at(-1)?.body ?? "")).toEqual({
      username,
      transfer_action: "none",
    });
    expect(await client.request("GET", `${phone.phoneNumberId}/username`, { responseType: "json" })).toEqual({
      username,
      status: "reserved",
    });
    expect(
      await client.request("DELETE", `${phone.phoneNumberId}/username`, { responseType: "json" }),
    ).toEqual({
      success: true,
    });
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ status: "deleted" });
  });

  it("an invalid name: a GraphApiError code 100, nothing forwarded", async () => {
    const phone = await freshPhone();
    const error = await kapso()
      .request("POST", `${phone.phoneNumberId}/username`, {
        body: { username: "lucky.shrub.com" },
        responseType: "json",
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).toMatchObject({ httpStatus: 400, code: 100, category: "parameter" });
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("Meta's errors: its code, trace id and throttle reach the SDK as Meta sent them", async () => {
    const phone = await freshPhone();
    const taken = uniqueUsername("kapso_taken");
    world.sandbox.markTaken(taken);
    const refused = await kapso()
      .request("POST", `${phone.phoneNumberId}/username`, { body: { username: taken }, responseType: "json" })
      .catch((e: unknown) => e as GraphApiError);
    const meta = JSON.parse(lastMetaAnswer().body);
    expect(refused).toMatchObject({ httpStatus: 400, code: 147001, fbtraceId: meta.error.fbtrace_id });

    world.sandbox.injectFault({ mode: "status", example: "business-use-case-throttle" });
    const throttled = await kapso()
      .request("GET", `${phone.phoneNumberId}/username`, { responseType: "json" })
      .catch((e: unknown) => e as GraphApiError);
    expect(throttled).toMatchObject({ httpStatus: 429, code: 80007, category: "throttling" });
    expect((throttled as GraphApiError).isRateLimit()).toBe(true);
    expect(world.sandbox.requests()).toHaveLength(2);
  });

  it("Meta's Retry-After reaches the SDK's retry hint", async () => {
    const phone = await freshPhone();
    world.sandbox.injectFault({
      mode: "status",
      example: "transient-retry-after",
      headers: { "retry-after": "60" },
    });
    const error = await kapso()
      .request("GET", `${phone.phoneNumberId}/username`, { responseType: "json" })
      .catch((e: unknown) => e as GraphApiError);
    expect(error).toMatchObject({ httpStatus: 503, code: 2 });
    expect((error as GraphApiError).retry.retryAfterMs).toBe(60_000);
  });
});

/** The fields of the SDK's FacebookRequestError (a class its entry point does not export). */
interface SdkRequestError {
  name: string;
  status: number;
  response: unknown;
  headers: Record<string, string>;
}

describe("Meta's facebook-nodejs-business-sdk (URL override, access_token in the query string)", () => {
  // crash_log false: the SDK would otherwise report uncaught exceptions to Meta.
  const api = () => new FacebookAdsApi(tenant.apiKey, "en_US", false);
  const call = (method: string, phone: SeededPhone, edge: string, params: Record<string, unknown> = {}) =>
    api().call(method, [phone.phoneNumberId, edge], params, {}, false, baseUrl()) as Promise<unknown>;

  it("speaks the version this proxy is documented with", () => {
    expect(FacebookAdsApi.VERSION).toBe(VERSION);
  });

  it("get, suggestions, claim and delete", async () => {
    const phone = await freshPhone();
    const username = uniqueUsername("fbsdk");

    expect(await call("GET", phone, "username")).toEqual({});
    const suggestions = (await call("GET", phone, "username_suggestions")) as {
      data: Array<{ username_suggestions: string[] }>;
    };
    expect(suggestions.data[0]?.username_suggestions.length).toBeGreaterThan(0);
    expect(await call("POST", phone, "username", { username })).toEqual({ status: "reserved" });
    expect(world.sandbox.requests().at(-1)?.body).toBe(JSON.stringify({ username }));
    expect(await call("GET", phone, "username")).toEqual({ username, status: "reserved" });
    expect(await call("DELETE", phone, "username")).toEqual({ success: true });
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ status: "deleted" });
  });

  it("an invalid name: FacebookRequestError 400 code 100, nothing forwarded", async () => {
    const phone = await freshPhone();
    const error = await call("POST", phone, "username", { username: "www_lucky" }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "FacebookRequestError",
      status: 400,
      response: { code: 100, type: "OAuthException" },
    });
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("Meta's error: the SDK sees Meta's own body and headers", async () => {
    const phone = await freshPhone();
    world.sandbox.injectFault({ mode: "status", example: "error-data-string" });
    const error = (await call("POST", phone, "username", { username: uniqueUsername("fbsdk_err") }).catch(
      (e: unknown) => e,
    )) as SdkRequestError;
    expect(error.name).toBe("FacebookRequestError");
    const sent = lastMetaAnswer();
    expect(error.status).toBe(400);
    expect(error.response).toEqual(JSON.parse(META_ANSWER_EXAMPLES["error-data-string"].body).error);
    expect(error.headers["x-fb-trace-id"]).toBe(sent.headers["x-fb-trace-id"]);
  });
});

/** fbgraph's callback API as a promise: resolves with the JSON, rejects with Graph's `error`. */
function fbgraphCall<T>(start: (callback: (error: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, result) => (error ? reject(error) : resolve(result)));
  });
}

describe("fbgraph (form-encoded, access_token as a form field and in the query string)", () => {
  beforeAll(() => {
    fbgraph.setGraphUrl(baseUrl());
    fbgraph.setVersion(VERSION.slice(1));
    fbgraph.setAccessToken(null);
  });

  const get = <T>(path: string) =>
    fbgraphCall<T>((cb) => fbgraph.get(path, { access_token: tenant.apiKey }, cb));
  const post = <T>(path: string, form: Record<string, string>) =>
    fbgraphCall<T>((cb) => fbgraph.post(path, { ...form, access_token: tenant.apiKey }, cb));
  const del = <T>(path: string) =>
    fbgraphCall<T>((cb) => fbgraph.del(path, { access_token: tenant.apiKey }, cb));

  it("get, suggestions, claim and delete", async () => {
    const phone = await freshPhone();
    const username = uniqueUsername("fbgraph");
    const path = `/${phone.phoneNumberId}/username`;

    expect(await get(path)).toEqual({});
    const suggestions = await get<{ data: Array<{ username_suggestions: string[] }> }>(
      `/${phone.phoneNumberId}/username_suggestions`,
    );
    expect(suggestions.data[0]?.username_suggestions.length).toBeGreaterThan(0);

    expect(await post(path, { username, transfer_action: "none" })).toEqual({ status: "reserved" });
    const claim = world.sandbox.requests().at(-1);
    expect(claim?.body).toBe(JSON.stringify({ username, transfer_action: "none" }));

    expect(await get(path)).toEqual({ username, status: "reserved" });
    expect(await del(path)).toEqual({ success: true });
    expect(world.sandbox.requests().at(-1)?.method).toBe("DELETE");
    expect((await storedState(phone.phoneNumberId)).phone).toMatchObject({ status: "deleted" });
  });

  it("the key in the query string (setAccessToken) works the same", async () => {
    const phone = await freshPhone();
    fbgraph.setAccessToken(tenant.apiKey);
    try {
      const answer = await fbgraphCall<unknown>((cb) =>
        fbgraph.post(`/${phone.phoneNumberId}/username`, { username: uniqueUsername("fbgraph_q") }, cb),
      );
      expect(answer).toEqual({ status: "reserved" });
    } finally {
      fbgraph.setAccessToken(null);
    }
  });

  it("an invalid name: Graph's error code 100, nothing forwarded", async () => {
    const phone = await freshPhone();
    const error = await post(`/${phone.phoneNumberId}/username`, { username: "lucky..shrub" }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 100, type: "OAuthException" });
    expect((error as { message: string }).message).toMatch(/two periods in a row/);
    expect(world.sandbox.requests()).toEqual([]);
  });

  it("Meta's error: exactly Meta's error object", async () => {
    const phone = await freshPhone();
    world.sandbox.injectFault({ mode: "status", example: "blame-field" });
    const error = await post(`/${phone.phoneNumberId}/username`, {
      username: uniqueUsername("fbgraph_err"),
    }).catch((e: unknown) => e);
    expect(error).toEqual(JSON.parse(lastMetaAnswer().body).error);
  });
});
