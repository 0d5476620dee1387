import { BatchGetCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../concurrency.ts";
import { dynamo, tableName } from "./client.ts";

/** DynamoDB's limit of keys per BatchGetItem. */
const KEYS_PER_CALL = 100;
const PARALLEL_CALLS = 8;
const MAX_ATTEMPTS = 8;

export interface ItemKey {
  pk: string;
  sk: string;
}

/**
 * Reads many items in as few calls as DynamoDB allows: 100 keys per BatchGetItem, calls in
 * parallel, keys DynamoDB left unprocessed (throttling, the 16 MB answer limit) asked again
 * with backoff. Returns the items found, by `pk#sk`; missing items are simply absent.
 */
export async function batchGetItems(
  keyList: readonly ItemKey[],
  options: { consistent: boolean },
): Promise<Map<string, Record<string, unknown>>> {
  const TableName = tableName();
  const unique = [...new Map(keyList.map((key) => [itemId(key), { pk: key.pk, sk: key.sk }])).values()];
  const chunks: ItemKey[][] = [];
  for (let i = 0; i < unique.length; i += KEYS_PER_CALL) chunks.push(unique.slice(i, i + KEYS_PER_CALL));

  const found = new Map<string, Record<string, unknown>>();
  const settled = await mapWithConcurrency(chunks, PARALLEL_CALLS, async (chunk) => {
    let pending: Record<string, unknown>[] = chunk.map((key) => ({ pk: key.pk, sk: key.sk }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        throw Object.assign(new Error(`BatchGetItem left ${pending.length} keys unprocessed`), {
          name: "ProvisionedThroughputExceededException",
        });
      }
      if (attempt > 0) await sleep(Math.random() * 25 * 2 ** attempt);
      const answer = await dynamo().send(
        new BatchGetCommand({
          RequestItems: { [TableName]: { Keys: pending, ConsistentRead: options.consistent } },
        }),
      );
      for (const item of answer.Responses?.[TableName] ?? []) found.set(itemId(item as ItemKey), item);
      pending = answer.UnprocessedKeys?.[TableName]?.Keys ?? [];
    }
  });
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return found;
}

export function itemId(key: ItemKey): string {
  return `${key.pk}#${key.sk}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
