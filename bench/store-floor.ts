/**
 * The store floor of a piece of work: the very DynamoDB calls the service made for it, captured
 * on the store's client and made again directly, so a benchmark can say how much of its time is
 * the store's own. Reads are replayed as they were. Transactions are replayed on copies: the
 * items they update, as they were before the work (`snapshotItems`), are copied to fresh keys
 * (`FLOOR#<run>#<pk>`, untimed), and the same transactions, conditions and all, run against the
 * copies, so DynamoDB does the same work again (each condition evaluated on the same item) and
 * none fails on the state the first run left.
 */
import { randomBytes } from "node:crypto";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { batchGetItems, type ItemKey } from "../functions/core/store/batch-get.ts";
import { createDocumentClient, dynamo, setDynamoClient, tableName } from "../functions/core/store/client.ts";

export interface CapturedCall {
  command: string;
  /** The low-level input, attribute values marshalled. */
  input: Record<string, unknown>;
}

/** Records every call the service's store client makes (that succeeds) until `stop()`. */
export function captureStoreCalls(): { calls: CapturedCall[]; stop(): void } {
  const client = createDocumentClient();
  const calls: CapturedCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = structuredClone((args as { input: Record<string, unknown> }).input);
      const output = await next(args);
      // Only calls that succeeded: a transaction cancelled and tried again is the service's cost, not the store's.
      calls.push({ command: String(context.commandName), input });
      return output;
    },
    { step: "finalizeRequest", priority: "low", name: "benchCallCapture" },
  );
  setDynamoClient(client);
  return {
    calls,
    stop: () => {
      setDynamoClient(undefined);
      client.destroy();
    },
  };
}

/** The items at these keys as they are now: what the work will update, before it does. */
export async function snapshotItems(keys: readonly ItemKey[]): Promise<Record<string, unknown>[]> {
  return [...(await batchGetItems(keys, { consistent: true })).values()];
}

function freshKey(key: Record<string, AttributeValue>, run: string): Record<string, AttributeValue> {
  return { ...key, pk: { S: `FLOOR#${run}#${key.pk?.S ?? ""}` } };
}

/** A transaction item on the copies' keys, its conditions kept. */
function onCopies(item: TransactWriteItem, run: string): TransactWriteItem {
  if (item.Put) return { Put: { ...item.Put, Item: freshKey(item.Put.Item ?? {}, run) } };
  if (item.Delete) return { Delete: { ...item.Delete, Key: freshKey(item.Delete.Key ?? {}, run) } };
  if (item.ConditionCheck)
    return { ConditionCheck: { ...item.ConditionCheck, Key: freshKey(item.ConditionCheck.Key ?? {}, run) } };
  const update = item.Update as NonNullable<TransactWriteItem["Update"]>;
  return { Update: { ...update, Key: freshKey(update.Key ?? {}, run) } };
}

/**
 * Makes the captured calls again, directly: the reads (BatchGetItem) `readConcurrency` at a time,
 * then the transactions `writeConcurrency` at a time, on copies of `before` (untimed). Returns the
 * time taken (ms). Throws when a replayed transaction fails (the replay would not be the same work).
 */
export async function replayStoreCalls(
  calls: readonly CapturedCall[],
  before: readonly Record<string, unknown>[],
  options: { readConcurrency: number; writeConcurrency: number },
): Promise<number> {
  const run = randomBytes(4).toString("hex");
  const TableName = tableName();
  for (let i = 0; i < before.length; i += 25) {
    await dynamo().send(
      new BatchWriteCommand({
        RequestItems: {
          [TableName]: before.slice(i, i + 25).map((item) => ({
            PutRequest: { Item: { ...item, pk: `FLOOR#${run}#${String(item.pk)}` } },
          })),
        },
      }),
    );
  }
  const reads = calls.filter((c) => c.command === "BatchGetItemCommand");
  const writes = calls.filter((c) => c.command === "TransactWriteItemsCommand");
  const send = (command: unknown) => dynamo().send(command as never);
  const started = performance.now();
  await mapWithConcurrency(reads, options.readConcurrency, (call) =>
    send(new BatchGetItemCommand(call.input as never)),
  );
  const settled = await mapWithConcurrency(writes, options.writeConcurrency, (call) =>
    send(
      new TransactWriteItemsCommand({
        TransactItems: ((call.input.TransactItems ?? []) as TransactWriteItem[]).map((item) =>
          onCopies(item, run),
        ),
      }),
    ),
  );
  const elapsed = performance.now() - started;
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return elapsed;
}
