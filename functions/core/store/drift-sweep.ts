/**
 * Progress of the drift sweep (reconcile/drift-sweep.ts): one item, `RECONCILER` / `SWEEP`.
 * `cursor` is where the running pass goes on (the last number it looked at); absent between
 * passes, when `nextStartAt` says when the next one begins. `visited` and `numbers` size the
 * pass's runs (reconcile/sweep-plan.ts).
 *
 * A run sweeps under a lease on the item (`sweepOwner`, `sweepUntil`, epoch ms): runs that
 * overlap (one outlasting its minute) would otherwise both start from the same cursor and look
 * at the same numbers twice. The lease is taken with a conditional update, and the run's progress
 * is put only while the run still holds it (so a run whose lease lapsed cannot move the cursor of
 * the run that took over), which releases it.
 *
 * Items written before the sweep paged from its cursor have `nextStartAt`, `startedAt` and
 * `cursor` only (the same shapes): no `visited`, `numbers` or lease. They read as a pass whose
 * counts are not known yet (the sweep counts once) and a free lease.
 */
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

export interface SweepProgress {
  /** Epoch ms the next pass starts (when no pass is running). */
  nextStartAt: number;
  /** The running pass's position: numbers are visited by tenant, then phone number id. */
  cursor?: { tenantId: string; phoneNumberId: string };
  /** Epoch ms the running pass started. */
  startedAt?: number;
  /** Numbers the running pass has looked at (absent on items of the earlier version). */
  visited?: number;
  /**
   * Numbers in a full pass: the last finished pass's count of the numbers it looked at, or, until
   * one has finished, a count taken once (absent on items of the earlier version).
   */
  numbers?: number;
}

/** The lease's attributes: never part of the progress callers see. */
const LEASE_FIELDS = ["sweepOwner", "sweepUntil"] as const;

function progressOf(item: Record<string, unknown> | undefined): SweepProgress | undefined {
  if (!item || typeof item.nextStartAt !== "number") return undefined;
  const { pk: _pk, sk: _sk, type: _type, ...rest } = item;
  for (const field of LEASE_FIELDS) delete rest[field];
  return rest as unknown as SweepProgress;
}

/** The sweep's progress (strongly consistent); undefined before the first pass. Throws storage errors. */
export async function readSweepProgress(): Promise<SweepProgress | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.driftSweep, ConsistentRead: true }),
  );
  return progressOf(Item);
}

export type SweepClaim =
  /** The run holds the sweep until `until`; `progress` as it is now (undefined before the first pass). */
  | { held: false; progress: SweepProgress | undefined }
  /** Another run holds it (its lease has not ended): this run leaves the sweep alone. */
  | { held: true };

/**
 * Takes the sweep's lease for `owner` (a run's id) until epoch ms `until`, unless another run's
 * lease lasts past `now` (epoch ms, the real clock). One conditional UpdateItem, which returns the
 * progress as it is once the lease is taken. Throws storage errors.
 */
export async function claimSweep(owner: string, until: number, now: number): Promise<SweepClaim> {
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.driftSweep,
        UpdateExpression: "SET sweepOwner = :owner, sweepUntil = :until, #type = :type",
        ConditionExpression: "attribute_not_exists(sweepUntil) OR sweepUntil < :now OR sweepOwner = :owner",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":owner": owner, ":until": until, ":now": now, ":type": "driftSweep" },
        ReturnValues: "ALL_NEW",
      }),
    );
    return { held: false, progress: progressOf(Attributes) };
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return { held: true };
    throw error;
  }
}

/**
 * Stores the sweep's progress and releases `owner`'s lease: one PutItem, only while `owner` still
 * holds the lease. False when it no longer does (its lease ended and another run took the sweep:
 * that run's progress stands; the numbers this run looked at are looked at again). Throws
 * storage errors.
 */
export async function saveSweepProgress(progress: SweepProgress, owner: string): Promise<boolean> {
  try {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...keys.driftSweep, type: "driftSweep", ...progress },
        ConditionExpression: "sweepOwner = :owner",
        ExpressionAttributeValues: { ":owner": owner },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}
