/**
 * Progress of the drift sweep (reconcile/reconciler.ts): one item, `RECONCILER` / `SWEEP`.
 * `cursor` is where the running sweep goes on (the last number it looked at); absent between
 * sweeps, when `nextStartAt` says when the next one begins.
 */
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

export interface SweepProgress {
  /** Epoch ms the next sweep starts (when no sweep is running). */
  nextStartAt: number;
  /** The running sweep's position: numbers are visited by tenant, then phone number id. */
  cursor?: { tenantId: string; phoneNumberId: string };
  /** Epoch ms the running sweep started. */
  startedAt?: number;
}

export async function readSweepProgress(): Promise<SweepProgress | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.driftSweep, ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, type: _type, ...progress } = Item;
  return progress as SweepProgress;
}

export async function saveSweepProgress(progress: SweepProgress): Promise<void> {
  await dynamo().send(
    new PutCommand({ TableName: tableName(), Item: { ...keys.driftSweep, type: "driftSweep", ...progress } }),
  );
}
