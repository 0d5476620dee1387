/**
 * Secret rotation with an overlap (issue 22, finding 6): after `rotate-secret` every attempt
 * carries two Standard Webhooks signatures (new and previous secret, space-separated) until the
 * overlap ends, then the new one only; the previous secret is stored sealed like the new one and
 * dropped after the overlap. Verified with the `standardwebhooks` library, as a tenant would.
 */
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { DEFAULT_SECRET_OVERLAP_SECONDS, rotateEndpointSecret } from "../../functions/core/admin/webhooks.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { findEndpoint } from "../../functions/core/store/webhook-endpoints.ts";
import { openEndpointSecret } from "../../functions/core/tenant-webhooks/endpoint-secret.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { type ReceivedWebhook, startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { seedPhone, seedTenant, useWorld } from "../support/world.ts";

process.env.WEBHOOK_RETRY_DELAYS = "0.3,0.3,0.3";
process.env.WEBHOOK_TIMEOUT_MS = "1000";
const OVERLAP_SECONDS = 8;

const world = useWorld({ stream: true });
useEventPipeline(world);

let names = 0;

async function subject() {
  const tenant = await seedTenant();
  const phone = await seedPhone(world, tenant);
  return {
    tenant,
    async change() {
      const answer = await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: `rotation_name_${++names}` },
      });
      expect(answer.status).toBe(200);
    },
  };
}

const verifies = (secret: string, request: ReceivedWebhook) => {
  try {
    verifiedEvent(secret, request);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return false;
  }
};

const signatures = (request: ReceivedWebhook) => (request.headers["webhook-signature"] ?? "").split(" ");

describe("secret rotation with an overlap", { timeout: 90_000 }, () => {
  it("signs with both secrets until the overlap ends, retries of earlier events included, then with the new one only", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    // Everything is refused until the rotation: the first event is retried after it.
    let rotatedYet = false;
    receiver.answerWith(() => ({ status: rotatedYet ? 204 : 500 }));
    await s.change();
    const [before] = await receiver.waitFor((r) => r.length === 1);
    expect(signatures(before as ReceivedWebhook)).toHaveLength(1);

    const rotated = await rotateEndpointSecret(endpoint.id, { overlapSeconds: OVERLAP_SECONDS });
    rotatedYet = true;
    const overlapEnd = Date.parse(rotated.previousSecretExpiresAt as string);
    expect(overlapEnd - Date.now()).toBeGreaterThan((OVERLAP_SECONDS - 1) * 1000);
    await s.change();
    // Requests signed since the rotation: the first event's retry and the second event.
    const signedSince = (requests: ReceivedWebhook[]) => requests.filter((r) => verifies(rotated.secret, r));
    const during = signedSince(
      await receiver.waitFor((r) => new Set(signedSince(r).map((x) => x.headers["webhook-id"])).size === 2),
    );
    expect(Date.now()).toBeLessThan(overlapEnd);
    expect(during.map((r) => r.headers["webhook-id"])).toContain(before?.headers["webhook-id"]);
    for (const request of during) {
      expect(signatures(request)).toEqual([expect.stringMatching(/^v1,/), expect.stringMatching(/^v1,/)]);
      // A receiver still on the previous secret verifies them too.
      expect(verifies(endpoint.secret, request)).toBe(true);
    }

    // The previous secret is stored sealed like the new one (the endpoint id as associated data).
    const stored = await findEndpoint(endpoint.id);
    expect(openEndpointSecret(stored?.previousSecretSealed as string, endpoint.id)).toBe(endpoint.secret);
    const { Items = [] } = await dynamo().send(new ScanCommand({ TableName: tableName() }));
    const table = JSON.stringify(Items);
    for (const secret of [endpoint.secret, rotated.secret]) expect(table).not.toContain(secret.slice(6));

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, overlapEnd - Date.now()) + 100));
    const seen = receiver.received().length;
    await s.change();
    const [after] = (await receiver.waitFor((r) => r.length === seen + 1)).slice(seen);
    expect(signatures(after as ReceivedWebhook)).toHaveLength(1);
    expect(verifies(rotated.secret, after as ReceivedWebhook)).toBe(true);
    expect(verifies(endpoint.secret, after as ReceivedWebhook)).toBe(false);
    // Dropped once the overlap is over.
    const dropped = await findEndpoint(endpoint.id);
    expect(dropped?.previousSecretSealed).toBeUndefined();
    expect(dropped?.previousSecretExpiresAt).toBeUndefined();
    await receiver.close();
  });

  it("keeps at most two secrets: rotating during an overlap drops the oldest at once", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    const second = await rotateEndpointSecret(endpoint.id, { overlapSeconds: 60 });
    const third = await rotateEndpointSecret(endpoint.id, { overlapSeconds: 60 });
    await s.change();
    const [request] = await receiver.waitFor((r) => r.length === 1);
    expect(verifies(third.secret, request as ReceivedWebhook)).toBe(true);
    expect(verifies(second.secret, request as ReceivedWebhook)).toBe(true);
    expect(verifies(endpoint.secret, request as ReceivedWebhook)).toBe(false);
    await receiver.close();
  });

  it("overlaps 24 hours by default, and refuses an overlap out of range", async () => {
    const s = await subject();
    const endpoint = await addEndpoint(s.tenant.tenantId, "https://hooks.example.com/rotation");
    const rotated = await rotateEndpointSecret(endpoint.id);
    expect(DEFAULT_SECRET_OVERLAP_SECONDS).toBe(24 * 3600);
    const left = Date.parse(rotated.previousSecretExpiresAt as string) - Date.now();
    expect(left).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(left).toBeLessThanOrEqual(24 * 3600_000);
    await expect(rotateEndpointSecret(endpoint.id, { overlapSeconds: -1 })).rejects.toThrow("overlap");
    await expect(rotateEndpointSecret(endpoint.id, { overlapSeconds: 8 * 24 * 3600 })).rejects.toThrow(
      "overlap",
    );
    const none = await rotateEndpointSecret(endpoint.id, { overlapSeconds: 0 });
    expect(none.previousSecretExpiresAt).toBeUndefined();
    expect((await findEndpoint(endpoint.id))?.previousSecretSealed).toBeUndefined();
  });
});
