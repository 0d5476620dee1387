/**
 * Fair share between tenants and for Meta (docs/reliability.md, "Fair share"), over HTTP through
 * the local gateway with API Gateway's per-route throttle emulated at the deployed figures:
 *  - one tenant reading `/v1` at several times its per-tenant read limit gets 429 code 4 (with
 *    `retry-after`) for everything over it, refused before any read, while another tenant's reads
 *    and Meta's webhook deliveries, interleaved, are all served normally;
 *  - the history route checks ownership before reading: another tenant's number costs the same
 *    store calls as an unknown one (one read of the number, no history Query), and answers the same.
 */
import { describe, expect, it } from "vitest";
import { ROUTE_THROTTLING } from "../../infra/stage-settings.ts";
import { buildWebhookPayload, signWebhookBody, type WebhookEvent } from "../../meta-sandbox/index.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { recordStoreCalls } from "../support/store-calls.ts";
import { APP_SECRET, configureWebhookSecrets, webhookEvent } from "../support/webhook-client.ts";
import { seedPhone, seedTenant, uniqueDigits, useWorld } from "../support/world.ts";

configureWebhookSecrets();
const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);

const LIMIT = 20;

describe("one tenant over its /v1 read limit", { timeout: 120_000 }, () => {
  it("is refused with 429 code 4 for what is over, while another tenant and Meta's webhook are served", async () => {
    const noisy = await seedTenant();
    const quiet = await seedTenant();
    const quietPhone = await seedPhone(world, quiet);
    const saved = process.env.TENANT_READ_LIMIT_PER_MINUTE;
    process.env.TENANT_READ_LIMIT_PER_MINUTE = String(LIMIT);
    // The deployed route throttle, as API Gateway applies it, on a gateway of its own.
    const { startLocalGateway } = await import("../../dev/local-gateway.ts");
    const gateway = await startLocalGateway({ log: false, throttling: ROUTE_THROTTLING });
    const get = async (path: string, key: string) => {
      const started = performance.now();
      const response = await fetch(`${gateway.url}${path}`, { headers: { "x-api-key": key } });
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        json: (await response.json()) as { error?: { code: number } },
        ms: performance.now() - started,
      };
    };
    // Meta's delivery over HTTP, signed as Meta signs it, through the same throttled gateway.
    const deliver = async (event: WebhookEvent) => {
      const body = JSON.stringify(buildWebhookPayload([event]));
      const response = await fetch(`${gateway.url}/meta/whatsapp/webhook`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-hub-signature-256": signWebhookBody(body, APP_SECRET),
        },
        body,
      });
      await response.text();
      return { status: response.status };
    };
    try {
      // Five times the limit from one tenant, 10 at a time, with the other tenant's reads and
      // Meta's deliveries interleaved.
      const noisyAnswers: Awaited<ReturnType<typeof get>>[] = [];
      const quietAnswers: Awaited<ReturnType<typeof get>>[] = [];
      const webhookStatuses: number[] = [];
      for (let round = 0; round < 10; round++) {
        const [burst, quietRead, delivery] = await Promise.all([
          Promise.all(
            Array.from({ length: LIMIT / 2 }, () => get("/v1/phone_numbers?limit=5", noisy.apiKey)),
          ),
          get(`/v1/phone_numbers/${quietPhone.phoneNumberId}`, quiet.apiKey),
          deliver(
            webhookEvent(
              quietPhone,
              Math.floor(Date.now() / 1000) - 60 + round,
              "approved",
              `fair_${round}_${uniqueDigits(4)}`,
            ),
          ),
        ]);
        noisyAnswers.push(...burst);
        quietAnswers.push(quietRead);
        webhookStatuses.push(delivery.status);
      }
      const served = noisyAnswers.filter((a) => a.status === 200);
      const refused = noisyAnswers.filter((a) => a.status === 429);
      // Within one minute's window (two if the run crosses a minute boundary).
      expect(served.length).toBeGreaterThanOrEqual(LIMIT);
      expect(served.length).toBeLessThanOrEqual(2 * LIMIT);
      expect(served.length + refused.length).toBe(5 * LIMIT);
      for (const answer of refused) {
        expect(answer.json.error?.code).toBe(4);
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      expect(quietAnswers.map((a) => a.status)).toEqual(Array(10).fill(200));
      expect(webhookStatuses).toEqual(Array(10).fill(200));
      const p95 = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length * 0.95)] ?? 0;
      console.log(
        JSON.stringify({
          fairness: {
            noisyRequests: noisyAnswers.length,
            noisyServed: served.length,
            noisyRefused: refused.length,
            quietServed: quietAnswers.length,
            quietP95Ms: Math.round(p95(quietAnswers.map((a) => a.ms))),
            refusedP95Ms: Math.round(p95(refused.map((a) => a.ms))),
            webhookDelivered: webhookStatuses.length,
          },
        }),
      );
    } finally {
      process.env.TENANT_READ_LIMIT_PER_MINUTE = saved;
      await gateway.close();
    }
  });

  it("the username routes on numbers it does not own count too: past the limit 429, its own numbers and other tenants unaffected", async () => {
    const noisy = await seedTenant();
    const own = await seedPhone(world, noisy);
    const other = await seedTenant();
    const theirs = await seedPhone(world, other);
    const saved = process.env.TENANT_READ_LIMIT_PER_MINUTE;
    process.env.TENANT_READ_LIMIT_PER_MINUTE = String(LIMIT);
    const { callUsernameApi } = await import("../support/username-client.ts");
    try {
      // Another tenant's number and unknown ones, every route, three times the limit.
      const targets = [theirs.phoneNumberId, uniqueDigits(15)];
      const operations = ["get", "suggestions", "claim", "delete"] as const;
      const answers = [];
      for (let i = 0; i < 3 * LIMIT; i++) {
        const operation = operations[i % operations.length] as (typeof operations)[number];
        answers.push(
          await callUsernameApi(operation, targets[i % 2] as string, {
            apiKey: noisy.apiKey,
            ...(operation === "claim" ? { body: { username: "not_mine" } } : {}),
          }),
        );
      }
      const codes = answers.map((answer) => `${answer.status}/${answer.json?.error?.code}`);
      const refusedAsUnknown = codes.filter((code) => code === "400/33").length;
      const limited = codes.filter((code) => code === "429/4").length;
      expect(refusedAsUnknown + limited, codes.join()).toBe(3 * LIMIT);
      // Within one minute's window (two if the run crosses a minute boundary).
      expect(refusedAsUnknown).toBeGreaterThanOrEqual(LIMIT);
      expect(refusedAsUnknown).toBeLessThanOrEqual(2 * LIMIT);
      expect(limited).toBeGreaterThan(0);
      // The other tenant, and the noisy tenant's own number (its Meta limit, not this one).
      expect((await callUsernameApi("get", theirs.phoneNumberId, { apiKey: other.apiKey })).status).toBe(200);
      expect((await callUsernameApi("get", own.phoneNumberId, { apiKey: noisy.apiKey })).status).toBe(200);
    } finally {
      process.env.TENANT_READ_LIMIT_PER_MINUTE = saved;
    }
  });

  it("a refused read reads nothing: the key, the counter, no Query and no number read", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const saved = process.env.TENANT_READ_LIMIT_PER_MINUTE;
    process.env.TENANT_READ_LIMIT_PER_MINUTE = "1";
    const { calls, restore } = recordStoreCalls();
    try {
      expect((await pipeline.get(`/v1/phone_numbers/${phone.phoneNumberId}`, tenant.apiKey)).status).toBe(
        200,
      );
      const history = `/v1/phone_numbers/${phone.phoneNumberId}/username_history`;
      calls.length = 0;
      let refused = await pipeline.get(history, tenant.apiKey);
      if (refused.status === 200) {
        // A new minute began between the two: that read was its window's one. The next is over.
        calls.length = 0;
        refused = await pipeline.get(history, tenant.apiKey);
      }
      expect(refused.status).toBe(429);
      const ours = calls.filter((c) => c.indexName !== "byDueTime").map((c) => c.command);
      // The key (no cache in tests), the counter's refused update: no number, no Query.
      expect(ours).toEqual(["GetItemCommand", "UpdateItemCommand"]);
    } finally {
      restore();
      process.env.TENANT_READ_LIMIT_PER_MINUTE = saved;
    }
  });
});

describe("the history route and another tenant's number", () => {
  it("checks ownership before reading: the same store calls and answer as an unknown number", async () => {
    const owner = await seedTenant();
    const intruder = await seedTenant();
    const phone = await seedPhone(world, owner);
    const unknown = uniqueDigits(15);
    const { calls, restore } = recordStoreCalls();
    const costOf = async (id: string) => {
      calls.length = 0;
      const answer = await pipeline.get(`/v1/phone_numbers/${id}/username_history`, intruder.apiKey);
      const commands = calls.filter((c) => c.indexName !== "byDueTime").map((c) => c.command);
      const { fbtrace_id: _, ...error } = answer.json.error;
      return {
        status: answer.status,
        error: { ...error, message: error.message.replace(id, "<id>") },
        commands,
      };
    };
    try {
      // Warm: the key is then read the same way for both.
      await costOf(unknown);
      const foreign = await costOf(phone.phoneNumberId);
      const missing = await costOf(unknown);
      expect(foreign.status).toBe(400);
      expect(foreign).toEqual(missing);
      // The number's record only: never the history's Query.
      expect(foreign.commands).not.toContain("QueryCommand");
      // The key, the read counter, the number's record, then the id as a WhatsApp Account id
      // (auth/owned-number.ts): never the history's Query.
      expect(foreign.commands).toEqual([
        "GetItemCommand",
        "UpdateItemCommand",
        "GetItemCommand",
        "GetItemCommand",
      ]);
    } finally {
      restore();
    }
  });
});
