/**
 * Stands in for `@aws-lambda-powertools/metrics` in the cold-start benchmark's "without metrics"
 * bundles (bench/cold-start.ts): the same exports functions/core/metrics.ts uses, doing nothing,
 * so the difference to the real bundle is the library's own cost (import and construction).
 */
export const MetricUnit = { Count: "Count" } as const;

export class Metrics {
  singleMetric(): Metrics {
    return this;
  }
  addMetadata(_key: string, _value: string): void {}
  addMetric(_name: string, _unit: string, _value: number): void {}
}
