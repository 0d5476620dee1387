/**
 * Meta going wrong on purpose. A test arms faults; each Graph request takes the first armed fault
 * whose `path` it contains, until the fault's count is used up, and a fixed delay can slow every
 * Graph answer. The modes:
 *
 * - `status`: an error answer (`faultReply` below): Graph's transient error for the status, a
 *   given body or bytes, or one of Meta's real answers (meta-errors.ts);
 * - `slow`: waits `delayMs`, then answers normally;
 * - `garbage`: 200 with HTML instead of JSON;
 * - `reset`: the connection is destroyed without an answer;
 * - `hang`: no answer until the client gives up or the sandbox closes.
 *
 * The socket-level modes are carried out by server.ts, which owns the socket. A request met by
 * any mode but `slow` never reaches Meta's rules, so it changes no state.
 */
import { type NormalizedFault, parseDelay, parseFault, type SandboxFault } from "./control-input.ts";
import { type GraphReply, graphError } from "./graph-reply.ts";
import { META_ANSWER_EXAMPLES } from "./meta-errors.ts";

/** The armed faults and the fixed delay of one sandbox. */
export class FaultModes {
  #faults: (NormalizedFault & { remaining: number })[] = [];
  #delayMs = 0;

  /**
   * Arms a fault for the next Graph requests: `SandboxFault` (unchecked) → the checked
   * `NormalizedFault` armed (control-input.ts; 400 for a bad one). Faults are taken in the
   * order they were armed.
   */
  arm(value: unknown): SandboxFault {
    const fault = parseFault(value);
    this.#faults.push({ ...fault, remaining: fault.count });
    return fault;
  }

  /** Faults still waiting for requests, oldest first, with `count` = what is left of each. */
  pending(): SandboxFault[] {
    return this.#faults.map(({ remaining, ...f }) => ({ ...f, count: remaining }));
  }

  /** Disarms every fault; the fixed delay stays. */
  clear(): void {
    this.#faults = [];
  }

  /**
   * The fault this Graph request meets, used up by one: the first armed fault whose `path` the
   * request's path (with query) contains, or that has no `path`; undefined when none matches.
   */
  take(path: string): NormalizedFault | undefined {
    const index = this.#faults.findIndex((f) => f.path === undefined || path.includes(f.path));
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    const { remaining: _, ...rest } = fault;
    return rest;
  }

  /** Milliseconds every Graph answer waits (0: none), on top of a slow fault's. */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** Sets the fixed delay: a finite number of ms ≥ 0 (400 otherwise); 0 turns it off. */
  setDelay(ms: unknown): void {
    this.#delayMs = parseDelay(ms);
  }

  /** Disarms every fault and turns the delay off. */
  reset(): void {
    this.#faults = [];
    this.#delayMs = 0;
  }
}

/**
 * The answer of a "status" fault: `SandboxFault` → `GraphReply` with the fault's status (else its
 * example's, else 500); the fault's `body`, or else Graph's own error for that status; the
 * example's headers overlaid by the fault's; and the fault's `rawBody` (else the example's bytes)
 * sent instead of the body when there is one.
 */
export function faultReply(fault: SandboxFault): GraphReply {
  const example = fault.example === undefined ? undefined : META_ANSWER_EXAMPLES[fault.example];
  const status = fault.status ?? example?.status ?? 500;
  const reply = defaultFaultReply(status, fault);
  const headers = { ...example?.headers, ...fault.headers };
  if (Object.keys(headers).length > 0) reply.headers = { ...reply.headers, ...headers };
  const rawBody = fault.rawBody ?? example?.body;
  if (rawBody !== undefined) reply.rawBody = rawBody;
  return reply;
}

/**
 * The fault's body, or what Graph answers for the status: a throttle (code 4) for 429, a
 * transient error (code 2) for a 5xx other than 500, an unknown error (code 1) for the rest.
 */
function defaultFaultReply(status: number, fault: SandboxFault): GraphReply {
  if (fault.body !== undefined) return { status, body: fault.body };
  if (status === 429) {
    return graphError(429, {
      message: "(#4) Application request limit reached",
      type: "OAuthException",
      code: 4,
      transient: true,
    });
  }
  if (status >= 500 && status !== 500) {
    return graphError(status, {
      message: "An unexpected error has occurred. Please retry your request later.",
      type: "OAuthException",
      code: 2,
      transient: true,
    });
  }
  return graphError(status, {
    message: "An unknown error has occurred.",
    type: "OAuthException",
    code: 1,
    transient: false,
  });
}
