/**
 * The pure parts of the change feed and tenant webhooks: which endpoint URLs are accepted, the
 * retry schedule, the paging cursors, the event built from a history item, and which stream
 * records the sequencer takes.
 */
import { marshall } from "@aws-sdk/util-dynamodb";
import type { APIGatewayProxyEventV2, DynamoDBRecord } from "aws-lambda";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigurationError, config, DEFAULT_WEBHOOK_RETRY_DELAYS } from "../../functions/core/config.ts";
import { GraphError } from "../../functions/core/errors/graph-error.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { historyItemsOf } from "../../functions/core/store/stream-records.ts";
import {
  encodeCursor,
  integerPosition,
  type Listing,
  parsePageRequest,
} from "../../functions/core/tenant-api/paging.ts";
import { endpointUrlProblem } from "../../functions/core/tenant-webhooks/endpoint-url.ts";
import { maxAttempts, nextState } from "../../functions/core/tenant-webhooks/retry-schedule.ts";
import { usernameChangeEvent } from "../../functions/core/tenant-webhooks/username-change-event.ts";
import type { HistoryEvent } from "../../functions/core/username-state/records.ts";
import { inSchemaOrder, usernameChangeEventSchema } from "../../functions/core/validation/tenant-api.ts";
import { HISTORY_INSERT_FILTER } from "../../infra/event-functions.ts";

describe("endpoint URLs", () => {
  it.each([
    ["https://hooks.example.com/usernames", false, undefined],
    ["https://hooks.example.com:8443/a?b=c", false, undefined],
    ["https://8.8.8.8/hooks", false, undefined],
    ["http://hooks.example.com/x", false, "must be https"],
    ["http://127.0.0.1:3000/x", false, "must be https"],
    ["http://127.0.0.1:3000/x", true, undefined],
    ["http://localhost:3000/x", true, undefined],
    ["http://[::1]:3000/x", true, undefined],
    ["http://hooks.example.com/x", true, "http only on loopback"],
    ["https://127.0.0.1/x", false, "public host"],
    ["https://localhost/x", false, "public host"],
    ["https://10.1.2.3/x", false, "public host"],
    ["https://172.20.0.1/x", false, "public host"],
    ["https://192.168.1.1/x", false, "public host"],
    ["https://169.254.169.254/latest/meta-data", false, "public host"],
    ["https://100.64.0.1/x", false, "public host"],
    ["https://[fd00::1]/x", false, "public host"],
    ["https://[::ffff:127.0.0.1]/x", false, "public host"],
    ["https://172.32.0.1/x", false, undefined],
    // A local store allows loopback, and still no private, link-local or CGNAT literal.
    ["https://127.0.0.1/x", true, undefined],
    ["https://10.1.2.3/x", true, "public host or loopback"],
    ["https://169.254.169.254/latest/meta-data", true, "public host or loopback"],
    ["https://100.64.0.1/x", true, "public host or loopback"],
    ["https://[fd00::1]/x", true, "public host or loopback"],
    ["http://192.168.1.1/x", true, "http only on loopback"],
    ["https://user:secret@hooks.example.com/x", false, "user name or password"],
    ["https://hooks.example.com/x#part", false, "fragment"],
    ["javascript:alert(1)", true, "must be https"],
    ["not a url", false, "absolute URL"],
    [`https://hooks.example.com/${"a".repeat(2100)}`, false, "at most 2048"],
  ])("%s (local store: %s) → %s", (url, local, problem) => {
    const found = endpointUrlProblem(url, local);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });
});

describe("the retry schedule", () => {
  afterEach(() => {
    delete process.env.WEBHOOK_RETRY_DELAYS;
  });

  it("by default retries for at least 24 hours: 8 attempts, Standard Webhooks' own steps", () => {
    const delays = config.webhookRetryDelays();
    expect(delays).toEqual(DEFAULT_WEBHOOK_RETRY_DELAYS.split(",").map(Number));
    expect(delays.reduce((sum, d) => sum + d, 0)).toBeGreaterThanOrEqual(24 * 3600);
    expect(maxAttempts()).toBe(8);
  });

  it("delivers on a 2xx, waits each configured delay after a failure, and fails after the last attempt", () => {
    process.env.WEBHOOK_RETRY_DELAYS = "1,60";
    const now = 1_000_000;
    expect(nextState(1, true, now)).toEqual({ status: "delivered" });
    expect(nextState(1, false, now)).toEqual({ status: "pending", nextAttemptAt: now + 1_000 });
    expect(nextState(2, false, now)).toEqual({ status: "pending", nextAttemptAt: now + 60_000 });
    expect(nextState(3, false, now)).toEqual({ status: "failed" });
    expect(nextState(3, true, now)).toEqual({ status: "delivered" });
  });

  it.each(["", "5,,10", "-1", "abc", "5;10", `${8 * 86_400}`])("refuses WEBHOOK_RETRY_DELAYS=%j", (raw) => {
    process.env.WEBHOOK_RETRY_DELAYS = raw;
    // An empty value is unset, i.e. the default.
    if (raw === "") expect(config.webhookRetryDelays()).toHaveLength(7);
    else expect(() => config.webhookRetryDelays()).toThrow(ConfigurationError);
  });
});

describe("paging cursors", () => {
  const request = (query: Record<string, string>) =>
    ({ queryStringParameters: query }) as unknown as APIGatewayProxyEventV2;
  const listings: Listing[] = ["phone_numbers", "username_history", "username_changes"];
  const positions = integerPosition(0, 999_999_999_999);

  it("give back the position they were made from, on the listing and scope that made them only", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...listings),
        fc.constantFrom("tenant-a", "tenant-b", "100000000000001"),
        fc.integer({ min: 0, max: 999_999_999_999 }),
        fc.boolean(),
        (listing, scope, position, after) => {
          const cursor = encodeCursor({ listing, scope }, position);
          const name = after ? "after" : "before";
          const page = parsePageRequest(request({ [name]: cursor }), { listing, scope }, positions);
          expect(page).toEqual({ limit: 25, [name]: position });
          for (const other of listings.filter((l) => l !== listing)) {
            expect(() =>
              parsePageRequest(request({ after: cursor }), { listing: other, scope }, positions),
            ).toThrow(GraphError);
          }
          // The same listing of another tenant or number.
          expect(() =>
            parsePageRequest(request({ [name]: cursor }), { listing, scope: `${scope}0` }, positions),
          ).toThrow(`Invalid parameter: ${name} is not a cursor of this listing`);
        },
      ),
    );
  });

  it("refuse anything else with code 100, and never decode it into another position", () => {
    const of = { listing: "username_changes", scope: "tenant-a" } as const;
    fc.assert(
      fc.property(fc.string({ maxLength: 250 }), (raw) => {
        try {
          const page = parsePageRequest(request({ after: raw }), of, integerPosition(0, 10));
          // Only a real cursor decodes, and then to the position it encodes.
          expect(encodeCursor(of, page.after as number)).toBe(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(GraphError);
          expect((error as GraphError).body.code).toBe(100);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

const history: fc.Arbitrary<HistoryEvent> = fc.record(
  {
    eventId: fc.constant("evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF"),
    tenantId: fc.constant("tenant-a"),
    phoneNumberId: fc.stringMatching(/^\d{1,20}$/),
    wabaId: fc.stringMatching(/^\d{1,20}$/),
    displayPhoneNumber: fc.stringMatching(/^\d{1,20}$/),
    version: fc.nat(),
    at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    source: fc.constantFrom("api" as const, "webhook" as const, "reconcile" as const, "transfer" as const),
    username: fc.string({ minLength: 1 }),
    status: fc.constantFrom("reserved", "approved", "deleted"),
    previousUsername: fc.string({ minLength: 1 }),
    previousStatus: fc.constantFrom("reserved", "approved"),
    context: fc.constantFrom("revoked", "appeal"),
    requestId: fc.string(),
    eventTime: fc.nat(),
    transferredTo: fc.stringMatching(/^\d{1,20}$/),
    transferredFrom: fc.stringMatching(/^\d{1,20}$/),
    origin: fc.constantFrom("this_service" as const, "outside" as const),
    requestedBy: fc.stringMatching(/^key_[0-9a-f]{16}$/),
  },
  {
    requiredKeys: [
      "eventId",
      "tenantId",
      "phoneNumberId",
      "wabaId",
      "displayPhoneNumber",
      "version",
      "at",
      "source",
    ],
  },
);

describe("the event of a history item", () => {
  it("is a valid event carrying exactly the item's fields (absent ones left out), in one key order", () => {
    fc.assert(
      fc.property(history, (item) => {
        const event = usernameChangeEvent(item);
        expect(usernameChangeEventSchema.safeParse(event).success).toBe(true);
        expect(event).toEqual({
          id: item.eventId,
          type: "username.updated",
          created_time: item.at,
          data: {
            phone_number_id: item.phoneNumberId,
            waba_id: item.wabaId,
            display_phone_number: item.displayPhoneNumber,
            ...(item.username ? { username: item.username } : {}),
            ...(item.status ? { status: item.status } : {}),
            previous: {
              ...(item.previousUsername ? { username: item.previousUsername } : {}),
              ...(item.previousStatus ? { status: item.previousStatus } : {}),
            },
            source: item.source,
            // Items recorded before origins were read as unknown, never guessed.
            origin: item.origin ?? "unknown",
            ...(item.requestedBy ? { requested_by: item.requestedBy } : {}),
            ...(item.context ? { context: item.context } : {}),
            ...(item.transferredTo ? { transferred_to: item.transferredTo } : {}),
            ...(item.transferredFrom ? { transferred_from: item.transferredFrom } : {}),
          },
        });
        // Never an internal field (request id, Meta's entry time) in what tenants get.
        expect(JSON.stringify(event)).not.toMatch(/requestId|eventTime|tenant/);
        // Its JSON is the same whatever order a store gave the keys back in.
        const shuffled = JSON.parse(JSON.stringify(event), (_, value) =>
          value && typeof value === "object" && !Array.isArray(value)
            ? Object.fromEntries(Object.entries(value).reverse())
            : value,
        );
        expect(JSON.stringify(inSchemaOrder(shuffled))).toBe(JSON.stringify(event));
      }),
    );
  });
});

describe("the stream records the sequencer takes", () => {
  const record = (eventName: "INSERT" | "MODIFY" | "REMOVE", item: Record<string, unknown>): DynamoDBRecord =>
    ({
      eventName,
      dynamodb: {
        Keys: marshall({ pk: item.pk, sk: item.sk }),
        NewImage: marshall(item, { removeUndefinedValues: true }),
      },
    }) as unknown as DynamoDBRecord;

  it("are inserts of history items, in stream order, as the event source filter says", () => {
    const h1 = { ...keys.history("1", 1), type: "history", eventId: "evt_a", tenantId: "t" };
    const h2 = { ...keys.history("2", 7), type: "history", eventId: "evt_b", tenantId: "t" };
    const items = historyItemsOf([
      record("INSERT", h1),
      record("MODIFY", h2),
      record("INSERT", { ...keys.phone("1"), type: "phone", tenantId: "t" }),
      record("INSERT", { ...keys.feedEvent("t", 1), type: "feedEvent" }),
      record("REMOVE", h1),
      record("INSERT", h2),
    ]);
    expect(items).toEqual([
      { eventId: "evt_a", tenantId: "t" },
      { eventId: "evt_b", tenantId: "t" },
    ]);
    expect(HISTORY_INSERT_FILTER).toEqual({
      eventName: ["INSERT"],
      dynamodb: { Keys: { sk: { S: [{ prefix: keys.historyPrefix }] } } },
    });
  });
});
