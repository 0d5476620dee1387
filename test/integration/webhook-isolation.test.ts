/**
 * One tenant's failing endpoint never delays another tenant's deliveries. Tenant A's endpoint
 * accepts connections and never answers (each attempt waits out WEBHOOK_TIMEOUT_MS, 40 s here),
 * tenant C's refuses connections; tenant B's works. With A's attempts hanging, B's event must
 * arrive while none of A's attempts has even ended: B is not queued behind A.
 */
import { describe, expect, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { deliveryLog } from "../../functions/core/admin/webhooks.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, webhookEvent } from "../support/webhook-client.ts";
import { type SeededPhone, seedPhone, seedTenant, uniqueDigits, useWorld } from "../support/world.ts";

process.env.WEBHOOK_TIMEOUT_MS = "40000";
process.env.WEBHOOK_RETRY_DELAYS = "1,1";

configureWebhookSecrets();
const world = useWorld({ stream: true });
useEventPipeline(world);

describe("isolation between tenants' endpoints", () => {
  it("delivers a live tenant's event while a dead tenant's attempts still hang", async () => {
    const dead = await seedTenant();
    const wabaId = uniqueDigits(15);
    const deadPhones: SeededPhone[] = [];
    for (let i = 0; i < 30; i++) deadPhones.push(await seedPhone(world, dead, { wabaId }));
    const hanging = await startTenantEndpoint();
    hanging.answerWith(() => ({ hang: true }));
    await addEndpoint(dead.tenantId, hanging.url);

    const refusing = await seedTenant();
    const refusingPhone = await seedPhone(world, refusing);
    await addEndpoint(refusing.tenantId, `http://127.0.0.1:${await freePort()}/gone`);

    const live = await seedTenant();
    const livePhone = await seedPhone(world, live);
    const receiver = await startTenantEndpoint();
    const liveEndpoint = await addEndpoint(live.tenantId, receiver.url);

    // 30 events owed to the hanging endpoint, then one to the refusing one.
    const time = Math.floor(Date.now() / 1000) + 1000;
    const delivery = await postEvents(
      deadPhones.map((p, i) => webhookEvent(p, time, "approved", `dead_${i}`)),
    );
    expect(delivery.json.applied).toBe(30);
    await hanging.waitFor((r) => r.length > 0);
    const refused = await callUsernameApi("claim", refusingPhone.phoneNumberId, {
      apiKey: refusing.apiKey,
      body: { username: "refused_name" },
    });
    expect(refused.status).toBe(200);

    // Now the live tenant's change.
    const claimed = await callUsernameApi("claim", livePhone.phoneNumberId, {
      apiKey: live.apiKey,
      body: { username: "live_name" },
    });
    expect(claimed.status).toBe(200);
    const [request] = await receiver.waitFor((r) => r.length === 1, 15_000);
    // The log lists the tenant's feed, which is appended on its own (FIFO, in order): the live
    // event may arrive before the last of the dead tenant's 30 are listed, never behind them.
    const deadLog = await fullLog(dead.tenantId, 30);

    expect(
      (verifiedEvent(liveEndpoint.secret, request as never) as { data: { username: string } }).data.username,
    ).toBe("live_name");
    // Not one of the dead endpoint's attempts has ended yet: each hangs for 40 s.
    expect(hanging.received().length).toBeGreaterThan(0);
    expect(deadLog).toHaveLength(30);
    expect(deadLog.every((entry) => entry.status === "not attempted")).toBe(true);

    await Promise.all([hanging.close(), receiver.close()]);
  }, 90_000);
});

/** The tenant's delivery log once it lists `events` events (polled for up to 15 s). */
async function fullLog(tenantId: string, events: number) {
  const until = Date.now() + 15_000;
  for (;;) {
    const log = await deliveryLog(tenantId, { failed: false, limit: 50 });
    if (log.length >= events || Date.now() > until) return log;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
