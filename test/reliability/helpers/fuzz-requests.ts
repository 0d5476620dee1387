/**
 * Generated raw HTTP requests for the fuzz test, each with labels that say what the service
 * must answer, decided independently of the service's code (the username rules by the oracle of
 * test/support/username-oracle.ts, the rest by docs/spec.md's rules restated here). Labels say
 * what a request is on its own; what a key means after the run has used it is the oracle's
 * business (helpers/idempotency-model.ts): "valid" keys are short and do recur.
 */
import fc from "fast-check";
import { signWebhookBody } from "../../../meta-sandbox/index.ts";
import { usernameCandidate } from "../../support/username-arbitraries.ts";
import { oracleAccepts } from "../../support/username-oracle.ts";
import type { RawRequest } from "./gateway-event.ts";

export const API_LIMIT = 16 * 1024;
export const WEBHOOK_LIMIT = 3 * 1024 * 1024;
const VERSION = /^v\d{1,3}\.\d{1,3}$/;
const PHONE_ID = /^\d{1,20}$/;

export interface FuzzWorld {
  /** The one tenant whose key is valid, and its phone number (the sandbox knows it). */
  apiKey: string;
  /** The valid key's tenant (the scope of its feed and number list cursors). */
  tenantId: string;
  revokedKey: string;
  ownPhone: string;
  /** Registered to another tenant. */
  foreignPhone: string;
  appSecret: string;
  verifyToken: string;
  /** The number webhook payloads may really change (WABA id + display digits). */
  webhookPhone: { wabaId: string; displayPhoneNumber: string };
}

export type AuthLabel = "valid" | "invalid";
export type PhoneLabel = "own" | "foreign" | "unknown" | "invalid";
export type KeyLabel = "absent" | "valid" | "invalid" | "reused";

export interface UsernameCase {
  kind: "username";
  request: RawRequest;
  version: "valid" | "invalid";
  phone: PhoneLabel;
  auth: AuthLabel;
  idempotencyKey: KeyLabel;
}

export interface WebhookCase {
  kind: "webhook";
  request: RawRequest;
}

/** How fast-check prints a failing case: readable, and short even when the body is megabytes. */
function printable<T extends { request: RawRequest }>(value: T): T {
  const { method, target, headers, body } = value.request;
  const text = body.toString("utf8");
  const shownBody =
    text.length > 300
      ? `${JSON.stringify(text.slice(0, 300))}... (${body.length} bytes)`
      : JSON.stringify(text);
  const shownHeaders = headers.map(([name, v]) => [
    name,
    v.length > 80 ? `${v.slice(0, 80)}... (${v.length})` : v,
  ]);
  const { request: _request, ...labels } = value;
  return Object.defineProperty(value, fc.toStringMethod, {
    value: () =>
      `${method} ${target.slice(0, 200)} headers=${JSON.stringify(shownHeaders)} body=${shownBody} ${JSON.stringify(labels)}`,
  });
}

const anyMethod = fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS");

/** Mostly the route's own method; sometimes another (API Gateway routes it elsewhere, or 404s). */
function methodFor(method: string) {
  return fc.oneof({ weight: 49, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: anyMethod });
}

const oddString = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.constantFrom(
    "..",
    ".",
    "%",
    "%00",
    "%2F",
    "\u0000",
    "ü",
    "𝒳",
    "<script>",
    "' OR 1=1",
    "\u0024{x}",
    "\\",
  ),
);

/** A path segment: percent-encoded (so it stays one segment) or, rarely, raw. */
function segment(value: string, raw: boolean): string {
  return raw ? value : encodeURIComponent(value);
}

function versionArb() {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.nat(999), fc.nat(999))
        .map(([a, b]) => ({ value: `v${a}.${b}`, label: "valid" as const })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom("v24", "24.0", "v24.0.1", "V24.0", "v24.0 ", "v1000.0", "v-1.0", "v24.", "vv24.0"),
          oddString,
        )
        .filter((v) => !VERSION.test(v))
        .map((value) => ({ value, label: "invalid" as const })),
    },
  );
}

/** A phone number id for a path, labelled: the caller's, another tenant's, unknown, or malformed. */
export function phoneArb(world: FuzzWorld) {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ value: world.ownPhone, label: "own" as PhoneLabel }) },
    { weight: 2, arbitrary: fc.constant({ value: world.foreignPhone, label: "foreign" as PhoneLabel }) },
    {
      weight: 2,
      arbitrary: fc
        .stringMatching(/^\d{1,20}$/)
        .filter((id) => id !== world.ownPhone && id !== world.foreignPhone)
        .map((value) => ({ value, label: "unknown" as PhoneLabel })),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.stringMatching(/^\d{21,25}$/),
          oddString,
          fc.constantFrom("-1", "1e5", "0x10", "１２３", " 12"),
        )
        .filter((id) => !PHONE_ID.test(id))
        .map((value) => ({ value, label: "invalid" as PhoneLabel })),
    },
  );
}

/** Authentication headers: valid in several spellings, or one of many ways to be wrong. */
export function authArb(
  world: FuzzWorld,
): fc.Arbitrary<{ headers: Array<[string, string]>; label: AuthLabel }> {
  const key = world.apiKey;
  const valid = fc.constantFrom<Array<[string, string]>>(
    [["x-api-key", key]],
    [["X-API-Key", key]],
    [["x-api-key", `  ${key} `]],
    [["authorization", `Bearer ${key}`]],
    [["Authorization", `bearer   ${key}  `]],
    [["authorization", `OAuth ${key}`]],
    [
      ["x-api-key", ""],
      ["authorization", `Bearer ${key}`],
    ],
  );
  const wellFormedUnknown = fc
    .stringMatching(/^[A-Za-z0-9_-]{32}$/)
    .map((tail): Array<[string, string]> => [["x-api-key", `wau_${tail}`]]);
  // Keys that look valid cost a storage read each (unknown, revoked): a small share of the mix.
  const invalid = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Array<[string, string]>>([]) },
    fc.constantFrom<Array<[string, string]>>(
      [["x-api-key", world.revokedKey]],
      [["x-api-key", `${key},${key}`]],
      [
        ["x-api-key", key],
        ["x-api-key", key],
      ],
      [
        ["x-api-key", "wau_wrong"],
        ["authorization", `Bearer ${key}`],
      ],
      [["authorization", key]],
      [["authorization", `Basic ${Buffer.from(`user:${key}`).toString("base64")}`]],
      [["authorization", `Bearer ${key} extra`]],
      [["authorization", "Bearer"]],
      [["x-api-key", key.slice(0, -1)]],
      [["x-api-key", `${key}x`]],
      [["x-api-key", key.toUpperCase()]],
      [["x-api-key", "x".repeat(8_192)]],
      [["x-api-key-", key]],
      [["api-key", key]],
    ),
    { weight: 1, arbitrary: wellFormedUnknown },
    { weight: 3, arbitrary: oddString.map((value): Array<[string, string]> => [["x-api-key", value]]) },
    {
      weight: 3,
      arbitrary: oddString.map((value): Array<[string, string]> => [["authorization", `Bearer ${value}`]]),
    },
  );
  return fc.oneof(
    // Most runs are refused before any I/O; a fifth carry a valid key and go further.
    { weight: 1, arbitrary: valid.map((headers) => ({ headers, label: "valid" as const })) },
    { weight: 4, arbitrary: invalid.map((headers) => ({ headers, label: "invalid" as const })) },
  );
}

function idempotencyKeyArb(reusedKey: string) {
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc.constant({ headers: [] as Array<[string, string]>, label: "absent" as KeyLabel }),
    },
    {
      weight: 3,
      arbitrary: fc.stringMatching(/^[!-~]{1,64}$/).map((key) => ({
        headers: [["Idempotency-Key", key]] as Array<[string, string]>,
        label: "valid" as KeyLabel,
      })),
    },
    {
      weight: 2,
      arbitrary: fc.constant({
        headers: [["idempotency-key", reusedKey]] as Array<[string, string]>,
        label: "reused" as KeyLabel,
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .oneof(
          fc.constantFrom("", " ", " lead", "trail ", "k".repeat(256), "clé", "tab\tkey", "nul\u0000"),
          oddString,
        )
        .filter((key) => !/^[!-~](?:[ -~]{0,253}[!-~])?$/.test(key))
        .map((key) => ({
          headers: [["idempotency-key", key]] as Array<[string, string]>,
          label: "invalid" as KeyLabel,
        })),
    },
  );
}

const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/xml",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "image/png",
  undefined,
);

/** Headers nobody reads, so they must change nothing. */
export const noiseHeaderArb: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.tuple(
    fc
      .stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
      .filter(
        (name) =>
          ![
            "x-api-key",
            "authorization",
            "idempotency-key",
            "content-type",
            "x-hub-signature-256",
            "cookie",
            "host",
          ].includes(name),
      ),
    fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("__proto__", "constructor", "wau_notakey")),
  ),
  { maxLength: 3 },
);

const validName = fc
  .stringMatching(/^[a-z][a-z0-9_]{2,24}$/)
  .filter((name) => oracleAccepts(name))
  .map((name) => `fz_${name}`.slice(0, 35));

/** JSON nested `depth` levels deep (arrays or objects), small in bytes. */
function deep(depth: number, objects: boolean): string {
  return objects
    ? `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
    : `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

/** `json` plus a `padding` field, `size` bytes in all (built by concatenation: sizes reach megabytes). */
function padTo(json: Record<string, unknown>, size: number): string {
  const head = `${JSON.stringify(json).slice(0, -1)}${Object.keys(json).length > 0 ? "," : ""}"padding":"`;
  return `${head}${"p".repeat(Math.max(0, size - head.length - 2))}"}`;
}

/** Bodies for the username routes: valid claims, near-misses, junk, huge, deep, non-UTF-8. */
export const usernameBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(Buffer.alloc(0)) },
  {
    weight: 5,
    arbitrary: fc
      .record(
        {
          username: validName,
          transfer_action: fc.constantFrom("none", "force_transfer"),
          extra: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: ["username"] },
      )
      .map((body) => Buffer.from(JSON.stringify(body))),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        usernameCandidate,
        fc.option(fc.constantFrom("none", "force_transfer", "NONE", "", 1), { nil: undefined }),
      )
      .map(([username, transfer_action]) => Buffer.from(JSON.stringify({ username, transfer_action }))),
  },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(validName, fc.nat(4))
      .map(([name, variant]) =>
        Buffer.from(
          [
            `{"__proto__":{"polluted":1},"username":"${name}"}`,
            `{"username":"${name}","constructor":{"prototype":{"polluted":1}}}`,
            `{"username":"${name}","__proto__":{"username":"www.evil.com"}}`,
            `{"__proto__":{"username":"${name}"}}`,
            `{"username":"${name}","x":{"__proto__":{"isAdmin":true}}}`,
          ][variant] as string,
        ),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 9_000 }), fc.boolean(), validName)
      .map(([depth, objects, name]) =>
        Buffer.from(`{"username":"${name}","nested":${deep(depth, objects)}}`),
      ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: API_LIMIT - 2, max: API_LIMIT * 3 }), validName)
      .map(([size, username]) => Buffer.from(padTo({ username }, size))),
  },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ minLength: 1, maxLength: 120 }).map((bytes) => Buffer.from(bytes)),
  },
  {
    weight: 1,
    arbitrary: validName.map((name) =>
      Buffer.concat([Buffer.from(`{"username":"${name}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    ),
  },
  { weight: 1, arbitrary: validName.map((name) => Buffer.from(`username=${name}&transfer_action=none`)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Buffer.from("null"), Buffer.from("[]"), Buffer.from('"x"'), Buffer.from("{")),
  },
);

/** The route's path with both parameters substituted (as a client would send them). */
function usernamePath(
  edge: "username" | "username_suggestions",
  version: string,
  phone: string,
  raw: boolean,
) {
  return `/meta/whatsapp/${segment(version, raw)}/${segment(phone, raw)}/${edge}`;
}

export function usernameCaseArb(
  world: FuzzWorld,
  route: { method: string; edge: "username" | "username_suggestions" },
  reusedKey: string,
): fc.Arbitrary<UsernameCase> {
  return fc
    .record({
      method: methodFor(route.method),
      edge: fc.oneof(
        { weight: 49, arbitrary: fc.constant(route.edge) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("username", "username_suggestions") as fc.Arbitrary<
            "username" | "username_suggestions"
          >,
        },
      ),
      version: versionArb(),
      phone: phoneArb(world),
      rawSegments: fc.nat(39).map((n) => n === 0),
      query: fc.oneof(
        { weight: 9, arbitrary: fc.constant("") },
        { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((q) => `?${encodeURIComponent(q)}=1`) },
        // Graph's parameters in the query string: alone, repeated, or beside a body that may win.
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              validName,
              fc.constantFrom("", "&transfer_action=none", "&username=fz_twice", "&transfer_action=x"),
            )
            .map(([name, more]) => `?username=${name}${more}`),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom("?method=delete", "?method=DELETE", "?method=post", "?method=get"),
        },
      ),
      auth: authArb(world),
      key: idempotencyKeyArb(reusedKey),
      contentType,
      noise: noiseHeaderArb,
      body: usernameBody,
    })
    .map((c) => {
      const headers: Array<[string, string]> = [...c.auth.headers, ...c.key.headers, ...c.noise];
      if (c.contentType) headers.push(["Content-Type", c.contentType]);
      return printable({
        kind: "username" as const,
        request: {
          method: c.method,
          target: `${usernamePath(c.edge, c.version.value, c.phone.value, c.rawSegments)}${c.query}`,
          headers,
          body: c.body,
        },
        version: c.version.label,
        phone: c.phone.label,
        auth: c.auth.label,
        idempotencyKey: c.key.label,
      });
    });
}

// --- webhook ------------------------------------------------------------------------------

const webhookFields = fc.constantFrom(
  "business_username_updates",
  "business_username_update",
  "messages",
  "statuses",
);

function changeValue(world: FuzzWorld, knownNumber: boolean) {
  return fc.record(
    {
      display_phone_number: knownNumber
        ? fc.constantFrom(world.webhookPhone.displayPhoneNumber, `+${world.webhookPhone.displayPhoneNumber}`)
        : fc.oneof(fc.stringMatching(/^\d{6,15}$/), fc.string({ maxLength: 12 })),
      username: fc.oneof(validName, fc.string({ maxLength: 12 })),
      status: fc.oneof(fc.constantFrom("approved", "reserved", "deleted"), fc.string({ maxLength: 10 })),
      context: fc.constantFrom("revoked", "other"),
    },
    { requiredKeys: ["status"] },
  );
}

function webhookPayload(world: FuzzWorld) {
  const entry = (knownNumber: boolean) =>
    fc.record(
      {
        id: knownNumber ? fc.constant(world.webhookPhone.wabaId) : fc.stringMatching(/^\d{1,15}$/),
        time: fc.integer({ min: 0, max: 2_000_000_000 }),
        changes: fc.array(fc.record({ field: webhookFields, value: changeValue(world, knownNumber) }), {
          maxLength: 3,
        }),
      },
      { requiredKeys: ["id"] },
    );
  return fc
    .tuple(
      fc.array(fc.oneof({ weight: 1, arbitrary: entry(true) }, { weight: 3, arbitrary: entry(false) }), {
        maxLength: 3,
      }),
      fc.constantFrom("whatsapp_business_account", "page", "whatsapp_business_account"),
    )
    .map(([entries, object]) => JSON.stringify({ object, entry: entries }));
}

const webhookBody = (world: FuzzWorld): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { weight: 36, arbitrary: webhookPayload(world).map((text) => Buffer.from(text)) },
    {
      weight: 9,
      arbitrary: webhookPayload(world).map((text) =>
        Buffer.from(
          text.replace(
            '{"object"',
            '{"__proto__":{"polluted":1},"constructor":{"prototype":{"p":1}},"object"',
          ),
        ),
      ),
    },
    { weight: 18, arbitrary: fc.json({ maxDepth: 3 }).map((text) => Buffer.from(text)) },
    { weight: 18, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 9,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 200_000 }), fc.boolean())
        .map(([depth, objects]) =>
          Buffer.from(
            `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":${deep(depth, objects)}}]}]}`,
          ),
        ),
    },
    // Rare (about 1 in 100), as they cost megabytes each: at and just over the limit.
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: WEBHOOK_LIMIT - 2, max: WEBHOOK_LIMIT + 2 })
        .map((size) => Buffer.from(padTo({ object: "whatsapp_business_account", entry: [] }, size))),
    },
    { weight: 9, arbitrary: fc.constant(Buffer.alloc(0)) },
  );

export function webhookCaseArb(world: FuzzWorld): fc.Arbitrary<WebhookCase> {
  const verificationQuery = fc
    .record(
      {
        "hub.mode": fc.oneof(
          fc.constant("subscribe"),
          fc.constant("subscribe"),
          fc.string({ maxLength: 10 }),
        ),
        "hub.verify_token": fc.oneof(
          fc.constant(world.verifyToken),
          fc.constant(world.verifyToken),
          fc.constantFrom(
            `${world.verifyToken}!`,
            world.verifyToken.slice(1),
            world.verifyToken.toUpperCase(),
            "",
          ),
          fc.string({ maxLength: 20 }),
        ),
        "hub.challenge": fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^\d{1,12}$/)),
      },
      { requiredKeys: [] },
    )
    .map((query) => new URLSearchParams(query as Record<string, string>).toString());
  // Which signature to send; computed once the body is known (HMACs of megabytes are not free).
  const signatureKind = fc.oneof(
    { weight: 12, arbitrary: fc.constant("valid" as const) },
    { weight: 1, arbitrary: fc.constantFrom("missing", "wrong-secret", "other-body", "zero-then-valid") },
    { weight: 1, arbitrary: oddString },
  );
  function signatureHeaders(kind: string, body: Buffer): Array<[string, string]> {
    const sign = (bytes: Buffer, secret = world.appSecret) => signWebhookBody(bytes, secret);
    switch (kind) {
      case "valid":
        return [["X-Hub-Signature-256", sign(body)]];
      case "missing":
        return [];
      case "wrong-secret":
        return [["x-hub-signature-256", sign(body, "wrong-secret")]];
      case "other-body":
        return [["x-hub-signature-256", sign(Buffer.concat([body, Buffer.from(" ")]))]];
      case "zero-then-valid":
        return [
          ["x-hub-signature-256", `sha256=${"0".repeat(64)}`],
          ["x-hub-signature-256", sign(body)],
        ];
      default:
        return [["x-hub-signature-256", kind]];
    }
  }
  return fc
    .record({
      method: fc.oneof(
        { weight: 14, arbitrary: fc.constant("POST") },
        { weight: 8, arbitrary: fc.constant("GET") },
        { weight: 1, arbitrary: anyMethod },
      ),
      path: fc.oneof(
        { weight: 30, arbitrary: fc.constant("/meta/whatsapp/webhook") },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            "//meta/whatsapp/webhook",
            "/meta/whatsapp/webhook/",
            "/meta/whatsapp/%77ebhook",
            "/META/whatsapp/webhook",
          ),
        },
      ),
      query: verificationQuery,
      body: webhookBody(world),
      signature: signatureKind,
      contentType,
      noise: noiseHeaderArb,
    })
    .map((c) => {
      const isGet = c.method === "GET";
      const body = isGet ? Buffer.alloc(0) : c.body;
      const headers: Array<[string, string]> = [
        ...(isGet ? [] : signatureHeaders(c.signature, body)),
        ...c.noise,
      ];
      if (c.contentType) headers.push(["content-type", c.contentType]);
      return printable({
        kind: "webhook" as const,
        request: {
          method: c.method,
          target: isGet && c.query !== "" ? `${c.path}?${c.query}` : c.path,
          headers,
          body,
        },
      });
    });
}
