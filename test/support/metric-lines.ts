/**
 * The service's metric lines (CloudWatch embedded metric format) as Lambda's log stream gets them:
 * from stdout, where the Powertools metrics instance writes them (functions/core/metrics.ts).
 * setup-env.ts installs the filter in every test file, so metric lines stay out of the test
 * output as log lines do (POWERTOOLS_LOG_LEVEL=SILENT); `captureMetrics()` collects them.
 */

/** One EMF line: the metric values and metadata at the top level, their declaration under `_aws`. */
export interface MetricLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [field: string]: unknown;
}

export interface MetricCapture {
  /** Every metric line written since the capture started. */
  lines(): MetricLine[];
  /** The lines that declare `name`. */
  linesOf(name: string): MetricLine[];
  /** The sum of `name`'s values over the captured lines. */
  count(name: string): number;
  /** Names declared by the captured lines, once each, sorted. */
  names(): string[];
  stop(): void;
}

const listeners = new Set<(line: MetricLine) => void>();
let installed = false;

function asMetricLine(text: string): MetricLine | undefined {
  if (!text.startsWith('{"_aws"')) return undefined;
  try {
    const parsed = JSON.parse(text) as MetricLine;
    return Array.isArray(parsed._aws?.CloudWatchMetrics) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps metric lines off the real stdout and hands them to the captures; idempotent. */
export function installMetricLineFilter(): void {
  if (installed) return;
  installed = true;
  const write = process.stdout.write.bind(process.stdout) as (...args: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : "";
    const lines = text.split("\n").filter((line) => line !== "");
    const parsed = lines.map(asMetricLine);
    if (lines.length > 0 && parsed.every((line) => line !== undefined)) {
      for (const line of parsed) for (const listener of listeners) listener(line as MetricLine);
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
}

/** Collects the metric lines written from now until `stop()`. */
export function captureMetrics(): MetricCapture {
  installMetricLineFilter();
  const captured: MetricLine[] = [];
  const listener = (line: MetricLine) => captured.push(line);
  listeners.add(listener);
  const declares = (line: MetricLine, name: string) =>
    line._aws.CloudWatchMetrics.some((set) => set.Metrics.some((metric) => metric.Name === name));
  return {
    lines: () => [...captured],
    linesOf: (name) => captured.filter((line) => declares(line, name)),
    count: (name) =>
      captured.filter((line) => declares(line, name)).reduce((sum, line) => sum + Number(line[name] ?? 0), 0),
    names: () =>
      [
        ...new Set(
          captured.flatMap((line) =>
            line._aws.CloudWatchMetrics.flatMap((s) => s.Metrics.map((m) => m.Name)),
          ),
        ),
      ].sort(),
    stop: () => listeners.delete(listener),
  };
}
