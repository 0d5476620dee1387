/**
 * DynamoDB faults the emulator cannot produce (unavailability, throttling), injected with an SDK
 * middleware on a client that otherwise talks to the real DynamoDB Local. The middleware sits
 * below the SDK's retry middleware, so every attempt passes through `rule` and a client built
 * with `maxAttempts > 1` retries an injected retryable fault exactly as it would a real one.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { setDynamoClient } from "../../functions/core/store/client.ts";

/**
 * Called once per attempt; `callNumber` counts attempts of that command since injection. An
 * error fails the attempt; a number delays it by that many ms (a slow store); `{ after }` lets
 * the store do the work, then fails the attempt with `after` (a request that timed out after
 * DynamoDB applied it); undefined passes.
 */
export type FaultRule = (
  commandName: string,
  callNumber: number,
  /** The command's input (attribute values marshalled), to tell writes apart (`writeKind`). */
  input: Record<string, unknown>,
) => Error | number | { after: Error } | undefined;

/**
 * What a write of a username change is, by what it writes: `state`, the transaction that records
 * a change (it puts a history item); `turn`, the write that takes a number's turn (the lease on
 * its line item, or the ownership and Meta-limit check before a ticket); `other` for the rest.
 */
export function writeKind(commandName: string, input: Record<string, unknown>): "state" | "turn" | "other" {
  if (commandName !== "TransactWriteItemsCommand") return "other";
  const items = (input.TransactItems ?? []) as Array<
    Record<string, { Item?: unknown; Key?: unknown; UpdateExpression?: string }>
  >;
  const sk = (value: unknown) => {
    const raw = (value as { sk?: unknown } | undefined)?.sk;
    return String((raw as { S?: string } | undefined)?.S ?? raw ?? "");
  };
  if (items.some((item) => sk(item.Put?.Item).startsWith("HISTORY#"))) return "state";
  const takesLease = items.some(
    (item) =>
      sk(item.Update?.Key) === "INTENT" && /leaseOwner = :owner/.test(item.Update?.UpdateExpression ?? ""),
  );
  const checksOwner = items.some((item) => sk(item.ConditionCheck?.Key) === "PHONE");
  return takesLease || checksOwner ? "turn" : "other";
}

/** The HTTP status DynamoDB answers each fault with: the SDK's retry decision depends on it. */
const FAULT_STATUS: Record<string, number> = {
  ProvisionedThroughputExceededException: 400,
  ThrottlingException: 400,
  RequestLimitExceeded: 400,
  InternalServerError: 500,
  ServiceUnavailable: 503,
};

export function storageError(name: string, message = "injected storage fault"): Error {
  const httpStatusCode = FAULT_STATUS[name];
  return Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode === undefined || httpStatusCode >= 500 ? "server" : "client",
    $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
  });
}

export interface InjectedFaults {
  (): void;
  /** Attempts seen per low-level command name (e.g. "GetItemCommand"), faulted or not. */
  attempts: Map<string, number>;
}

/**
 * Installs a client whose attempts pass through `rule`; call the result to restore the default.
 * With `maxAttempts > 1` the SDK's standard retry strategy decides what is retried, with a short
 * fixed backoff instead of the default (up to seconds for throttling) to keep tests fast.
 */
export function injectStorageFaults(rule: FaultRule, maxAttempts = 1): InjectedFaults {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error("DYNAMODB_ENDPOINT is not set: call useTestTable() first");
  const base = new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts,
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 10),
  });
  const client = DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } });
  const attempts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName);
      const count = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, count);
      const fault = rule(name, count, (args as { input?: Record<string, unknown> }).input ?? {});
      if (typeof fault === "number") await new Promise((resolve) => setTimeout(resolve, fault));
      else if (fault instanceof Error) throw fault;
      const output = await next(args);
      if (typeof fault === "object") throw fault.after;
      return output;
    },
    // finalizeRequest runs once per attempt, inside the retry middleware (same step, priority high).
    { step: "finalizeRequest", priority: "low", name: "injectStorageFaults" },
  );
  setDynamoClient(client);
  const restore = (() => {
    setDynamoClient(undefined);
    client.destroy();
  }) as InjectedFaults;
  restore.attempts = attempts;
  return restore;
}
