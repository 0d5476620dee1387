/** What a figure was measured on: these machines are shared and noisy, so the load goes beside it. */
import { availableParallelism, cpus, loadavg } from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  date: string;
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: availableParallelism(),
    node: process.version,
    date: new Date().toISOString(),
  };
}

/** `1.23 / 0.98 / 0.70` (1, 5 and 15 minutes). */
export function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");
}
