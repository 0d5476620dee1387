/**
 * Events stored before origins (0.3) are served with `origin: "unknown"`, never a guess, by every
 * reader of a stored event (the feed, redeliveries, the delivery log): validation/tenant-api.ts
 * inSchemaOrder.
 */
import { describe, expect, it } from "vitest";
import { inSchemaOrder, type UsernameChangeEvent } from "../../functions/core/validation/tenant-api.ts";

const stored = {
  id: "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV",
  type: "username.updated",
  created_time: "2026-11-01T10:00:00.000Z",
  data: {
    phone_number_id: "106540352242922",
    waba_id: "102290129340398",
    display_phone_number: "+1 555-010-0001",
    username: "green_leaf",
    status: "approved",
    previous: {},
    source: "webhook",
    origin: "outside",
  },
} as UsernameChangeEvent;

describe("inSchemaOrder", () => {
  it("serves an event stored before origins with origin unknown and no requester", () => {
    const { origin: _, ...older } = stored.data;
    const event = inSchemaOrder({ ...stored, data: older } as UsernameChangeEvent);
    expect(event.data.origin).toBe("unknown");
    expect(event.data).not.toHaveProperty("requested_by");
    expect(Object.keys(event.data)).toEqual([
      "phone_number_id",
      "waba_id",
      "display_phone_number",
      "username",
      "status",
      "previous",
      "source",
      "origin",
    ]);
  });

  it("keeps a recorded origin and requester as they are", () => {
    const event = inSchemaOrder({
      ...stored,
      data: { ...stored.data, origin: "this_service", requested_by: "key_0123456789abcdef" },
    });
    expect(event.data).toMatchObject({ origin: "this_service", requested_by: "key_0123456789abcdef" });
  });
});
