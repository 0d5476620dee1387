/**
 * Records every command the store's client sends (name and input), through a client built like
 * the production one and an SDK middleware: what a request costs, counted exactly.
 */
import { createDocumentClient, setDynamoClient } from "../../functions/core/store/client.ts";

export interface StoreCall {
  /** e.g. `QueryCommand`. */
  command: string;
  /** The index a Query read, if any. */
  indexName?: string;
}

export function recordStoreCalls(): { calls: StoreCall[]; restore(): void } {
  const client = createDocumentClient();
  const calls: StoreCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string };
      calls.push({
        command: String(context.commandName),
        ...(input.IndexName ? { indexName: input.IndexName } : {}),
      });
      return next(args);
    },
    { step: "initialize", name: "recordStoreCalls" },
  );
  setDynamoClient(client);
  return {
    calls,
    restore: () => {
      setDynamoClient(undefined);
      client.destroy();
    },
  };
}
