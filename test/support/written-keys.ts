/**
 * Every partition key the store writes (table and index partitions), recorded by an SDK
 * middleware on a client built like production's (`createDocumentClient`), for the scale rule:
 * no per-request write to a partition key shared by all tenants (docs/scale.md).
 */
import { createDocumentClient, setDynamoClient } from "../../functions/core/store/client.ts";

type Marshalled = Record<string, { S?: string } | undefined>;
interface WriteRequest {
  Item?: Marshalled;
  Key?: Marshalled;
  UpdateExpression?: string;
  ExpressionAttributeValues?: Marshalled;
  ExpressionAttributeNames?: Record<string, string>;
}

/** The partition keys one write request writes: its item's `pk`, and the index keys it sets. */
function partitionsOf(write: WriteRequest): string[] {
  const keys: string[] = [];
  const pk = write.Item?.pk?.S ?? write.Key?.pk?.S;
  if (pk) keys.push(pk);
  for (const [name, value] of Object.entries(write.Item ?? {})) {
    if (/^gsi\dpk$/.test(name) && value?.S) keys.push(value.S);
  }
  // `SET gsi3pk = :due` (names may be aliased): the value the index partition gets.
  for (const [, target = "", placeholder = ""] of (write.UpdateExpression ?? "").matchAll(
    /([#\w]+)\s*=\s*(:\w+)/g,
  )) {
    const name = target.startsWith("#") ? write.ExpressionAttributeNames?.[target] : target;
    const value = write.ExpressionAttributeValues?.[placeholder]?.S;
    if (name && /^gsi\dpk$/.test(name) && value) keys.push(value);
  }
  return keys;
}

/** The writes of one command's input (Put, Update, Delete, a transaction's, a batch's). */
function writesOf(command: string, input: Record<string, unknown>): WriteRequest[] {
  if (command === "TransactWriteItemsCommand") {
    return ((input.TransactItems ?? []) as Array<Record<string, WriteRequest>>).flatMap((item) =>
      [item.Put, item.Update, item.Delete].filter((w): w is WriteRequest => w !== undefined),
    );
  }
  if (command === "BatchWriteItemCommand") {
    return Object.values(
      (input.RequestItems ?? {}) as Record<string, Array<Record<string, WriteRequest>>>,
    ).flatMap((requests) =>
      requests.flatMap((r) =>
        [r.PutRequest, r.DeleteRequest].filter((w): w is WriteRequest => w !== undefined),
      ),
    );
  }
  if (["PutItemCommand", "UpdateItemCommand", "DeleteItemCommand"].includes(command)) {
    return [input as WriteRequest];
  }
  return [];
}

export interface WrittenKeys {
  /** Partition key → how many writes reached it. */
  counts: Map<string, number>;
  stop(): void;
}

/** Records the partition keys of every write until `stop()`. */
export function recordWrittenKeys(): WrittenKeys {
  const client = createDocumentClient();
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args as { input: Record<string, unknown> }).input;
      for (const write of writesOf(String(context.commandName), input)) {
        for (const key of partitionsOf(write)) counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return next(args);
    },
    { step: "finalizeRequest", priority: "low", name: "recordWrittenKeys" },
  );
  setDynamoClient(client);
  return {
    counts,
    stop: () => {
      setDynamoClient(undefined);
      client.destroy();
    },
  };
}
