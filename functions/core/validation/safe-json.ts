/** JSON from untrusted senders (clients, Meta): parsed without prototype-polluting keys. */

/** Keys that must never become properties of an object built from client input. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * JSON.parse that drops prototype-polluting keys wherever they appear. JSON.parse itself never
 * sets a prototype (a `"__proto__"` key becomes an own property), so the keys are removed
 * afterwards, by an explicit-stack walk: a reviver recurses once per nesting level and overflows
 * the stack on a few thousand levels, which would turn a valid but deep document into an error.
 */
export function parseJsonSafely(text: string): unknown {
  const root: unknown = JSON.parse(text);
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== "object") continue;
    if (!Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(record, key)) delete record[key];
    }
    for (const child of Object.values(value))
      if (child !== null && typeof child === "object") pending.push(child);
  }
  return root;
}
