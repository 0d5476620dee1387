/**
 * Fuzz: fast-check drives every route of infra/routes.ts that reads its request (the username
 * routes, the webhook, the tenant read routes under /v1 and the self-service ones: webhook
 * endpoints, their delivery logs, API keys; GET /health reads nothing of it and
 * has its own property in test/integration/health.test.ts) with generated raw requests (methods,
 * paths and path parameters, odd auth headers, Idempotency-Keys, content types, bodies that are
 * huge, deep, non-UTF-8 or carry `__proto__` keys), turned into API Gateway events the way the
 * local gateway builds them (routing, percent-decoding, base64 by content type), and invoked on
 * the real handlers. For every answer:
 *  - the status and Graph error code are the ones an independent oracle expects;
 *  - it is a Graph-style error (graphErrorSchema) or the route's documented success;
 *  - security headers are present; no 5xx other than declared transient ones (code 2);
 *  - the sandbox received a request only for a fully valid one, and that request is valid;
 *  - an Idempotency-Key is honoured as the keys this very run has used say it must be
 *    (helpers/idempotency-model.ts): a key seen before replays or refuses, never runs twice;
 *  - a self-service request is answered as a model of the tenant's endpoints and keys says
 *    (helpers/fuzz-self-service.ts), another tenant's object like an unknown one, and no answer
 *    but a creation's or a rotation's carries a secret or a key;
 * and after each route's runs the table is unchanged outside what valid requests may change.
 * Generated inputs come from the run's seed (test/support/randomness.ts): a failure prints it.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueApiKey } from "../../functions/core/admin/admin.ts";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { graphErrorSchema } from "../../functions/core/errors/graph-error-envelope.ts";
import { newEventId } from "../../functions/core/event-id.ts";
import { revokeApiKey, tenantApiKeyEntries } from "../../functions/core/store/api-keys.ts";
import { appendToFeed } from "../../functions/core/store/event-feed.ts";
import { listEndpoints } from "../../functions/core/store/webhook-endpoints.ts";
import { subscribedTypes } from "../../functions/core/tenant-webhooks/event-types.ts";
import type { UsernameChangeEvent } from "../../functions/core/validation/tenant-api.ts";
import { type RouteDefinition, routes } from "../../infra/routes.ts";
import type { Answer } from "../support/lambda.ts";
import { oracleAccepts } from "../support/username-oracle.ts";
import { APP_SECRET, configureWebhookSecrets, VERIFY_TOKEN } from "../support/webhook-client.ts";
import { type SeededPhone, seedPhone, seedTenant, useWorld } from "../support/world.ts";
import { type Listing, type ReadCase, readCaseArb } from "./helpers/fuzz-read-requests.ts";
import {
  API_LIMIT,
  type FuzzWorld,
  type UsernameCase,
  usernameCaseArb,
  WEBHOOK_LIMIT,
  type WebhookCase,
  webhookCaseArb,
} from "./helpers/fuzz-requests.ts";
import {
  expectedSelfService,
  resolvePlan,
  type SelfServiceModel,
  type SelfServicePlan,
  type SelfServiceWorld,
  selfServicePlanArb,
} from "./helpers/fuzz-self-service.ts";
import { invokeRoute, routeKey, toGatewayEvent } from "./helpers/gateway-event.ts";
import { IdempotencyModel, type KeyedRequest, type Prediction } from "./helpers/idempotency-model.ts";
import { type PostIntent, postIntent } from "./helpers/parameter-oracle.ts";
import { expectConsistent, type Item, itemKey, scanTable } from "./helpers/store-snapshot.ts";

const world = useWorld();
/** Generated requests per route; some land on another route or none (API Gateway's 404). */
const RUNS_PER_USERNAME_ROUTE = Number(process.env.FUZZ_RUNS ?? 2_200);
const RUNS_WEBHOOK = Number(process.env.FUZZ_RUNS ?? 2_200);
const RUNS_PER_READ_ROUTE = Number(process.env.FUZZ_RUNS ?? 2_200);
const MIN_INVOCATIONS = Number(process.env.FUZZ_MIN_INVOCATIONS ?? 2_000);

let fuzz: FuzzWorld;
let own: SeededPhone;
/** Where the valid key's Idempotency-Keys live: its tenant and own number (the only one that gets that far). */
let keyScope: string;
let webhookPhone: SeededPhone;
let savedCacheTtl: string | undefined;
/** Which partitions valid requests may change; everything else must stay byte-identical. */
let mutablePartitions: Set<string>;
let selfService: SelfServiceWorld;
const model: SelfServiceModel = { endpoints: [], outsideOnly: new Set(), keys: new Map() };
/** Every key id the fuzz tenant's keys ever had (their id pointers may change). */
const fuzzKeyIds = new Set<string>();

const invocations = new Map<string, number>();
const outcomes = new Map<string, Map<string, number>>();
const acceptedRequestIds = new Set<string>();
/** Shared by every route's runs: POST and DELETE on one number share their keys. */
const idempotency = new IdempotencyModel();
let transient5xx = 0;
let unrouted = 0;

beforeAll(async () => {
  configureWebhookSecrets();
  savedCacheTtl = process.env.API_KEY_CACHE_TTL_MS;
  // A warm container: the valid key is looked up once, so most runs do no I/O at all.
  process.env.API_KEY_CACHE_TTL_MS = "600000";
  // The key's use recorded as in AWS (once per key per 5 minutes per container): its item may change.
  process.env.API_KEY_USE_PERIOD_SECONDS = "300";
  const tenant = await seedTenant();
  const other = await seedTenant();
  const revoked = await seedTenant();
  await revokeApiKey(revoked.keyId);
  own = await seedPhone(world, tenant);
  keyScope = `${tenant.tenantId}/${own.phoneNumberId}`;
  const foreign = await seedPhone(world, other);
  webhookPhone = await seedPhone(world, other);
  fuzz = {
    apiKey: tenant.apiKey,
    tenantId: tenant.tenantId,
    revokedKey: revoked.apiKey,
    ownPhone: own.phoneNumberId,
    foreignPhone: foreign.phoneNumberId,
    appSecret: APP_SECRET,
    verifyToken: VERIFY_TOKEN,
    webhookPhone: { wabaId: webhookPhone.wabaId, displayPhoneNumber: webhookPhone.displayPhoneNumber },
  };
  mutablePartitions = new Set([
    `PHONE#${own.phoneNumberId}`,
    `BUSINESS#${own.businessId}`,
    `IDEMPOTENCY#${tenant.tenantId}#${own.phoneNumberId}`,
    `RATELIMIT#${tenant.tenantId}`,
    `PHONE#${webhookPhone.phoneNumberId}`,
    `BUSINESS#${webhookPhone.businessId}`,
    // Self-service: the valid tenant's endpoints and key index.
    `ENDPOINTS#${tenant.tenantId}`,
    `APIKEYS#${tenant.tenantId}`,
  ]);
  fuzzKeyIds.add(tenant.keyId);
  // Another tenant's endpoint and events, and the valid tenant's events: what ids may name.
  const feedEvent = (phone: SeededPhone, n: number): UsernameChangeEvent => ({
    id: newEventId(),
    type: "username.updated",
    created_time: new Date().toISOString(),
    data: {
      phone_number_id: phone.phoneNumberId,
      waba_id: phone.wabaId,
      display_phone_number: phone.displayPhoneNumber,
      username: `fuzz_event_${n}`,
      status: "reserved",
      previous: {},
      source: "api",
      origin: "this_service",
    },
  });
  const ownEvents = [1, 2, 3].map((n) => feedEvent(own, n));
  const foreignEvent = feedEvent(foreign, 4);
  await appendToFeed(tenant.tenantId, 0, ownEvents);
  await appendToFeed(other.tenantId, 0, [foreignEvent]);
  selfService = {
    ...fuzz,
    keyId: tenant.keyId,
    foreignEndpoint: (await addEndpoint(other.tenantId, "https://other.example.com/hooks")).id,
    foreignKey: other.keyId,
    ownEvents: ownEvents.map((e) => e.id),
    foreignEvent: foreignEvent.id,
    endpointLimit: 10,
    keyLimit: 20,
  };
});

afterAll(() => {
  process.env.API_KEY_CACHE_TTL_MS = savedCacheTtl;
  const summary = Object.fromEntries(
    [...outcomes].map(([route, counts]) => [route, Object.fromEntries([...counts].sort())]),
  );
  console.info(
    JSON.stringify({
      fuzz: {
        invocations: Object.fromEntries(invocations),
        unrouted,
        transient5xx,
        idempotencyKeysRemembered: idempotency.size,
        outcomes: summary,
      },
    }),
  );
});

function count(route: RouteDefinition, outcome: string): void {
  const key = routeKey(route);
  invocations.set(key, (invocations.get(key) ?? 0) + 1);
  const counts = outcomes.get(key) ?? new Map<string, number>();
  counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  outcomes.set(key, counts);
}

// --- oracles ------------------------------------------------------------------------------

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function parseJson(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(strictUtf8.decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

type Expected = { status: number; code: number } | "meta";

/** What the username routes must answer, from the generator's labels (docs/spec.md, docs/reliability.md). */
function expectedUsername(
  c: UsernameCase,
  route: RouteDefinition,
  body: Buffer,
  intent: PostIntent,
): Expected {
  if (c.version === "invalid" || c.phone === "invalid") return { status: 400, code: 100 };
  if (c.auth === "invalid") return { status: 401, code: 190 };
  if (body.length > API_LIMIT) return { status: 413, code: 100 };
  if (route.method === "POST" && intent.kind === "refused") return { status: 400, code: 100 };
  // A GET, or a POST that `method=get` makes the GET, ignores the header.
  if (route.method !== "GET" && intent.kind !== "read" && c.idempotencyKey === "invalid")
    return { status: 400, code: 100 };
  if (c.phone !== "own") return { status: 400, code: 33 };
  return "meta";
}

function validSignature(body: Buffer, header: string | undefined): boolean {
  const expected = createHmac("sha256", APP_SECRET).update(body).digest();
  return (header ?? "").split(",").some((part) => {
    const hex = /^sha256=([0-9a-fA-F]{64})$/.exec(part.trim())?.[1];
    return hex !== undefined && timingSafeEqual(Buffer.from(hex, "hex"), expected);
  });
}

/** A signed delivery for another product of the app (`page`, `instagram`...): acknowledged, ignored. */
function isOtherObject(value: unknown): boolean {
  return isObject(value) && typeof value.object === "string" && value.object !== "whatsapp_business_account";
}

/** The webhook payload's shape (docs/spec.md, "The Meta webhook"), as far as the service must check it. */
function isWebhookPayload(value: unknown): boolean {
  if (!isObject(value) || value.object !== "whatsapp_business_account" || !Array.isArray(value.entry))
    return false;
  return value.entry.every(
    (entry) =>
      isObject(entry) &&
      typeof entry.id === "string" &&
      (entry.time === undefined || typeof entry.time === "number") &&
      (entry.changes === undefined ||
        (Array.isArray(entry.changes) &&
          entry.changes.every((change) => isObject(change) && typeof change.field === "string"))),
  );
}

// --- checks -------------------------------------------------------------------------------

function expectSecurityHeaders(answer: Answer): void {
  expect(answer.headers["cache-control"]).toBe("no-store");
  expect(answer.headers["x-content-type-options"]).toBe("nosniff");
}

function expectGraphError(answer: Answer, expected?: { status: number; code: number }): void {
  expect(graphErrorSchema.safeParse(answer.json).success, answer.body.slice(0, 300)).toBe(true);
  expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  if (expected) {
    expect({ status: answer.status, code: answer.json.error.code }).toEqual(expected);
  }
}

/** A 5xx is only ever a declared transient error (code 2, is_transient), e.g. Meta too slow. */
function expectNoUndeclared5xx(answer: Answer): void {
  if (answer.status < 500) return;
  transient5xx += 1;
  expect(answer.json?.error, answer.body.slice(0, 300)).toMatchObject({ code: 2, is_transient: true });
}

const DOCUMENTED_SUCCESS: Record<string, (json: Answer["json"]) => boolean> = {
  "GET username": (json) => isObject(json) && (json.status === undefined || typeof json.status === "string"),
  "GET username_suggestions": (json) =>
    Array.isArray(json?.data) && Array.isArray(json.data[0]?.username_suggestions),
  "POST username": (json) => typeof json?.status === "string",
  "DELETE username": (json) => typeof json?.success === "boolean",
};

function checkSandboxRequests(route: RouteDefinition, routedVersion: string | undefined, intent: PostIntent) {
  const requests = world.sandbox.requests();
  world.sandbox.clearRequests();
  const edge = route.path.endsWith("username_suggestions") ? "username_suggestions" : "username";
  for (const request of requests) {
    // Only ever our own number, with its token, on the routed edge, with exactly the valid parameters.
    expect(request.method).toBe(
      intent.kind === "delete" ? "DELETE" : intent.kind === "read" ? "GET" : route.method,
    );
    expect(request.path).toBe(`/${routedVersion}/${own.phoneNumberId}/${edge}`);
    expect(request.headers.authorization).toBe(`Bearer ${own.accessToken}`);
    if (intent.kind === "claim") {
      const forwarded = JSON.parse(request.body) as Record<string, unknown>;
      expect(forwarded).toEqual({
        username: intent.username,
        ...(intent.transferAction ? { transfer_action: intent.transferAction } : {}),
      });
      expect(oracleAccepts(String(forwarded.username))).toBe(true);
    } else {
      expect(request.body).toBe("");
    }
  }
  return requests.length;
}

async function runUsernameCase(c: UsernameCase): Promise<void> {
  const routed = toGatewayEvent(c.request);
  if (!routed) {
    unrouted += 1;
    return;
  }
  const { route, event } = routed;
  expect(route.audience).toBe("api");
  const body = c.request.body;
  const answer = await invokeRoute(routed);
  expectSecurityHeaders(answer);
  expectNoUndeclared5xx(answer);
  const intent: PostIntent =
    route.method === "POST"
      ? await postIntent(event.rawQueryString, body, event.headers["content-type"])
      : { kind: "refused" };
  const edgeKey = `${intent.kind === "delete" ? "DELETE" : intent.kind === "read" ? "GET" : route.method} ${route.path.split("/").at(-1)}`;
  const metaCalls = checkSandboxRequests(route, event.pathParameters?.version, intent);
  const expected = expectedUsername(c, route, body, intent);

  if (expected !== "meta") {
    count(route, `${expected.status}/${expected.code}`);
    expectGraphError(answer, expected);
    expect(metaCalls, "an invalid request reached Meta").toBe(0);
    return;
  }
  // GETs ignore the header; a POST or DELETE key is judged by what this run has already sent with it.
  const key =
    route.method === "GET" || intent.kind === "read" ? undefined : event.headers?.["idempotency-key"];
  // "The same request" as the service fingerprints it: the method it runs (`method=delete` makes a
  // POST the DELETE), the version, and only the parameters it forwards.
  const keyed: KeyedRequest = {
    method: intent.kind === "delete" ? "DELETE" : route.method,
    version: event.pathParameters?.version ?? "",
    ...(intent.kind === "claim"
      ? { parameters: { username: intent.username, transferAction: intent.transferAction } }
      : {}),
  };
  const prediction: Prediction =
    key === undefined ? { outcome: "run" } : idempotency.predict(keyScope, key, keyed);
  if (prediction.outcome === "conflict") {
    count(route, "422/idempotency");
    expectGraphError(answer, { status: 422, code: 100 });
    expect(metaCalls).toBe(0);
    return;
  }
  if (prediction.outcome === "replay") {
    count(route, "replayed");
    expect(answer.headers["idempotent-replayed"]).toBe("true");
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: prediction.status,
      body: prediction.body,
    });
    expect(metaCalls).toBe(0);
    return;
  }
  expect(answer.headers["idempotent-replayed"]).toBeUndefined();
  if (answer.status >= 500) {
    count(route, `${answer.status}/transient`);
    return;
  }
  // A valid request: Meta was asked exactly once and its answer came back.
  expect(metaCalls).toBe(1);
  acceptedRequestIds.add(event.requestContext.requestId);
  if (key !== undefined) idempotency.answered(keyScope, key, keyed, answer.status, answer.body);
  if (answer.status >= 200 && answer.status < 300) {
    count(route, "2xx");
    expect(DOCUMENTED_SUCCESS[edgeKey]?.(answer.json), answer.body).toBe(true);
  } else {
    count(route, `${answer.status}/meta`);
    expectGraphError(answer);
  }
}

async function runWebhookCase(c: WebhookCase): Promise<void> {
  const routed = toGatewayEvent(c.request);
  if (!routed) {
    unrouted += 1;
    return;
  }
  const { route, event } = routed;
  expect(route.audience).toBe("meta");
  const answer = await invokeRoute(routed);
  expectSecurityHeaders(answer);
  expectNoUndeclared5xx(answer);
  expect(world.sandbox.requests()).toEqual([]);

  if (route.method === "GET") {
    const query = event.queryStringParameters ?? {};
    const challenge = query["hub.challenge"];
    if (
      query["hub.mode"] === "subscribe" &&
      query["hub.verify_token"] === VERIFY_TOKEN &&
      challenge !== undefined
    ) {
      count(route, "200 challenge");
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(challenge);
      expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
    } else {
      count(route, "403/100");
      expectGraphError(answer, { status: 403, code: 100 });
      expect(answer.body).not.toContain(VERIFY_TOKEN);
    }
    return;
  }

  const body = c.request.body;
  const parsed = parseJson(body);
  let expected: { status: number; code?: number };
  if (body.length > WEBHOOK_LIMIT) expected = { status: 413, code: 100 };
  else if (!validSignature(body, event.headers["x-hub-signature-256"])) expected = { status: 401, code: 100 };
  else if (parsed.ok && isOtherObject(parsed.value)) expected = { status: 200 };
  else if (!parsed.ok || !isWebhookPayload(parsed.value)) expected = { status: 400, code: 100 };
  else expected = { status: 200 };
  count(route, `${expected.status}${expected.code ? `/${expected.code}` : ""}`);

  if (expected.status === 200) {
    expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    expect(answer.json).toMatchObject({ received: true, failed: 0 });
    acceptedRequestIds.add(event.requestContext.requestId);
  } else {
    expectGraphError(answer, expected as { status: number; code: number });
  }
}

/** What a /v1 route must answer, in the documented order of checks (docs/reliability.md). */
function expectedRead(c: ReadCase, body: Buffer): { status: number; code?: number } {
  if (c.phone === "invalid") return { status: 400, code: 100 };
  if (c.auth === "invalid") return { status: 401, code: 190 };
  if (body.length > API_LIMIT) return { status: 413, code: 100 };
  if (c.query === "invalid") return { status: 400, code: 100 };
  if (c.phone === "foreign" || c.phone === "unknown") return { status: 400, code: 33 };
  return { status: 200 };
}

/** The documented 200 of each /v1 route: Graph's paging envelope, or the number itself. */
function isReadSuccess(route: RouteDefinition, json: Answer["json"]): boolean {
  if (route.path.endsWith("{phone_number_id}")) return json?.id === own.phoneNumberId;
  return Array.isArray(json?.data) && isObject(json.paging) && isObject(json.paging.cursors);
}

/** One generated request for the /v1 route at `path`. */
async function runReadCase(c: ReadCase, path: string): Promise<void> {
  const routed = toGatewayEvent(c.request);
  if (!routed) {
    unrouted += 1;
    return;
  }
  const { route } = routed;
  const answer = await invokeRoute(routed);
  expectSecurityHeaders(answer);
  expectNoUndeclared5xx(answer);
  // A read never reaches Meta, whatever it is sent.
  expect(world.sandbox.requests()).toEqual([]);
  if (route.path !== path) {
    // Another method of the same path (rare), or an empty last segment, which API Gateway routes
    // as the path without it (`/v1/phone_numbers/` is the list's): that route's, counted apart.
    count(route, "other route");
    return;
  }
  if (answer.status >= 500) {
    count(route, `${answer.status}/transient`);
    return;
  }
  const expected = expectedRead(c, c.request.body);
  count(route, `${expected.status}${expected.code ? `/${expected.code}` : ""}`);
  if (expected.status === 200) {
    expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    expect(isReadSuccess(route, answer.json), answer.body.slice(0, 300)).toBe(true);
  } else {
    expectGraphError(answer, expected as { status: number; code: number });
  }
}

const RUNS_PER_SELF_SERVICE_ROUTE = Number(process.env.FUZZ_RUNS ?? 2_200);

/** The valid tenant's endpoints and keys (other than the valid one) as the store has them. */
async function refreshModel(): Promise<void> {
  const endpoints = await listEndpoints(fuzz.tenantId);
  model.endpoints = endpoints.map((endpoint) => endpoint.id);
  model.outsideOnly = new Set(
    endpoints.filter((endpoint) => !subscribedTypes(endpoint).includes("username.updated")).map((e) => e.id),
  );
  const { entries } = await tenantApiKeyEntries(fuzz.tenantId);
  model.keys = new Map(
    entries.filter((entry) => entry.id !== selfService.keyId).map((entry) => [entry.id, !entry.revokedAt]),
  );
  for (const entry of entries) fuzzKeyIds.add(entry.id);
}

/** Objects "own" ids can name: two endpoints and two active keys at least, when the limits allow. */
async function ensureOwnObjects(): Promise<void> {
  await refreshModel();
  for (let i = model.endpoints.length; i < 2; i++) {
    model.endpoints.push((await addEndpoint(fuzz.tenantId, `https://own.example.com/hooks/${i}`)).id);
  }
  for (let active = [...model.keys.values()].filter(Boolean).length; active < 2; active++) {
    const issued = await issueApiKey(fuzz.tenantId, "fuzz");
    model.keys.set(issued.id, true);
    fuzzKeyIds.add(issued.id);
  }
}

/** The documented 200 of each self-service route. */
function isSelfServiceSuccess(route: RouteDefinition, json: Answer["json"]): boolean {
  const key = routeKey(route);
  if (key === "POST /v1/webhook_endpoints") {
    return (
      /^ep_[0-9a-f]{20}$/.test(json?.id) && /^whsec_/.test(json?.secret) && typeof json?.url === "string"
    );
  }
  if (key === "POST /v1/api_keys") return /^key_[0-9a-f]{16}$/.test(json?.id) && /^wau_/.test(json?.key);
  if (key.endsWith("/rotate_secret"))
    return /^whsec_/.test(json?.secret) && typeof json?.previous_secret_expires_time === "string";
  if (route.method === "DELETE" || key.endsWith("/redeliver"))
    return json?.success === true && Object.keys(json).length === 1;
  if (key === "GET /v1/webhook_endpoints/{id}" || key === "POST /v1/webhook_endpoints/{id}")
    return /^ep_/.test(json?.id) && Array.isArray(json?.event_types) && !("secret" in json);
  return Array.isArray(json?.data) && isObject(json.paging) && isObject(json.paging.cursors);
}

/** What a valid request did, in the model. */
function applyToModel(route: RouteDefinition, id: string | undefined, json: Answer["json"]): void {
  const key = routeKey(route);
  const outsideOnly = (types: unknown) => Array.isArray(types) && !types.includes("username.updated");
  if (key === "POST /v1/webhook_endpoints") {
    model.endpoints.push(json.id);
    if (outsideOnly(json.event_types)) model.outsideOnly.add(json.id);
  } else if (key === "POST /v1/webhook_endpoints/{id}" && id) {
    if (outsideOnly(json.event_types)) model.outsideOnly.add(id);
    else model.outsideOnly.delete(id);
  } else if (key === "DELETE /v1/webhook_endpoints/{id}")
    model.endpoints = model.endpoints.filter((e) => e !== id);
  else if (key === "POST /v1/api_keys") {
    model.keys.set(json.id, true);
    fuzzKeyIds.add(json.id);
  } else if (key === "DELETE /v1/api_keys/{id}" && id) model.keys.set(id, false);
}

async function runSelfServiceCase(route: RouteDefinition, plan: SelfServicePlan): Promise<void> {
  const resolved = resolvePlan(plan, route, selfService, model);
  const routed = toGatewayEvent(resolved.request);
  if (!routed) {
    unrouted += 1;
    return;
  }
  const answer = await invokeRoute(routed);
  expectSecurityHeaders(answer);
  expectNoUndeclared5xx(answer);
  // Never a call to Meta.
  expect(world.sandbox.requests()).toEqual([]);
  const showsSecret = /^POST \/v1\/(webhook_endpoints|api_keys)$|\/rotate_secret$/.test(
    routeKey(routed.route),
  );
  if (!(showsSecret && answer.status === 200)) {
    expect(answer.body, "only a creation or a rotation shows a secret or a key").not.toMatch(
      /whsec_|wau_[A-Za-z0-9_-]{32}/,
    );
  }
  if (routed.route !== route) {
    // Another method of the same path: answered by that route, whose writes the model learns from the store.
    count(route, "other route");
    if (answer.status >= 400) expectGraphError(answer);
    await refreshModel();
    return;
  }
  if (answer.status >= 500) {
    count(route, `${answer.status}/transient`);
    await refreshModel();
    return;
  }
  const expected = expectedSelfService(plan, resolved, route, selfService, model, API_LIMIT);
  count(route, `${expected.status}${expected.code ? `/${expected.code}` : ""}`);
  if (expected.status === 200) {
    expect(answer.status, answer.body.slice(0, 300)).toBe(200);
    expect(isSelfServiceSuccess(route, answer.json), answer.body.slice(0, 300)).toBe(true);
    applyToModel(route, resolved.id?.value, answer.json);
  } else {
    expectGraphError(answer, expected as { status: number; code: number });
  }
}

// --- the runs -----------------------------------------------------------------------------

/** Items of the valid tenant that a valid self-service request may write outside its partitions. */
function changedBySelfService(item: Item): boolean {
  const pk = String(item.pk);
  if (/^(ENDPOINTID|APIKEY|DELIVERY)#/.test(pk) && item.tenantId === fuzz.tenantId) return true;
  // Every /v1 request counts against the tenant's limit, refused ones too (its counter of the minute).
  if (pk === `READLIMIT#${fuzz.tenantId}`) return true;
  return pk.startsWith("APIKEYID#") && fuzzKeyIds.has(pk.slice("APIKEYID#".length));
}

/** The table outside the partitions valid requests may change. */
async function immutableItems(): Promise<Item[]> {
  return (await scanTable()).filter(
    (item) => !mutablePartitions.has(String(item.pk)) && !changedBySelfService(item),
  );
}

async function expectStoreChangedOnlyByValidRequests(before: Item[]): Promise<void> {
  const after = await immutableItems();
  expect(after.map(itemKey)).toEqual(before.map(itemKey));
  expect(after).toEqual(before);
  for (const phone of [own, webhookPhone]) {
    const { history } = await expectConsistent(phone.phoneNumberId);
    // Every change comes from a request that was valid and answered as such.
    for (const event of history) expect(acceptedRequestIds.has(event.requestId ?? "")).toBe(true);
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

const USERNAME_ROUTES = routes.filter((route) => route.audience === "api" && route.path.startsWith("/meta/"));
const SELF_SERVICE = /^\/v1\/(webhook_endpoints|api_keys)/;
const READ_ROUTES = routes.filter((route) => route.path.startsWith("/v1/") && !SELF_SERVICE.test(route.path));
const SELF_SERVICE_ROUTES = routes.filter((route) => SELF_SERVICE.test(route.path));
const LISTING_OF: Record<string, Listing | undefined> = {
  "/v1/phone_numbers": "phone_numbers",
  "/v1/phone_numbers/{phone_number_id}/username_history": "username_history",
  "/v1/username_changes": "username_changes",
};

describe("fuzz: every route answers as documented, whatever it is sent", () => {
  it.each(USERNAME_ROUTES.map((route) => ({ key: routeKey(route), route })))(
    "$key",
    async ({ route }) => {
      const edge = route.path.endsWith("username_suggestions") ? "username_suggestions" : "username";
      const arbitrary = usernameCaseArb(fuzz, { method: route.method, edge }, `fuzz-reused-${route.method}`);
      const before = await immutableItems();
      await fc.assert(fc.asyncProperty(arbitrary, runUsernameCase), { numRuns: RUNS_PER_USERNAME_ROUTE });
      await expectStoreChangedOnlyByValidRequests(before);
    },
    240_000,
  );

  it("GET and POST /meta/whatsapp/webhook", async () => {
    const before = await immutableItems();
    await fc.assert(fc.asyncProperty(webhookCaseArb(fuzz), runWebhookCase), { numRuns: RUNS_WEBHOOK });
    await expectStoreChangedOnlyByValidRequests(before);
  }, 240_000);

  it.each(READ_ROUTES.map((route) => ({ key: routeKey(route), route })))(
    "$key",
    async ({ route }) => {
      const listing = LISTING_OF[route.path];
      const arbitrary = readCaseArb(fuzz, { path: route.path, ...(listing ? { listing } : {}) }, API_LIMIT);
      // Reads change nothing at all but the tenants' read counters (their fair share, counted per read).
      const uncounted = async () =>
        (await immutableItems()).filter((item) => !String(item.pk).startsWith("READLIMIT#"));
      const before = await uncounted();
      await fc.assert(
        fc.asyncProperty(arbitrary, (c) => runReadCase(c, route.path)),
        { numRuns: RUNS_PER_READ_ROUTE },
      );
      expect(await uncounted()).toEqual(before);
    },
    240_000,
  );

  it.each(SELF_SERVICE_ROUTES.map((route) => ({ key: routeKey(route), route })))(
    "$key",
    async ({ route }) => {
      await ensureOwnObjects();
      const arbitrary = selfServicePlanArb(selfService, route, API_LIMIT);
      const before = await immutableItems();
      await fc.assert(
        fc.asyncProperty(arbitrary, (plan) => runSelfServiceCase(route, plan)),
        { numRuns: RUNS_PER_SELF_SERVICE_ROUTE },
      );
      await expectStoreChangedOnlyByValidRequests(before);
      // The model of what valid requests did is the store's truth.
      const modelled = { endpoints: [...model.endpoints].sort(), keys: [...model.keys].sort() };
      await refreshModel();
      expect(modelled).toEqual({ endpoints: [...model.endpoints].sort(), keys: [...model.keys].sort() });
    },
    240_000,
  );

  it(`every handler got at least ${MIN_INVOCATIONS} requests, most refused before any I/O`, () => {
    const perHandler = new Map<string, number>();
    // Operators' probe and the console's static files read no input worth fuzzing (the console's
    // paths have a property test of their own, test/console/console-handler.test.ts).
    for (const route of routes.filter((r) => r.audience !== "operator" && r.audience !== "console")) {
      const n = invocations.get(routeKey(route)) ?? 0;
      perHandler.set(route.handler, (perHandler.get(route.handler) ?? 0) + n);
    }
    for (const [handler, n] of perHandler) expect(n, handler).toBeGreaterThanOrEqual(MIN_INVOCATIONS);
    // The valid fraction is small but real: each username route reached Meta, the webhook applied changes.
    for (const route of USERNAME_ROUTES) {
      const counts = outcomes.get(routeKey(route));
      expect((counts?.get("2xx") ?? 0) + (counts?.get("replayed") ?? 0), routeKey(route)).toBeGreaterThan(0);
    }
    // Each self-service route did its work, and refused another tenant's objects.
    for (const route of SELF_SERVICE_ROUTES) {
      const counts = outcomes.get(routeKey(route));
      expect(counts?.get("200") ?? 0, routeKey(route)).toBeGreaterThan(0);
      if (route.path.includes("{id}")) expect(counts?.get("400/33") ?? 0, routeKey(route)).toBeGreaterThan(0);
    }
  });
});
