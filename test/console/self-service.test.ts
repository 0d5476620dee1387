/**
 * The self-service pages' logic without a browser: the client's calls of the webhook-endpoint and
 * API-key routes (paths, bodies, the key in a header only), the checks before sending, the
 * rotation's choices, what a delivery's status says and when the log looks again on its own,
 * advice for the service's own refusals, relative times, a new key's name. The pages themselves
 * are driven in Chromium (browser.test.ts).
 */
import { describe, expect, it } from "vitest";
import { createConsoleApi, type WebhookDelivery } from "../../console/src/api/client.ts";
import { ApiError, adviceFor, GRAPH_ADVICE, SELF_SERVICE_ADVICE } from "../../console/src/api/errors.ts";
import { apiKeyNameProblem } from "../../console/src/api-keys.ts";
import { hasUnprintable, relativeTimeLabel } from "../../console/src/format.ts";
import {
  DEFAULT_EVENT_TYPES,
  deliveryChangeLabel,
  deliveryInFlight,
  deliveryStatusOf,
  EMPTY_ENDPOINT_DRAFT,
  type EndpointDraft,
  EVENT_TYPES,
  endpointDraftProblems,
  eventTypesLabel,
  eventTypesProblem,
  newEndpointOf,
  orderedEventTypes,
  overlapSecondsOf,
  previousSecretStopped,
  REDELIVER_ADVICE,
  ROTATION_OVERLAPS,
  redeliverable,
} from "../../console/src/webhook-endpoints.ts";
import { fakeFetch, json } from "./fake-fetch.ts";

const KEY = `wau_${"s".repeat(32)}`;
const BASE = "http://console.test";
const ENDPOINT = "ep_0123456789abcdef0123";
const EVENT = "evt_01M94Y78DDJC6JMY2AKQ2S985K";

describe("the console's client of the self-service routes", () => {
  it("calls each route with the contract's paths and bodies, the key in X-API-Key only", async () => {
    const { sent, fetch } = fakeFetch((request) =>
      request.method === "DELETE" || request.url.pathname.endsWith("/redeliver")
        ? json(200, { success: true })
        : request.method === "POST"
          ? json(200, { id: ENDPOINT, secret: "whsec_x", key: KEY, event_types: ["username.updated"] })
          : json(200, { data: [], paging: { cursors: {} } }),
    );
    const api = createConsoleApi(KEY, { baseUrl: BASE, fetch });
    await api.listWebhookEndpoints({ after: "c1" });
    await api.createWebhookEndpoint({ url: "https://hooks.example.com/x", description: "orders" });
    await api.getWebhookEndpoint(ENDPOINT);
    await api.updateWebhookEndpoint(ENDPOINT, { event_types: ["username.changed_outside"] });
    await api.rotateWebhookEndpointSecret(ENDPOINT);
    await api.rotateWebhookEndpointSecret(ENDPOINT, 0);
    await api.listWebhookDeliveries(ENDPOINT, { before: "7" }, 10);
    expect(await api.redeliverWebhookEvent(ENDPOINT, EVENT)).toBe(true);
    expect(await api.deleteWebhookEndpoint(ENDPOINT)).toBe(true);
    await api.listApiKeys();
    await api.createApiKey("ci deploys");
    await api.createApiKey();
    expect(await api.revokeApiKey("key_0123456789abcdef")).toBe(true);

    expect(sent.map((s) => `${s.method} ${s.url.pathname}${s.url.search}`)).toEqual([
      "GET /v1/webhook_endpoints?limit=25&after=c1",
      "POST /v1/webhook_endpoints",
      `GET /v1/webhook_endpoints/${ENDPOINT}`,
      `POST /v1/webhook_endpoints/${ENDPOINT}`,
      `POST /v1/webhook_endpoints/${ENDPOINT}/rotate_secret`,
      `POST /v1/webhook_endpoints/${ENDPOINT}/rotate_secret`,
      `GET /v1/webhook_endpoints/${ENDPOINT}/deliveries?limit=10&before=7`,
      `POST /v1/webhook_endpoints/${ENDPOINT}/deliveries/${EVENT}/redeliver`,
      `DELETE /v1/webhook_endpoints/${ENDPOINT}`,
      "GET /v1/api_keys?limit=25",
      "POST /v1/api_keys",
      "POST /v1/api_keys",
      "DELETE /v1/api_keys/key_0123456789abcdef",
    ]);
    const bodies = sent.filter((s) => s.method === "POST" && !s.url.pathname.endsWith("/redeliver"));
    expect(bodies.map((s) => JSON.parse(s.body))).toEqual([
      { url: "https://hooks.example.com/x", description: "orders" },
      { event_types: ["username.changed_outside"] },
      // No overlap chosen: the service's default (24 h), not one the console states.
      {},
      { overlap_seconds: 0 },
      { name: "ci deploys" },
      {},
    ]);
    for (const request of sent) {
      expect(request.headers.get("x-api-key")).toBe(KEY);
      expect(request.url.href).not.toContain(KEY);
    }
  });

  it("turns the service's refusal of the last key into an ApiError with its code and message", async () => {
    const { fetch } = fakeFetch(() =>
      json(400, {
        error: {
          message: "(#100) Cannot revoke the tenant's last active API key: create another key first",
          type: "OAuthException",
          code: 100,
          fbtrace_id: "T1",
        },
      }),
    );
    const failure = await createConsoleApi(KEY, { baseUrl: BASE, fetch })
      .revokeApiKey("key_0123456789abcdef")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 400, code: 100, traceId: "T1", transient: false });
    expect((failure as ApiError).message).toMatch(/last active API key/);
  });
});

describe("advice for the service's own refusals", () => {
  it("names the service, not Meta, for its request limit and anything unknown", () => {
    expect(
      adviceFor(
        new ApiError({ status: 429, message: "x", code: 4, retryAfterSeconds: 9 }),
        SELF_SERVICE_ADVICE,
      ),
    ).toBe("Too many requests to the service for your business. Wait 9 seconds, then try again.");
    expect(adviceFor(new ApiError({ status: 429, message: "x" }), SELF_SERVICE_ADVICE)).toMatch(
      /^Too many requests to the service/,
    );
    expect(adviceFor(new ApiError({ status: 400, message: "x", code: 131009 }), SELF_SERVICE_ADVICE)).toBe(
      SELF_SERVICE_ADVICE.otherwise,
    );
    for (const code of [2, 33, 100]) {
      const advice = adviceFor(new ApiError({ status: 400, message: "x", code }), SELF_SERVICE_ADVICE);
      expect(advice).toBe(SELF_SERVICE_ADVICE.codes?.[code]);
      expect(advice).not.toBe(GRAPH_ADVICE[code]);
      expect(advice).not.toMatch(/Meta|username/);
    }
    // Code 190 keeps its meaning everywhere: sign in with a valid key.
    expect(adviceFor(new ApiError({ status: 401, message: "x", code: 190 }), SELF_SERVICE_ADVICE)).toBe(
      GRAPH_ADVICE[190],
    );
    // Without a context, nothing changed for the proxy's pages.
    expect(adviceFor(new ApiError({ status: 400, message: "x", code: 100 }))).toBe(GRAPH_ADVICE[100]);
  });
});

describe("the endpoint form's checks before sending", () => {
  const draft = (url: string, description = "") => ({
    ...EMPTY_ENDPOINT_DRAFT,
    eventTypes: [...EMPTY_ENDPOINT_DRAFT.eventTypes],
    url,
    description,
  });

  it("sends a URL and a description as typed, trimmed, the description only when given", () => {
    expect(endpointDraftProblems(draft(" https://hooks.example.com/a "))).toEqual({});
    expect(newEndpointOf(draft(" https://hooks.example.com/a ", "  "))).toEqual({
      url: "https://hooks.example.com/a",
      event_types: ["username.updated"],
    });
    expect(newEndpointOf(draft("http://127.0.0.1:4010/h", " orders "))).toEqual({
      url: "http://127.0.0.1:4010/h",
      description: "orders",
      event_types: ["username.updated"],
    });
  });

  it("sends the event types chosen, in the order offered, each once; none chosen is refused before sending", () => {
    const chosen: EndpointDraft = {
      ...draft("https://hooks.example.com/a"),
      eventTypes: ["username.changed_outside", "username.updated", "username.changed_outside"],
    };
    expect(newEndpointOf(chosen).event_types).toEqual(["username.updated", "username.changed_outside"]);
    expect(endpointDraftProblems({ ...draft("https://hooks.example.com/a"), eventTypes: [] })).toEqual({
      eventTypes: "Choose at least one kind of change to receive.",
    });
    expect(EMPTY_ENDPOINT_DRAFT.eventTypes).toEqual([...DEFAULT_EVENT_TYPES]);
    expect(EVENT_TYPES.map((type) => type.value)).toEqual(["username.updated", "username.changed_outside"]);
  });

  it("says in words what an endpoint receives (both together are every change, once)", () => {
    expect(eventTypesLabel(["username.updated"])).toBe("every change");
    expect(eventTypesLabel(["username.changed_outside"])).toBe("changes made outside this service");
    expect(eventTypesLabel(["username.changed_outside", "username.updated"])).toBe("every change");
    // An endpoint without a choice receives the default.
    expect(eventTypesLabel([])).toBe("every change");
    expect(orderedEventTypes(["username.changed_outside", "username.updated"])).toEqual([
      "username.updated",
      "username.changed_outside",
    ]);
    expect(eventTypesProblem([])).toMatch(/at least one/);
    expect(eventTypesProblem(["username.changed_outside"])).toBeUndefined();
  });

  it.each([
    ["", /Enter the URL/],
    ["hooks.example.com/a", /whole URL/],
    ["ftp://hooks.example.com/a", /whole URL/],
    ["https://user:pw@hooks.example.com/a", /user name and password/],
    ["https://hooks.example.com/a#part", /#fragment/],
    [`https://hooks.example.com/${"a".repeat(2048)}`, /at most 2048/],
  ])("refuses the URL %j", (url, problem) => {
    expect(endpointDraftProblems(draft(url)).url).toMatch(problem);
  });

  it("refuses a description the service would refuse: too long, or not printable", () => {
    expect(endpointDraftProblems(draft("https://h.example.com", "d".repeat(256)))).toEqual({});
    expect(endpointDraftProblems(draft("https://h.example.com", "d".repeat(257))).description).toMatch(
      /at most 256 characters \(this one has 257\)/,
    );
    expect(endpointDraftProblems(draft("https://h.example.com", "a\u202eb")).description).toMatch(/printed/);
  });

  it("knows the characters the service calls not printable", () => {
    for (const text of ["\u0000", "\u001b[31m", "\u0085", "\u200f", "\u2066"])
      expect(hasUnprintable(text)).toBe(true);
    for (const text of ["orders service", "Zürich – café", "日本語"])
      expect(hasUnprintable(text)).toBe(false);
  });
});

describe("the rotation's choices", () => {
  it("offers the service's default first, and 0 to stop the old secret at once", () => {
    expect(ROTATION_OVERLAPS.map((choice) => choice.value)).toEqual(["default", "none"]);
    expect(overlapSecondsOf("default")).toBeUndefined();
    expect(overlapSecondsOf("none")).toBe(0);
  });

  it("reads from the answer whether the previous secret stopped at once", () => {
    const rotatedAt = "2026-12-03T08:00:00.000Z";
    expect(
      previousSecretStopped({ secret_rotated_time: rotatedAt, previous_secret_expires_time: rotatedAt }),
    ).toBe(true);
    expect(
      previousSecretStopped({
        secret_rotated_time: rotatedAt,
        previous_secret_expires_time: "2026-12-04T08:00:00.000Z",
      }),
    ).toBe(false);
  });
});

describe("the delivery log", () => {
  const endpoint = { created_time: "2026-12-02T09:00:00.000Z" };
  const now = Date.parse("2026-12-02T10:00:00.000Z");
  const delivery = (over: Partial<WebhookDelivery>): WebhookDelivery => ({
    event_id: EVENT,
    event_type: "username.updated",
    event_created_time: "2026-12-02T09:30:00.000Z",
    phone_number_id: "106540352242922",
    display_phone_number: "+1 555-010-0001",
    username: "green_leaf",
    username_status: "approved",
    origin: "this_service",
    status: "delivered",
    attempts: 1,
    ...over,
  });

  it("says what each status means, an event from before the endpoint apart from one being sent", () => {
    expect(deliveryStatusOf(delivery({}), endpoint)).toEqual({ label: "delivered", tone: "ok" });
    expect(deliveryStatusOf(delivery({ status: "pending" }), endpoint).label).toBe("waiting for a retry");
    expect(deliveryStatusOf(delivery({ status: "failed" }), endpoint)).toMatchObject({
      label: "failed",
      tone: "error",
    });
    expect(deliveryStatusOf(delivery({ status: "not_attempted", attempts: 0 }), endpoint).label).toBe(
      "sending",
    );
    expect(
      deliveryStatusOf(
        delivery({ status: "not_attempted", attempts: 0, event_created_time: "2026-12-02T08:00:00.000Z" }),
        endpoint,
      ),
    ).toMatchObject({ label: "not sent", note: "the change came before this endpoint" });
    expect(deliveryStatusOf(delivery({ status: "not_subscribed", attempts: 0 }), endpoint)).toMatchObject({
      label: "not subscribed",
      tone: "neutral",
    });
    expect(deliveryInFlight(delivery({ status: "not_subscribed", attempts: 0 }), endpoint, now)).toBe(false);
  });

  it("looks again on its own only while a delivery is about to change", () => {
    const inFlight = (over: Partial<WebhookDelivery>) => deliveryInFlight(delivery(over), endpoint, now);
    expect(inFlight({})).toBe(false);
    expect(inFlight({ status: "failed" })).toBe(false);
    expect(inFlight({ status: "pending", next_attempt_time: "2026-12-02T10:00:05.000Z" })).toBe(true);
    // A retry hours away is not polled for: the person refreshes.
    expect(inFlight({ status: "pending", next_attempt_time: "2026-12-02T12:00:00.000Z" })).toBe(false);
    expect(inFlight({ status: "not_attempted", attempts: 0 })).toBe(true);
    expect(
      inFlight({ status: "not_attempted", attempts: 0, event_created_time: "2026-12-02T08:00:00.000Z" }),
    ).toBe(false);
  });

  it("offers a redelivery only of an event the endpoint's types select now, in a status that allows one", () => {
    const every = { event_types: ["username.updated" as const] };
    const outsideOnly = { event_types: ["username.changed_outside" as const] };
    expect(redeliverable(delivery({}), every)).toBe(true);
    expect(redeliverable(delivery({ status: "failed" }), every)).toBe(true);
    // Delivered while the endpoint received every change; it now selects only changes made
    // outside: the event comes with its base type, which the service refuses to redeliver.
    expect(redeliverable(delivery({}), outsideOnly)).toBe(false);
    expect(redeliverable(delivery({ event_type: "username.changed_outside" }), outsideOnly)).toBe(true);
    expect(redeliverable(delivery({ status: "not_subscribed", attempts: 0 }), every)).toBe(false);
    // Not known yet what the endpoint receives: nothing offered that may be refused.
    expect(redeliverable(delivery({}), undefined)).toBe(false);
  });

  it("names the number as the numbers page does, and a change that left no name without guessing why", () => {
    expect(deliveryChangeLabel(delivery({ display_phone_number: "15550100001" }))).toBe(
      "+15550100001: green_leaf (approved)",
    );
    const {
      username: _u,
      username_status: _s,
      ...noName
    } = delivery({ display_phone_number: "15550100001" });
    expect(deliveryChangeLabel(noName)).toBe("+15550100001: no username now");
    // A move to another number of the portfolio says where the name went.
    expect(deliveryChangeLabel({ ...noName, transferred_to: "106540352242923" })).toBe(
      "+15550100001: username moved to phone number id 106540352242923",
    );
    expect(
      deliveryChangeLabel({
        ...delivery({ display_phone_number: "15550100002" }),
        transferred_from: "106540352242922",
      }),
    ).toBe("+15550100002: green_leaf (approved), moved from phone number id 106540352242922");
  });

  it("shows the service's own hint when it refuses a redelivery, in place of general advice", async () => {
    const hint =
      "add the event's type to the endpoint's event_types (POST /v1/webhook_endpoints/{id}) to receive such events";
    const refusal = (errorData: unknown) =>
      fakeFetch(() =>
        json(400, {
          error: {
            message: `(#100) Invalid parameter: event ${EVENT} is not one this endpoint subscribes to (its event_types do not select it)`,
            type: "OAuthException",
            code: 100,
            ...(errorData !== undefined ? { error_data: errorData } : {}),
            fbtrace_id: "T2",
          },
        }),
      ).fetch;
    const redeliver = async (errorData: unknown) =>
      (await createConsoleApi(KEY, { baseUrl: BASE, fetch: refusal(errorData) })
        .redeliverWebhookEvent(ENDPOINT, EVENT)
        .catch((error: unknown) => error)) as ApiError;
    const failure = await redeliver({ messaging_product: "whatsapp", details: hint });
    expect(failure.hint).toBe(hint);
    expect(adviceFor(failure, REDELIVER_ADVICE)).toContain(hint);
    expect(adviceFor(failure, REDELIVER_ADVICE)).not.toMatch(/Correct it/);
    // Meta's passed-on errors may carry `error_data` as a string.
    expect((await redeliver(hint)).hint).toBe(hint);
    // No hint: the self-service pages' advice, as before; elsewhere a hint changes nothing.
    expect(adviceFor(await redeliver(undefined), REDELIVER_ADVICE)).toBe(SELF_SERVICE_ADVICE.codes?.[100]);
    expect(adviceFor(failure, SELF_SERVICE_ADVICE)).toBe(SELF_SERVICE_ADVICE.codes?.[100]);
  });

  it("says times relative to now, in the largest whole unit", () => {
    expect(relativeTimeLabel("2026-12-02T09:58:00.000Z", now)).toMatch(/2 minutes ago/);
    expect(relativeTimeLabel("2026-12-03T10:00:00.000Z", now)).toMatch(/tomorrow|in 1 day/);
    expect(relativeTimeLabel("2026-12-02T10:00:05.000Z", now)).toMatch(/in 5 seconds/);
    // A last attempt the service's clock puts a little ahead of the browser's is "now", not "in 3 seconds".
    expect(relativeTimeLabel("2026-12-02T10:00:03.000Z", now, "past")).toBe("now");
    expect(relativeTimeLabel("2026-12-02T09:59:57.000Z", now, "future")).toBe("now");
    expect(relativeTimeLabel("2026-12-02T09:59:00.000Z", now, "past")).toMatch(/1 minute ago/);
    expect(relativeTimeLabel("not a time", now)).toBe("");
    expect(relativeTimeLabel(undefined, now)).toBe("");
  });
});

describe("a new API key's name", () => {
  it("is optional, at most 100 printable characters", () => {
    expect(apiKeyNameProblem("")).toBeUndefined();
    expect(apiKeyNameProblem("ci deploys")).toBeUndefined();
    expect(apiKeyNameProblem("n".repeat(100))).toBeUndefined();
    expect(apiKeyNameProblem("n".repeat(101))).toMatch(/at most 100/);
    expect(apiKeyNameProblem("ci\u0007")).toMatch(/printed/);
  });
});
