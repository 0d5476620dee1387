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
  /** With `withKeys`: the partition key of a one-item command (GetItem, PutItem, UpdateItem, DeleteItem, Query's). */
  pk?: string;
  /**
   * The name of the error the command ended with, after the SDK's retries (e.g.
   * `TransactionCanceledException` for a transaction a condition or a concurrent one cancelled);
   * absent when it succeeded. Set once the command has answered.
   */
  error?: string;
}

/** A TransactWriteItems that DynamoDB cancelled (a failed condition, or a conflicting transaction). */
export const isCancelledTransaction = (call: StoreCall): boolean =>
  call.command === "TransactWriteItemsCommand" && call.error === "TransactionCanceledException";

/** The partition key a one-item command names (its Key or Item), or a Query's `:pk`, if any. */
function partitionKeyOf(input: Record<string, unknown>): string | undefined {
  const key = (input.Key ?? input.Item) as { pk?: unknown } | undefined;
  if (typeof key?.pk === "string") return key.pk;
  const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
  return typeof values?.[":pk"] === "string" ? (values[":pk"] as string) : undefined;
}

/**
 * The tenant's request counter of the minute (`READLIMIT#<t>`, rate-limit/tenant-read-limit.ts):
 * written by every authenticated /v1 request, refused ones included. Needs `withKeys`.
 */
export const isTenantRequestCount = (call: StoreCall): boolean =>
  call.command === "UpdateItemCommand" && (call.pk ?? "").startsWith("READLIMIT#");

export function recordStoreCalls(options: { withKeys?: boolean } = {}): {
  calls: StoreCall[];
  restore(): void;
} {
  const client = createDocumentClient();
  const calls: StoreCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { IndexName?: string } & Record<string, unknown>;
      const pk = options.withKeys ? partitionKeyOf(input) : undefined;
      const call: StoreCall = {
        command: String(context.commandName),
        ...(input.IndexName ? { indexName: input.IndexName } : {}),
        ...(pk ? { pk } : {}),
      };
      calls.push(call);
      try {
        return await next(args);
      } catch (error) {
        call.error = (error as { name?: string }).name ?? "Error";
        throw error;
      }
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
