/**
 * Everything random in the tests comes from one seed per test run, so any failure can be
 * replayed exactly (docs/reliability.md, "Randomized tests"):
 *  - `FC_SEED=<n>` fixes the run's seed; without it a fresh one is drawn;
 *  - each test gets its own seed, derived from the run's seed and the test's identity (its full
 *    name and vitest's task id), so a test replays the same inputs whether the whole suite runs
 *    or only its file;
 *  - fast-check properties use that seed (test/support/setup-env.ts sets it before each test),
 *    and `shuffled` draws its permutations from it.
 * A failing test prints the run's seed and the command that replays it.
 */
import fc from "fast-check";

/** Seeds are 32-bit signed integers, as fast-check takes them. */
function parseSeed(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got '${raw}'`);
  return seed | 0;
}

/** The seed of this test run: FC_SEED when set, else a fresh one. */
export const RUN_SEED: number = parseSeed(process.env.FC_SEED) ?? (Math.random() * 2 ** 32) | 0;

/** FNV-1a of the text, mixed into the run's seed: stable per test name, different between tests. */
export function seedFor(testName: string, runSeed = RUN_SEED): number {
  let hash = 0x811c9dc5 ^ runSeed;
  for (let i = 0; i < testName.length; i++) {
    hash ^= testName.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

let testSeed = RUN_SEED;
let draws = 0;

/** Called before each test (setup-env.ts): fast-check and `shuffled` use the test's own seed. */
export function useTestSeed(testName: string): number {
  testSeed = seedFor(testName);
  draws = 0;
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: testSeed });
  return testSeed;
}

/** A permutation of `items` drawn from the current test's seed (the n-th call of a test is the same on replay). */
export function shuffled<T>(items: readonly T[]): T[] {
  draws += 1;
  const [permutation] = fc.sample(fc.shuffledSubarray([...items], { minLength: items.length }), {
    numRuns: 1,
    seed: (testSeed + Math.imul(draws, 0x9e3779b9)) | 0,
  });
  return permutation ?? [...items];
}

/**
 * The line a failing test prints: the run's seed and how to replay its file with it (the whole
 * file, as its tests may build on state the earlier ones left; add `-t <name>` for one test).
 */
export function replayHint(testFile: string): string {
  return `random inputs of this run came from FC_SEED=${RUN_SEED}; replay: FC_SEED=${RUN_SEED} npx vitest run ${testFile}`;
}
