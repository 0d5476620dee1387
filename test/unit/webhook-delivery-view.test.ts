/**
 * A row of an endpoint's delivery log says which change it is, as the event does: the number, the
 * username it got, who made the change, and where a name moved between two numbers of a portfolio
 * (the row of the number losing it would otherwise read like a deletion).
 */
import { describe, expect, it } from "vitest";
import type { EndpointDelivery } from "../../functions/core/admin/webhooks.ts";
import type { WebhookEndpoint } from "../../functions/core/store/webhook-endpoints.ts";
import { webhookDeliveryView } from "../../functions/core/tenant-api/webhook-endpoints.ts";
import type { UsernameChangeEvent } from "../../functions/core/validation/tenant-api.ts";

const endpoint = {
  id: "ep_4f1c2a9e8b7d6c5e4f3a",
  tenantId: "t1",
  url: "https://example.com/h",
} as WebhookEndpoint;

function row(data: Partial<UsernameChangeEvent["data"]>): EndpointDelivery {
  const event: UsernameChangeEvent = {
    id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
    type: "username.updated",
    created_time: "2026-12-02T09:30:00.000Z",
    data: {
      phone_number_id: "106540352242922",
      waba_id: "102290129340398",
      display_phone_number: "15550100001",
      previous: { username: "green_leaf", status: "approved" },
      source: "transfer",
      origin: "this_service",
      ...data,
    },
  };
  return {
    entry: { sequence: 7, event },
    delivery: { eventId: event.id, sequence: 7, endpointId: endpoint.id, status: "delivered", attempts: 1 },
  } as EndpointDelivery;
}

describe("webhookDeliveryView", () => {
  it("names the number a name moved to, and who made the change", () => {
    const view = webhookDeliveryView(row({ transferred_to: "106540352242923" }), endpoint);
    expect(view).toMatchObject({ origin: "this_service", transferred_to: "106540352242923" });
    expect(view).not.toHaveProperty("username");
    expect(view).not.toHaveProperty("transferred_from");
  });

  it("names the number a name came from on the row of the number that got it", () => {
    const view = webhookDeliveryView(
      row({
        username: "green_leaf",
        status: "approved",
        transferred_from: "106540352242922",
        origin: "outside",
      }),
      endpoint,
    );
    expect(view).toMatchObject({
      username: "green_leaf",
      username_status: "approved",
      origin: "outside",
      transferred_from: "106540352242922",
    });
    expect(view).not.toHaveProperty("transferred_to");
  });
});
