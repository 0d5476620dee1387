/** Order statistics for benchmark samples: medians with their spread, and latency percentiles. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p50: number;
  p99: number;
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: median(sorted),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

/** `12.3 ms (11.9–14.0)`: the median with min and max. */
export function spread(summary: Summary, digits = 1, unit = " ms"): string {
  return `${summary.median.toFixed(digits)}${unit} (${summary.min.toFixed(digits)}–${summary.max.toFixed(digits)})`;
}

export function ms(value: number, digits = 1): string {
  return `${value.toFixed(digits)} ms`;
}
