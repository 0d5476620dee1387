/**
 * One Meta app can send several products' webhooks to one callback URL. A correctly signed
 * delivery for another `object` (a Page, Instagram) is acknowledged with 200 and changes nothing,
 * so Meta does not redeliver it for days; signature rules still come first.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { configureWebhookSecrets, postWebhook, webhookEvent } from "../support/webhook-client.ts";
import { seedPhone, seedTenant, storedState, useWorld } from "../support/world.ts";

const world = useWorld();
beforeAll(configureWebhookSecrets);

/** A delivery for another object that, read as WhatsApp's, would change the number. */
function otherObjectDelivery(object: string, phone: { wabaId: string; displayPhoneNumber: string }) {
  const event = webhookEvent(phone, Math.floor(Date.now() / 1000), "approved", "not_for_whatsapp");
  return JSON.stringify({
    object,
    entry: [
      {
        id: event.wabaId,
        time: event.time,
        changes: [
          {
            field: "business_username_updates",
            value: {
              display_phone_number: event.displayPhoneNumber,
              username: event.username,
              status: "approved",
            },
          },
        ],
      },
    ],
  });
}

describe("signed deliveries for another object", () => {
  it.each(["page", "instagram", "user", "permissions", "WhatsApp_Business_Account"])(
    '"object": "%s" → 200, acknowledged and ignored, nothing stored',
    async (object) => {
      const phone = await seedPhone(world, await seedTenant());

      const answer = await postWebhook(otherObjectDelivery(object, phone));

      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ received: true, changes: 0, applied: 0 });
      expect((await storedState(phone.phoneNumberId)).history).toEqual([]);
    },
  );

  it("an unsigned one is still 401", async () => {
    const phone = await seedPhone(world, await seedTenant());
    const answer = await postWebhook(otherObjectDelivery("page", phone), { signature: null });
    expect(answer.status).toBe(401);
  });
});
