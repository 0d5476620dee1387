/** The whole table as it is (a consistent Scan), and the invariants every phone number must keep. */
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "vitest";
import { dynamo, tableName } from "../../../functions/core/store/client.ts";
import { storedState } from "../../support/world.ts";

export type Item = Record<string, unknown>;

export async function scanTable(): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new ScanCommand({ TableName: tableName(), ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => itemKey(a).localeCompare(itemKey(b)));
}

export function itemKey(item: Item): string {
  return `${String(item.pk)}|${String(item.sk)}`;
}

export async function idempotencyItems(): Promise<Item[]> {
  return (await scanTable()).filter((item) => String(item.pk).startsWith("IDEMPOTENCY#"));
}

/**
 * Never a half-written change: the version counts the history events, versions run 1..n, and the
 * newest event is the current state.
 */
export async function expectConsistent(
  phoneNumberId: string,
): Promise<Awaited<ReturnType<typeof storedState>>> {
  const state = await storedState(phoneNumberId);
  const { phone, history } = state;
  expect(phone, `phone ${phoneNumberId} exists`).toBeDefined();
  expect(
    history.map((event) => event.version),
    `versions of ${phoneNumberId}`,
  ).toEqual(history.map((_, i) => i + 1));
  expect(phone?.version, `version of ${phoneNumberId}`).toBe(history.length);
  const newest = history.at(-1);
  if (newest) {
    expect({ username: phone?.username, status: phone?.status }, `state of ${phoneNumberId}`).toEqual({
      username: newest.username,
      status: newest.status,
    });
  }
  return state;
}
