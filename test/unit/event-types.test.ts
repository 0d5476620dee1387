/**
 * Which events an endpoint receives, and typed how (tenant-webhooks/event-types.ts), for every
 * choice of types and every origin; and the `event_types` parameter as the tenant API and the CLI
 * read it (validation/self-service.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  endpointReceives,
  eventForEndpoint,
  subscribedTypes,
} from "../../functions/core/tenant-webhooks/event-types.ts";
import { eventTypesSchema } from "../../functions/core/validation/self-service-bodies.ts";
import {
  CHANGE_ORIGINS,
  type UsernameChangeEvent,
  WEBHOOK_EVENT_TYPES,
} from "../../functions/core/validation/tenant-api.ts";

const event = (origin: (typeof CHANGE_ORIGINS)[number]): UsernameChangeEvent => ({
  id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
  type: "username.updated",
  created_time: "2026-12-06T06:00:00.000Z",
  data: {
    phone_number_id: "106540352242922",
    waba_id: "102290129340398",
    display_phone_number: "15550783881",
    username: "lucky_shrub",
    status: "approved",
    previous: {},
    source: "webhook",
    origin,
  },
});

describe("an endpoint's event types", () => {
  it("select every event with username.updated, only outside changes with username.changed_outside alone", () => {
    fc.assert(
      fc.property(
        fc.subarray([...WEBHOOK_EVENT_TYPES]),
        fc.constantFrom(...CHANGE_ORIGINS),
        (types, origin) => {
          const endpoint = types.length ? { eventTypes: types } : {};
          const delivered = eventForEndpoint(endpoint, event(origin));
          const chosen = subscribedTypes(endpoint);
          if (chosen.includes("username.updated")) {
            expect(delivered).toEqual(event(origin));
          } else if (origin === "outside") {
            expect(delivered).toEqual({ ...event(origin), type: "username.changed_outside" });
          } else {
            expect(delivered).toBeUndefined();
          }
          expect(endpointReceives(endpoint, event(origin))).toBe(delivered !== undefined);
          // Whatever the type, the id (webhook-id) and the data are the feed's.
          if (delivered) expect({ ...delivered, type: "username.updated" }).toEqual(event(origin));
        },
      ),
    );
  });

  it("default to username.updated for an endpoint that never chose (every endpoint made before types)", () => {
    expect(subscribedTypes({})).toEqual(["username.updated"]);
    expect(subscribedTypes({ eventTypes: [] })).toEqual(["username.updated"]);
  });
});

describe("event_types as a parameter", () => {
  it.each([
    [["username.changed_outside"], ["username.changed_outside"]],
    ["username.updated,username.changed_outside", ["username.updated", "username.changed_outside"]],
    [' ["username.changed_outside"] ', ["username.changed_outside"]],
    ["username.updated", ["username.updated"]],
  ])("reads %j", (input, expected) => {
    expect(eventTypesSchema.parse(input)).toEqual(expected);
  });

  it.each([[[]], [""], ["username.deleted"], [["username.updated", "username.updated"]], ["[1]"], ['["x"']])(
    "refuses %j, naming the types it takes",
    (input) => {
      const result = eventTypesSchema.safeParse(input);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toContain("username.updated, username.changed_outside");
    },
  );
});
