/**
 * Counts DynamoDB calls exactly: an SDK middleware on the store's own client (built by
 * `createDocumentClient`, so with the production configuration), installed with
 * `setDynamoClient`. It runs inside the SDK's retry loop, so a retry counts as the extra call it
 * is on the wire.
 */
import { createDocumentClient, setDynamoClient } from "../functions/core/store/client.ts";

const READS = new Set(["GetItemCommand", "BatchGetItemCommand", "QueryCommand", "ScanCommand"]);

export interface CallCounter {
  /** Operation names (`GetItemCommand`, ...) in the order they went out. */
  calls: string[];
  reset(): void;
  reads(): number;
  writes(): number;
  /** `2 (GetItem, TransactWriteItems)` */
  describe(): string;
  restore(): void;
}

export function installCallCounter(): CallCounter {
  const client = createDocumentClient();
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    // Inside the retry loop (the retry middleware is finalizeRequest, priority high).
    { step: "finalizeRequest", priority: "low", name: "benchCallCounter" },
  );
  setDynamoClient(client);
  return {
    calls,
    reset: () => {
      calls.length = 0;
    },
    reads: () => calls.filter((c) => READS.has(c)).length,
    writes: () => calls.filter((c) => !READS.has(c)).length,
    describe: () =>
      calls.length === 0
        ? "0"
        : `${calls.length} (${calls.map((c) => c.replace(/Command$/, "")).join(", ")})`,
    restore: () => {
      setDynamoClient(undefined);
      client.destroy();
    },
  };
}
