/**
 * Contention on one number (docs/reliability.md, "Contention"): 40 concurrent claims over 2
 * numbers (20 waiting their turn on each) against the same 40 claims over 40 numbers (no
 * waiting), alternated, side by side. Every claim must be answered 200, recorded once and sent to
 * Meta once; the budget is the ratio of the two wall times.
 */
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { type BenchEnvironment, type BenchPhone, seedPhones, seedTenant } from "./environment.ts";
import { type Section, table } from "./section.ts";
import type { Service } from "./service.ts";
import { median, ms } from "./stats.ts";

const CLAIMS = 40;
/** The budget: contended ≤ 3 × spread, measured in the same run. */
const RATIO_LIMIT = 3;

export interface ContentionOptions {
  repeats: number;
}

export async function contention(
  env: BenchEnvironment,
  service: Service,
  options: ContentionOptions,
): Promise<Section> {
  const tenant = await seedTenant();
  let round = 0;
  const runOnce = async (phones: readonly BenchPhone[]) => {
    round += 1;
    const requestsBefore = env.sandbox.requests().length;
    const started = performance.now();
    const answers = await mapWithConcurrency(Array.from({ length: CLAIMS }), CLAIMS, (_, i) =>
      service.call("POST username", phones[i % phones.length] as BenchPhone, tenant.apiKey, {
        username: `contend_${round}_${i}`,
      }),
    );
    const wallMs = performance.now() - started;
    const ok = answers.filter((a) => a.status === "fulfilled" && a.value.status === 200).length;
    const metaCalls = env.sandbox.requests().length - requestsBefore;
    if (ok !== CLAIMS || metaCalls !== CLAIMS) {
      throw new Error(`contention round ${round}: ${ok}/${CLAIMS} answered 200, Meta saw ${metaCalls} calls`);
    }
    return wallMs;
  };
  const contended = await seedPhones(env, tenant, 2);
  const spread = await seedPhones(env, tenant, CLAIMS);
  await runOnce(spread); // warm-up: the key cache and the client pools
  const samples = { contended: [] as number[], spread: [] as number[] };
  for (let i = 0; i < options.repeats; i++) {
    samples.contended.push(await runOnce(contended));
    samples.spread.push(await runOnce(spread));
  }
  const contendedMs = median(samples.contended);
  const spreadMs = median(samples.spread);
  const ratio = contendedMs / spreadMs;
  const { history } = await storedHistory(contended);
  return {
    title: "7. Contention: 40 concurrent claims",
    lines: [
      `${CLAIMS} POST /username at once, ${options.repeats} rounds alternated (median wall time). On 2 numbers ` +
        "they take turns on each number (the intent's ticket lock); on 40 numbers none waits. Every claim was " +
        `answered 200 and sent to Meta once; the 2 numbers hold ${history} history events for ` +
        `${CLAIMS * options.repeats} contended claims.`,
      "",
      ...table(
        ["claims over", "wall time", "ratio"],
        [
          ["40 numbers", ms(spreadMs, 0), "1.00"],
          ["2 numbers", ms(contendedMs, 0), ratio.toFixed(2)],
        ],
      ),
    ],
    budgets: [
      {
        name: "40 claims on 2 numbers vs 40 numbers (wall time)",
        measured: `${ratio.toFixed(2)}×`,
        limit: `≤ ${RATIO_LIMIT}×`,
        pass: ratio <= RATIO_LIMIT,
      },
      {
        name: "history events per contended claim",
        measured: `${history} / ${CLAIMS * options.repeats}`,
        limit: "exactly 1",
        pass: history === CLAIMS * options.repeats,
      },
    ],
  };
}

async function storedHistory(phones: readonly BenchPhone[]): Promise<{ history: number }> {
  const { listHistory } = await import("../functions/core/store/phones.ts");
  let history = 0;
  for (const phone of phones) history += (await listHistory(phone.phoneNumberId)).length;
  return { history };
}
