/**
 * Partition key values named by what they stand for: `RATELIMIT#bench-1a2b` is
 * `RATELIMIT#<tenant>`, `PHONE#123…` is `PHONE#<number>`. The capacity model needs the pattern
 * (which requests share one key value) more than the value itself: a key that names a number is
 * shared by that number's requests only; one that names a tenant by all of the tenant's; one that
 * names nothing by the whole service.
 */

export type KeyScope = "service" | "tenant" | "item";

export interface KeyPatterns {
  /** Teaches the labeller that `value` is a `<label>` (a tenant id, a phone number id...). */
  know(value: string, label: string): void;
  /** `RATELIMIT#<tenant>`; the value's segments it does not know stay as they are. */
  pattern(pk: string): string;
}

const SHAPES: Array<[RegExp, string]> = [
  [/^evt_[0-9A-Z]{26}$/, "<event>"],
  [/^ep_[A-Za-z0-9_-]+$/, "<endpoint>"],
  [/^[0-9a-f]{64}$/, "<sha256>"],
];

export function keyPatterns(): KeyPatterns {
  const known = new Map<string, string>();
  const segment = (value: string, previous: string | undefined): string => {
    const label = known.get(value);
    if (label) return `<${label}>`;
    for (const [shape, name] of SHAPES) if (shape.test(value)) return name;
    if (previous === "DUE" && /^\d$/.test(value)) return "<0-7>";
    return value;
  };
  return {
    know(value, label) {
      known.set(value, label);
    },
    pattern(pk) {
      const parts = pk.split("#");
      return parts.map((part, i) => (i === 0 ? part : segment(part, parts[i - 1]))).join("#");
    },
  };
}

/** Who shares a key of this pattern: one item's requests, one tenant's, or every request of the service. */
export function scopeOf(pattern: string): KeyScope {
  if (/<(number|event|sha256|waba|digits|business|endpoint)>/.test(pattern)) return "item";
  if (pattern.includes("<tenant>")) return "tenant";
  return "service";
}
