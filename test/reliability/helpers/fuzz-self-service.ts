/**
 * Generated raw requests for the tenant's self-service routes under `/v1` (webhook endpoints,
 * their delivery logs, API keys), each with labels that say what the service must answer, and a
 * model of the fuzz tenant's endpoints and keys that the valid requests change, so the oracle
 * knows what "own" means at the moment a request runs. The rules are restated from docs/spec.md
 * ("Self-service: webhook endpoints and API keys"), not taken from the service: the id formats,
 * the URL rules, the body fields, the order of checks, the per-tenant limits, another tenant's
 * object answered like an unknown one, and the cursor format (base64url of
 * `<listing>:<position>:<scope tag>`, as for the other `/v1` listings).
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { AuthLabel, FuzzWorld } from "./fuzz-requests.ts";
import { authArb, noiseHeaderArb } from "./fuzz-requests.ts";
import type { RawRequest } from "./gateway-event.ts";

export type IdLabel = "own" | "foreign" | "unknown" | "invalid";
export type SelfServiceListing = "webhook_endpoints" | "webhook_deliveries" | "api_keys";

/** What exists besides the model: another tenant's objects, and the fuzz tenant's events. */
export interface SelfServiceWorld extends FuzzWorld {
  /** The valid key's own id (never revoked by the fuzz: it would end every later run). */
  keyId: string;
  foreignEndpoint: string;
  foreignKey: string;
  ownEvents: string[];
  foreignEvent: string;
  endpointLimit: number;
  keyLimit: number;
}

/** The fuzz tenant's endpoints and keys as the valid requests left them (refreshed from the store when unsure). */
export interface SelfServiceModel {
  endpoints: string[];
  /** Endpoints whose event types leave out `username.updated`: the own events (ours) are not theirs. */
  outsideOnly: Set<string>;
  /** Keys other than the valid one, with whether they are active. */
  keys: Map<string, boolean>;
}

const ENDPOINT_ID = /^ep_[0-9a-f]{20}$/;
const KEY_ID = /^key_[0-9a-f]{16}$/;
const EVENT_ID = /^evt_[0-9A-Z]{26}$/;

export interface IdPick {
  label: IdLabel;
  /** The id for foreign, unknown and invalid; for own, chosen from the model when the request runs. */
  value?: string;
  pick: number;
}

export interface SelfServicePlan {
  kind: "self-service";
  method: string;
  id?: IdPick;
  eventId?: IdPick;
  auth: { headers: Array<[string, string]>; label: AuthLabel };
  /** Paging of a listing: parts made for the listing's scope, and whether it must accept them. */
  paging?: { parts: (scope: string) => string[]; valid: boolean; shown: string };
  body: { bytes: Buffer; contentType?: string; label: "none" | "valid" | "invalid" | "ignored" | "tooLarge" };
  noise: Array<[string, string]>;
}

export interface Resolved {
  request: RawRequest;
  /** The id and event id the request names, and what they are now. */
  id?: { value: string; label: IdLabel };
  eventId?: { value: string; label: IdLabel };
}

const oddId = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "..",
    "%",
    "ep_",
    "key_",
    "evt_",
    "EP_0123456789ABCDEF0123",
    " ep_0123456789abcdef0123",
    "null",
  ),
  fc.stringMatching(/^(ep|key|evt)_[0-9a-zA-Z]{0,30}$/),
);

function idArb(kind: "endpoint" | "key", world: SelfServiceWorld): fc.Arbitrary<IdPick> {
  const pattern = kind === "endpoint" ? ENDPOINT_ID : KEY_ID;
  const format = kind === "endpoint" ? /^ep_[0-9a-f]{20}$/ : /^key_[0-9a-f]{16}$/;
  const foreign = kind === "endpoint" ? world.foreignEndpoint : world.foreignKey;
  return fc.oneof(
    { weight: 4, arbitrary: fc.nat().map((pick) => ({ label: "own" as const, pick })) },
    { weight: 2, arbitrary: fc.constant({ label: "foreign" as const, value: foreign, pick: 0 }) },
    {
      weight: 2,
      arbitrary: fc
        .stringMatching(format)
        .filter((value) => value !== foreign && value !== world.keyId)
        .map((value) => ({ label: "unknown" as const, value, pick: 0 })),
    },
    {
      weight: 2,
      arbitrary: oddId
        .filter((value) => value !== "" && !pattern.test(value))
        .map((value) => ({ label: "invalid" as const, value, pick: 0 })),
    },
  );
}

function eventIdArb(world: SelfServiceWorld): fc.Arbitrary<IdPick> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.nat().map((pick) => ({ label: "own" as const, pick })) },
    { weight: 2, arbitrary: fc.constant({ label: "foreign" as const, value: world.foreignEvent, pick: 0 }) },
    {
      weight: 2,
      arbitrary: fc
        .stringMatching(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/)
        .filter((value) => !world.ownEvents.includes(value) && value !== world.foreignEvent)
        .map((value) => ({ label: "unknown" as const, value, pick: 0 })),
    },
    {
      weight: 1,
      arbitrary: oddId
        .filter((value) => value !== "" && !EVENT_ID.test(value))
        .map((value) => ({ label: "invalid" as const, value, pick: 0 })),
    },
  );
}

function scopeTag(listing: SelfServiceListing, scope: string): string {
  return createHash("sha256").update(`${listing}\n${scope}`).digest("base64url").slice(0, 12);
}

function cursorOf(listing: SelfServiceListing, scope: string, position: string): string {
  return Buffer.from(`${listing}:${position}:${scopeTag(listing, scope)}`).toString("base64url");
}

/** Positions each listing takes (any, whether or not an object stands there). */
function positionArb(listing: SelfServiceListing): fc.Arbitrary<string> {
  if (listing === "webhook_deliveries") return fc.integer({ min: 1, max: 999_999_999_999 }).map(String);
  if (listing === "api_keys") return fc.stringMatching(KEY_ID);
  return fc
    .tuple(
      fc.date({ min: new Date("2020-01-01"), max: new Date("2040-01-01"), noInvalidDate: true }),
      fc.stringMatching(ENDPOINT_ID),
    )
    .map(([date, id]) => `${date.toISOString()}/${id}`);
}

const OTHER_LISTINGS = [
  "phone_numbers",
  "username_history",
  "username_changes",
  "webhook_endpoints",
  "webhook_deliveries",
  "api_keys",
];

function pagingArb(listing: SelfServiceListing) {
  const limit = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ part: [] as string[], valid: true }) },
    {
      weight: 3,
      arbitrary: fc.integer({ min: 1, max: 100 }).map((n) => ({ part: [`limit=${n}`], valid: true })),
    },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom("0", "101", "-1", "1.5", "", "ten", "5,6", "1e1")
        .map((value) => ({ part: [`limit=${encodeURIComponent(value)}`], valid: false })),
    },
  );
  const name = fc.constantFrom("after", "before");
  const cursor = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ part: (() => []) as (scope: string) => string[], valid: true }) },
    {
      weight: 3,
      arbitrary: fc.tuple(name, positionArb(listing)).map(([n, position]) => ({
        part: (scope: string) => [`${n}=${cursorOf(listing, scope, position)}`],
        valid: true,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(name, fc.constantFrom(...OTHER_LISTINGS.filter((l) => l !== listing)), fc.nat(1000))
        .map(([n, other, p]) => ({
          part: (scope: string) => [`${n}=${cursorOf(other as SelfServiceListing, scope, String(p))}`],
          valid: false,
        })),
    },
    {
      // This listing's cursor of another scope (another tenant, another endpoint).
      weight: 1,
      arbitrary: fc.tuple(name, positionArb(listing)).map(([n, position]) => ({
        part: (scope: string) => [`${n}=${cursorOf(listing, `${scope}0`, position)}`],
        valid: false,
      })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(name, fc.oneof(fc.string({ maxLength: 30 }), fc.string({ minLength: 201, maxLength: 210 })))
        .map(([n, raw]) => ({ part: () => [`${n}=${encodeURIComponent(raw)}`], valid: false })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(positionArb(listing), positionArb(listing)).map(([a, b]) => ({
        part: (scope: string) => [
          `after=${cursorOf(listing, scope, a)}`,
          `before=${cursorOf(listing, scope, b)}`,
        ],
        valid: false,
      })),
    },
  );
  const noise = fc.constantFrom([], [], ["fields=id"], ["foo=bar"]);
  return fc.tuple(limit, cursor, noise).map(([l, c, n]) => ({
    parts: (scope: string) => [...l.part, ...c.part(scope), ...n],
    valid: l.valid && c.valid,
    shown: `${l.part.join("&")} ${c.valid ? "cursor ok" : "cursor bad"}`,
  }));
}

/** Content types whose body is read as JSON when it starts like JSON (request-parameters.ts). */
const jsonTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  undefined,
);

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the rule refuses.
const CONTROL = /[\u0000-\u001f\u007f]/;
const printable = (max: number) =>
  fc.string({ minLength: 1, maxLength: max }).filter((s) => s.trim() !== "" && !CONTROL.test(s));

const extraFields = fc.dictionary(
  fc.constantFrom("extra", "secret", "id", "__proto__", "tenant"),
  fc.jsonValue({ maxDepth: 1 }),
  {
    maxKeys: 2,
  },
);

type Body = SelfServicePlan["body"];
const json = (value: unknown, contentType?: string): Body => ({
  bytes: Buffer.from(JSON.stringify(value)),
  ...(contentType ? { contentType } : {}),
  label: "valid",
});
const invalid = (text: string, contentType: string | undefined = "application/json"): Body => ({
  bytes: Buffer.from(text),
  ...(contentType ? { contentType } : {}),
  label: "invalid",
});
const tooLarge = (limit: number): fc.Arbitrary<Body> =>
  fc.integer({ min: limit + 1, max: limit * 2 }).map((n) => ({
    bytes: Buffer.from(`{"url":"https://example.com/${"a".repeat(n)}"}`),
    contentType: "application/json",
    label: "tooLarge" as const,
  }));

const validUrl = fc
  .tuple(
    // A public address literal too (documentation ranges such as 203.0.113.0/24 are refused).
    fc.constantFrom("hooks.example.com", "example.org", "a.b.example.net", "93.184.215.14"),
    fc.stringMatching(/^[a-z0-9/_-]{0,40}$/),
  )
  .map(([host, path]) => `https://${host}/${path}`);

const badUrl = fc.oneof(
  fc.constantFrom(
    "http://example.com/hooks",
    "ftp://example.com/x",
    "https://10.0.0.8/x",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest",
    "https://100.64.0.1/",
    "https://[fd12::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://0.0.0.0/",
    "https://user:pw@example.com/",
    "https://example.com/#frag",
    "example.com/hooks",
    "//example.com/x",
    "javascript:alert(1)",
    "",
    `https://example.com/${"a".repeat(2100)}`,
  ),
  // Random text, never a URL the rules take (no scheme of theirs in it).
  fc.string({ maxLength: 20 }).filter((s) => !/http/i.test(s)),
);

/** `event_types` as the routes take them: a non-empty subset, each once. */
const eventTypesArb = fc.subarray(["username.updated", "username.changed_outside"], { minLength: 1 });
const badEventTypes = fc.constantFrom<unknown>(
  [],
  "",
  "username.deleted",
  ["username.updated", "username.updated"],
  [7],
  {},
);

function endpointBodyArb(limit: number): fc.Arbitrary<Body> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          validUrl,
          fc.option(printable(256), { nil: undefined }),
          fc.option(eventTypesArb, { nil: undefined }),
          extraFields,
          jsonTypes,
        )
        .map(([url, description, types, extra, type]) =>
          json(
            {
              ...extra,
              url,
              ...(description === undefined ? {} : { description }),
              ...(types === undefined ? {} : { event_types: types }),
            },
            type,
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validUrl, badEventTypes)
        .map(([url, types]) => invalid(JSON.stringify({ url, event_types: types }))),
    },
    { weight: 3, arbitrary: badUrl.map((url) => invalid(JSON.stringify({ url }))) },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constant({}),
          fc
            .jsonValue({ maxDepth: 1 })
            .map((url) => ({ url }))
            .filter((b) => typeof b.url !== "string"),
          fc
            .tuple(
              validUrl,
              fc.oneof(fc.constantFrom("", " ", "a\nb", "tab\there", "x".repeat(257)), fc.integer()),
            )
            .map(([url, description]) => ({ url, description })),
        )
        .map((value) => invalid(JSON.stringify(value))),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom("{", "[1]", "null", '"https://example.com"', "url=https://example.com"),
          fc.string({ maxLength: 20 }),
        )
        .filter((text) => !text.trimStart().startsWith("{") || text.trim() === "{")
        .map((text) => invalid(text)),
    },
    {
      weight: 1,
      arbitrary: fc.constant(invalid('{"url":"https://example.com/x"}', "multipart/form-data; boundary=x")),
    },
    { weight: 1, arbitrary: fc.constant<Body>({ bytes: Buffer.alloc(0), label: "invalid" }) },
    { weight: 1, arbitrary: tooLarge(limit) },
  );
}

/** `POST /v1/webhook_endpoints/{id}`: event types, a description (empty removes it), or both. */
function updateBodyArb(limit: number): fc.Arbitrary<Body> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.option(eventTypesArb, { nil: undefined }),
          fc.option(fc.oneof(fc.constant(""), printable(256)), { nil: undefined }),
          extraFields,
          jsonTypes,
        )
        .filter(([types, description]) => types !== undefined || description !== undefined)
        .map(([types, description, extra, type]) =>
          json(
            {
              ...extra,
              ...(types === undefined ? {} : { event_types: types }),
              ...(description === undefined ? {} : { description }),
            },
            type,
          ),
        ),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constant({}),
          badEventTypes.map((types) => ({ event_types: types })),
          fc.constantFrom(" ", "a\nb", "x".repeat(257), 7).map((description) => ({ description })),
        )
        .map((value) => invalid(JSON.stringify(value))),
    },
    { weight: 1, arbitrary: fc.constantFrom("{", "[1]", "null", "7").map((text) => invalid(text)) },
    { weight: 1, arbitrary: fc.constant<Body>({ bytes: Buffer.alloc(0), label: "invalid" }) },
    { weight: 1, arbitrary: tooLarge(limit) },
  );
}

/** `…/rotate_secret`: none, or an overlap from 0 to 7 days (JSON number or form digits). */
function rotateBodyArb(limit: number): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant<Body>({ bytes: Buffer.alloc(0), label: "none" }) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 604_800 }), extraFields, jsonTypes)
        .map(([seconds, extra, type]) => json({ ...extra, overlap_seconds: seconds }, type)),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 604_800 }).map((seconds) => ({
        bytes: Buffer.from(`overlap_seconds=${seconds}`),
        contentType: "application/x-www-form-urlencoded",
        label: "valid" as const,
      })),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom<unknown>(-1, 604_801, 1.5, "an hour", "", null, [60])
        .map((seconds) => invalid(JSON.stringify({ overlap_seconds: seconds }))),
    },
    { weight: 1, arbitrary: fc.constantFrom('""', "[1]", "null", "7").map((text) => invalid(text)) },
    { weight: 1, arbitrary: tooLarge(limit) },
  );
}

function keyBodyArb(limit: number): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<Body>({ bytes: Buffer.alloc(0), label: "valid" }) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.option(printable(100), { nil: undefined }), extraFields, jsonTypes)
        .map(([name, extra, type]) => json({ ...extra, ...(name === undefined ? {} : { name }) }, type)),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constantFrom("", " ", "a\nb", "x".repeat(101)),
          fc.integer(),
          fc.constant(null),
          fc.array(fc.nat(), { maxLength: 2 }),
        )
        .map((name) => invalid(JSON.stringify({ name }))),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom("{", "[1]", "null", "7", "name").map((text) => invalid(text)),
    },
    { weight: 1, arbitrary: fc.constant(invalid('{"name":"x"}', "multipart/form-data; boundary=x")) },
    { weight: 1, arbitrary: tooLarge(limit) },
  );
}

/** Bodies of routes that read none: none mostly, a small one (ignored), rarely one over the limit. */
function ignoredBodyArb(limit: number): fc.Arbitrary<Body> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant<Body>({ bytes: Buffer.alloc(0), label: "none" }) },
    {
      weight: 2,
      arbitrary: fc.json({ maxDepth: 2 }).map((text) => ({
        bytes: Buffer.from(text),
        contentType: "application/json",
        label: "ignored" as const,
      })),
    },
    { weight: 1, arbitrary: tooLarge(limit) },
  );
}

export function selfServicePlanArb(
  world: SelfServiceWorld,
  route: { method: string; path: string },
  bodyLimit: number,
): fc.Arbitrary<SelfServicePlan> {
  const keys = route.path.startsWith("/v1/api_keys");
  const listing: SelfServiceListing | undefined =
    route.method !== "GET" || route.path.endsWith("}")
      ? undefined
      : route.path.endsWith("/deliveries")
        ? "webhook_deliveries"
        : keys
          ? "api_keys"
          : "webhook_endpoints";
  const body =
    route.method === "POST" && route.path === "/v1/webhook_endpoints"
      ? endpointBodyArb(bodyLimit)
      : route.method === "POST" && route.path === "/v1/webhook_endpoints/{id}"
        ? updateBodyArb(bodyLimit)
        : route.method === "POST" && route.path.endsWith("/rotate_secret")
          ? rotateBodyArb(bodyLimit)
          : route.method === "POST" && route.path === "/v1/api_keys"
            ? keyBodyArb(bodyLimit)
            : ignoredBodyArb(bodyLimit);
  return fc
    .record({
      method: fc.oneof(
        { weight: 49, arbitrary: fc.constant(route.method) },
        { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "DELETE", "PUT") },
      ),
      id: route.path.includes("{id}") ? idArb(keys ? "key" : "endpoint", world) : fc.constant(undefined),
      eventId: route.path.includes("{event_id}") ? eventIdArb(world) : fc.constant(undefined),
      auth: authArb(world),
      paging: listing ? pagingArb(listing) : fc.constant(undefined),
      body,
      noise: noiseHeaderArb,
    })
    .map((plan) => {
      const value: SelfServicePlan = {
        kind: "self-service",
        method: plan.method,
        ...(plan.id ? { id: plan.id } : {}),
        ...(plan.eventId ? { eventId: plan.eventId } : {}),
        auth: plan.auth,
        ...(plan.paging ? { paging: plan.paging } : {}),
        body: plan.body,
        noise: plan.noise,
      };
      return Object.defineProperty(value, fc.toStringMethod, {
        value: () =>
          `${plan.method} ${route.path} id=${JSON.stringify(plan.id)} event=${JSON.stringify(plan.eventId)} auth=${plan.auth.label} ` +
          `paging=${plan.paging?.shown ?? "-"} body=${plan.body.label}:${JSON.stringify(plan.body.bytes.toString("utf8").slice(0, 120))} ` +
          `(${plan.body.bytes.length} bytes, ${plan.body.contentType ?? "no type"})`,
      });
    });
}

/** The own id a plan names now: one of the model's, or none left (then it is an unknown id). */
function ownId(pick: IdPick, candidates: readonly string[]): { value: string; label: IdLabel } {
  const value = candidates[pick.pick % Math.max(1, candidates.length)];
  return value === undefined
    ? { value: "ep_00000000000000000000", label: "unknown" }
    : { value, label: "own" };
}

/** The raw request of a plan, its own ids chosen from the model as it is now. */
export function resolvePlan(
  plan: SelfServicePlan,
  route: { path: string },
  world: SelfServiceWorld,
  model: SelfServiceModel,
): Resolved {
  const keys = route.path.startsWith("/v1/api_keys");
  let id: Resolved["id"];
  if (plan.id) {
    if (plan.id.label !== "own") id = { value: plan.id.value as string, label: plan.id.label };
    else if (keys) {
      const own = ownId(plan.id, [...model.keys.keys()]);
      id = own.label === "own" ? own : { value: "key_0000000000000000", label: "unknown" };
    } else id = ownId(plan.id, model.endpoints);
  }
  let eventId: Resolved["eventId"];
  if (plan.eventId) {
    eventId =
      plan.eventId.label === "own"
        ? { value: world.ownEvents[plan.eventId.pick % world.ownEvents.length] as string, label: "own" }
        : { value: plan.eventId.value as string, label: plan.eventId.label };
  }
  const path = route.path
    .replace("{id}", encodeURIComponent(id?.value ?? ""))
    .replace("{event_id}", encodeURIComponent(eventId?.value ?? ""));
  const scope = route.path.endsWith("/deliveries") ? (id?.value ?? "") : world.tenantId;
  const query = plan.paging?.parts(scope).join("&") ?? "";
  const headers: Array<[string, string]> = [...plan.auth.headers, ...plan.noise];
  if (plan.body.contentType) headers.push(["content-type", plan.body.contentType]);
  return {
    request: {
      method: plan.method,
      target: query ? `${path}?${query}` : path,
      headers,
      body: plan.body.bytes,
    },
    ...(id ? { id } : {}),
    ...(eventId ? { eventId } : {}),
  };
}

export type SelfServiceExpected = { status: number; code?: number };

/** What the route must answer, in the documented order of checks. */
export function expectedSelfService(
  plan: SelfServicePlan,
  resolved: Resolved,
  route: { method: string; path: string },
  world: SelfServiceWorld,
  model: SelfServiceModel,
  bodyLimit: number,
): SelfServiceExpected {
  if (resolved.id?.label === "invalid" || resolved.eventId?.label === "invalid")
    return { status: 400, code: 100 };
  if (plan.auth.label === "invalid") return { status: 401, code: 190 };
  if (plan.body.bytes.length > bodyLimit) return { status: 413, code: 100 };
  if (plan.body.label === "invalid") return { status: 400, code: 100 };
  if (plan.paging && !plan.paging.valid) return { status: 400, code: 100 };
  if (resolved.id && resolved.id.label !== "own") return { status: 400, code: 33 };
  if (resolved.eventId && resolved.eventId.label !== "own") return { status: 400, code: 33 };
  if (
    route.method === "POST" &&
    route.path === "/v1/webhook_endpoints" &&
    model.endpoints.length >= world.endpointLimit
  ) {
    return { status: 400, code: 100 };
  }
  if (route.method === "POST" && route.path === "/v1/api_keys") {
    const active = 1 + [...model.keys.values()].filter(Boolean).length;
    if (active >= world.keyLimit) return { status: 400, code: 100 };
  }
  // The own events are changes made through the service: not an outside-only endpoint's to redeliver.
  if (route.path.endsWith("/redeliver") && resolved.id && model.outsideOnly.has(resolved.id.value)) {
    return { status: 400, code: 100 };
  }
  return { status: 200 };
}
