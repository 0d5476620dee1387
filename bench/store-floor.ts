/**
 * The store floor of a piece of work: the very DynamoDB calls the service made for it, captured
 * on the store's client and made again directly, so a benchmark can say how much of its time is
 * the store's own. Reads are replayed as they were; transactions are replayed on fresh keys
 * (`FLOOR#<run>#<pk>`) without their conditions, so every item is written again at the same
 * size, in transactions of the same items, and none fails on the state the first run left.
 */
import { randomBytes } from "node:crypto";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { createDocumentClient, dynamo, setDynamoClient } from "../functions/core/store/client.ts";

export interface CapturedCall {
  command: string;
  /** The low-level input, attribute values marshalled. */
  input: Record<string, unknown>;
}

/** Records every call the service's store client makes until `stop()`. */
export function captureStoreCalls(): { calls: CapturedCall[]; stop(): void } {
  const client = createDocumentClient();
  const calls: CapturedCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({
        command: String(context.commandName),
        input: structuredClone((args as { input: Record<string, unknown> }).input),
      });
      return next(args);
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

/** The placeholders (`:name`, `#name`) an expression uses. */
function placeholders(expression: string | undefined): Set<string> {
  return new Set(expression?.match(/[:#][A-Za-z0-9_]+/g) ?? []);
}

function freshKey(key: Record<string, AttributeValue>, run: string): Record<string, AttributeValue> {
  return { ...key, pk: { S: `FLOOR#${run}#${key.pk?.S ?? ""}` } };
}

/** A transaction item written again on a fresh key, its condition dropped (ConditionChecks check absence). */
function replayable(item: TransactWriteItem, run: string): TransactWriteItem {
  if (item.Put) {
    const {
      ConditionExpression: _c,
      ExpressionAttributeValues: _v,
      ExpressionAttributeNames: _n,
      ...put
    } = item.Put;
    return { Put: { ...put, Item: freshKey(put.Item ?? {}, run) } };
  }
  if (item.Delete) {
    const {
      ConditionExpression: _c,
      ExpressionAttributeValues: _v,
      ExpressionAttributeNames: _n,
      ...del
    } = item.Delete;
    return { Delete: { ...del, Key: freshKey(del.Key ?? {}, run) } };
  }
  if (item.ConditionCheck) {
    const { TableName, Key } = item.ConditionCheck;
    return {
      ConditionCheck: {
        TableName,
        Key: freshKey(Key ?? {}, run),
        ConditionExpression: "attribute_not_exists(pk)",
      },
    };
  }
  const update = item.Update as NonNullable<TransactWriteItem["Update"]>;
  const used = placeholders(update.UpdateExpression);
  const keep = <T>(map: Record<string, T> | undefined) =>
    map && Object.fromEntries(Object.entries(map).filter(([name]) => used.has(name)));
  const values = keep(update.ExpressionAttributeValues);
  const names = keep(update.ExpressionAttributeNames);
  return {
    Update: {
      TableName: update.TableName,
      Key: freshKey(update.Key ?? {}, run),
      UpdateExpression: update.UpdateExpression,
      ...(values && Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      ...(names && Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    },
  };
}

/**
 * Makes the captured calls again, directly: the reads (BatchGetItem, GetItem) `readConcurrency`
 * at a time, then the transactions `writeConcurrency` at a time. Returns the time taken (ms).
 */
export async function replayStoreCalls(
  calls: readonly CapturedCall[],
  options: { readConcurrency: number; writeConcurrency: number },
): Promise<number> {
  const run = randomBytes(4).toString("hex");
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
          replayable(item, run),
        ),
      }),
    ),
  );
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return performance.now() - started;
}
