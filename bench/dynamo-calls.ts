/**
 * 3. DynamoDB calls per request, counted exactly (bench/call-counter.ts) while the real handlers
 * serve real events against DynamoDB Local and the sandbox.
 *  - cold: the container has never seen the API key (empty key cache); warm: it has.
 *  - GET username records what Meta answered only when it differs from the stored state:
 *    "unchanged" costs the reads and the tenant's Meta limit counter, "changed" adds its one write.
 *  - webhook: calls per change, and reads per delivery (batched: a fixed number of calls per
 *    100 numbers, not one per number).
 */
import { clearApiKeyCache } from "../functions/core/auth/authenticate.ts";
import { installCallCounter } from "./call-counter.ts";
import { type BenchEnvironment, type BenchPhone, seedPhones, seedTenant } from "./environment.ts";
import type { Budget, Section } from "./section.ts";
import { table } from "./section.ts";
import { callSandboxDirectly, type Endpoint, type Service } from "./service.ts";

/** GETs: the key with the number (one BatchGetItem cold, the number warm) and the tenant's Meta limit counter. */
// POST/DELETE: the number's turn (ownership, the tenant's Meta limit counter and the lease on an
// empty line in one transaction), the record read inside it (or with a cold key), the state
// transaction that ends the turn.
// Webhook: a delivery reads the number's lookup item, then its record (strongly consistent, as no
// index can be), then writes: 3 calls for one change, far fewer per change in a batch.
export const LIMITS = { getCold: 2, getWarm: 2, writeRoute: 3, webhookPerChange: 3 };
/** Batched reads: lookups then phone records, 100 keys per BatchGetItem. */
const webhookReadLimit = (numbers: number) => 2 * Math.ceil(numbers / 100);

export async function dynamoCalls(env: BenchEnvironment, service: Service): Promise<Section> {
  const tenant = await seedTenant();
  const [phone, webhookBase] = [
    (await seedPhones(env, tenant, 1))[0] as BenchPhone,
    await seedPhones(env, tenant, 250, { perWaba: 25 }),
  ];
  const counter = installCallCounter();
  const rows: string[][] = [];
  const budgets: Budget[] = [];
  let names = 0;
  const nextName = () => `bench_calls_${++names}`;

  async function measure(label: string, warm: boolean, run: () => Promise<unknown>) {
    if (!warm) clearApiKeyCache();
    counter.reset();
    await run();
    const count = counter.calls.length;
    rows.push([label, warm ? "warm" : "cold", counter.describe()]);
    return count;
  }
  async function request(endpoint: Endpoint, body?: unknown) {
    const answer = await service.call(endpoint, phone, tenant.apiKey, body);
    if (answer.status !== 200) throw new Error(`${endpoint} answered ${answer.status}: ${answer.body}`);
    return answer;
  }
  const budget = (name: string, count: number, limit: number) =>
    budgets.push({ name, measured: String(count), limit: `≤ ${limit}`, pass: count <= limit });

  try {
    // The stored state first matches Meta's, so the GETs below change nothing.
    await request("POST username", { username: nextName() });
    await request("GET username");

    const getCold = await measure("GET username, state unchanged", false, () => request("GET username"));
    const getWarm = await measure("GET username, state unchanged", true, () => request("GET username"));
    await callSandboxDirectly(env.sandbox.url, "POST username", phone, { username: nextName() });
    const getChanged = await measure("GET username, Meta's state changed", true, () =>
      request("GET username"),
    );
    const suggestCold = await measure("GET username_suggestions", false, () =>
      request("GET username_suggestions"),
    );
    const suggestWarm = await measure("GET username_suggestions", true, () =>
      request("GET username_suggestions"),
    );
    const postCold = await measure("POST username (new name)", false, () =>
      request("POST username", { username: nextName() }),
    );
    const postWarm = await measure("POST username (new name)", true, () =>
      request("POST username", { username: nextName() }),
    );
    const deleteCold = await measure("DELETE username (had a name)", false, () => request("DELETE username"));
    await request("POST username", { username: nextName() });
    const deleteWarm = await measure("DELETE username (had a name)", true, () => request("DELETE username"));

    budget("GET username, cold", getCold, LIMITS.getCold);
    budget("GET username, warm, unchanged", getWarm, LIMITS.getWarm);
    budget("GET username, warm, changed (+1 write)", getChanged, getWarm + 1);
    budget("GET username_suggestions, cold", suggestCold, LIMITS.getCold);
    budget("GET username_suggestions, warm", suggestWarm, LIMITS.getWarm);
    budget("POST username, cold", postCold, LIMITS.writeRoute);
    budget("POST username, warm", postWarm, LIMITS.writeRoute);
    budget("DELETE username, cold", deleteCold, LIMITS.writeRoute);
    budget("DELETE username, warm", deleteWarm, LIMITS.writeRoute);

    // Webhook deliveries: every change is new (a later entry.time), so every one is applied.
    let time = 1_700_000_000;
    const shapes: Array<{ label: string; numbers: BenchPhone[]; perNumber: number }> = [
      { label: "1 number × 1 change", numbers: webhookBase.slice(0, 1), perNumber: 1 },
      { label: "250 numbers × 1 change", numbers: webhookBase, perNumber: 1 },
      { label: "50 numbers × 5 changes", numbers: webhookBase.slice(0, 50), perNumber: 5 },
    ];
    const webhookRows: string[][] = [];
    for (const shape of shapes) {
      time += 100;
      const events = shape.numbers.flatMap((p, n) =>
        Array.from({ length: shape.perNumber }, (_, i) => ({
          wabaId: p.wabaId,
          displayPhoneNumber: p.displayPhoneNumber,
          time: time + i,
          status: i % 2 ? "approved" : "reserved",
          username: `bench_hook_${time}_${n}_${i}`,
        })),
      );
      counter.reset();
      const answer = await service.deliver(events);
      if (answer.status !== 200 || answer.json?.applied !== events.length) {
        throw new Error(`webhook ${shape.label} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      }
      const total = counter.calls.length;
      const reads = counter.reads();
      const perChange = total / events.length;
      webhookRows.push([
        shape.label,
        String(events.length),
        String(total),
        String(reads),
        String(counter.writes()),
        perChange.toFixed(2),
        summarizeOps(counter.calls),
      ]);
      budgets.push({
        name: `webhook ${shape.label}: calls per change`,
        measured: perChange.toFixed(2),
        limit: `≤ ${LIMITS.webhookPerChange}`,
        pass: perChange <= LIMITS.webhookPerChange,
      });
      const readLimit = webhookReadLimit(shape.numbers.length);
      budgets.push({
        name: `webhook ${shape.label}: reads per delivery (batched)`,
        measured: String(reads),
        limit: `≤ ${readLimit}`,
        pass: reads <= readLimit,
      });
    }

    return {
      title: "3. DynamoDB calls per request",
      lines: [
        "Counted exactly by an SDK middleware on the store's client (after the retry middleware, so a retry " +
          "would count). Cold = empty API-key cache (a new container); warm = the key was seen within " +
          "`API_KEY_CACHE_TTL_MS` (60 s by default: a revoked key keeps working on a warm container for at most that long).",
        "",
        ...table(["request", "container", "calls"], rows),
        "",
        ...table(
          ["webhook delivery", "changes", "calls", "reads", "writes", "calls per change", "operations"],
          webhookRows,
        ),
      ],
      budgets,
    };
  } finally {
    counter.restore();
  }
}

/** `BatchGetItem × 6, TransactWriteItems × 250` */
function summarizeOps(calls: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const call of calls) counts.set(call, (counts.get(call) ?? 0) + 1);
  return [...counts].map(([op, n]) => `${op.replace(/Command$/, "")} × ${n}`).join(", ");
}
