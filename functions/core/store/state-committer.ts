/**
 * The one writer of username state: turns the planner's plans (username-state/planner.ts) into
 * DynamoDB transactions. Nothing else writes a number's state, its history items, the
 * portfolio's username-holder markers or the webhook de-duplication markers.
 *
 * For each number it reads the record when the caller has none, asks the planner, and writes the
 * plan: the record (conditional on the version and as-of time it was planned from), the history
 * items (`attribute_not_exists`, so history and state never disagree), the holder markers (each
 * with the condition that keeps it naming the right number), the markers, and the end of the
 * caller's turn (its lease) or the check that no turn is held (a GET's answer). Plans of many
 * numbers (a webhook delivery) are packed into transactions of at most 100 items, no item twice,
 * up to 16 at a time; a small delivery gets one transaction per number.
 *
 * A cancelled transaction names its failing items, and each tells what to learn before planning
 * again: a record or history item moved on (read the record again); an event's marker exists
 * (the event is a duplicate); a holder marker names another number (read it, and that number's
 * record: a transfer); a marker no longer ours (leave it); our lease ended and was taken over
 * (record nothing: the number is unresolved already); a turn is held (a GET records nothing). A
 * transaction that only lost a race (TransactionConflict) backs off and plans its numbers again
 * from fresh reads. The members of a pack that did not fail are written again as planned.
 */
import { DeleteCommand, GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../concurrency.ts";
import { newEventId } from "../event-id.ts";
import { countMetric } from "../metrics.ts";
import {
  type ChangeOutcome,
  type Holder,
  type HolderMove,
  type Knowledge,
  type MarkerWrite,
  type Plan,
  planChanges,
  type RecordWrite,
  type UsernameChange,
} from "../username-state/planner.ts";
import type { HistoryEvent, PhoneRecord } from "../username-state/records.ts";
import { usernameKey } from "../username-state/state.ts";
import { itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";
import { endTurn, endTurnUpdate, type Lease, markUnresolvedUpdate, noLeaseCheck } from "./number-line.ts";
import { getPhone, getPhones } from "./phones.ts";
import { failedConditions } from "./transactions.ts";

/** DynamoDB's limit of items per TransactWriteItems. */
const TRANSACTION_ITEM_LIMIT = 100;
const PARALLEL_TRANSACTIONS = 16;
/** Plans of one number that lose races this often are given up (a storage error for that number). */
const MAX_ATTEMPTS = 12;
/** A transaction this close to the deadline is not started (each takes milliseconds, rarely a second). */
const TRANSACTION_RESERVE_MS = 1_000;
/** Meta retries a webhook for 7 days; a marker outlives that. */
const WEBHOOK_MARKER_TTL_SECONDS = 8 * 24 * 3600;

/** One number's changes to commit. */
export interface NumberChanges {
  phoneNumberId: string;
  /** The record as the caller read it (saves a read); read strongly consistent when absent. */
  record?: PhoneRecord;
  /** In the order to apply them (a delivery's: by event time). */
  changes: readonly UsernameChange[];
  /** The turn of the call whose answer this is: ended by this write, in its transaction. */
  lease?: Lease;
  /** Record only while no caller holds the number's turn (a GET's answer: a POST or DELETE in flight records newer truth). */
  onlyWhenFree?: boolean;
}

export interface CommitOptions {
  /** Epoch ms after which no transaction may start (the invocation's deadline, less a reserve). */
  deadline?: number;
  /** Changes in the whole delivery (it may come in rounds), to size transactions. */
  deliveryChanges?: number;
}

/**
 * A number's changes not written because the caller's deadline was too near to start their
 * transaction: nothing of them is applied, and a redelivery applies them.
 */
export class DeferredError extends Error {
  override name = "DeferredError";
}

/** One change of one number (a POST's, DELETE's, GET's or the reconciler's answer, or a single webhook change). */
export async function commitUsernameChange(number: NumberChanges): Promise<ChangeOutcome> {
  const [result] = await commitUsernameChanges([number]);
  if (!result) throw new Error("no outcome");
  if (result.status === "rejected") throw result.reason;
  return result.value[0] as ChangeOutcome;
}

/**
 * Commits each number's changes (module comment). One outcome per change of each number, or the
 * storage error that stopped that number (DeferredError: not started, the deadline was too near).
 */
export async function commitUsernameChanges(
  numbers: readonly NumberChanges[],
  options: CommitOptions = {},
): Promise<PromiseSettledResult<ChangeOutcome[]>[]> {
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const tooLate = () => Date.now() + TRANSACTION_RESERVE_MS > deadline;
  const works = numbers.map(
    (input): Work => ({ input, record: input.record, knowledge: freshKnowledge(), attempts: 0 }),
  );
  const unread = works.filter((work) => work.record === undefined);
  if (unread.length > 0) {
    const read = await getPhones(
      unread.map((work) => work.input.phoneNumberId),
      true,
    );
    for (const work of unread) work.record = read.get(work.input.phoneNumberId);
  }

  let pending = works;
  while (pending.length > 0) {
    for (const work of pending) plan(work);
    const writing = pending.filter((work) => work.result === undefined && !work.oneByOne);
    await settleWithoutTransaction(
      pending.filter((work) => work.result === undefined && work.writes === undefined),
    );
    const packs = pack(
      writing.filter((work) => work.writes !== undefined),
      options.deliveryChanges ?? numbers.length,
    );
    await mapWithConcurrency(packs, PARALLEL_TRANSACTIONS, async (members) => {
      if (tooLate()) {
        for (const work of members)
          work.result = {
            status: "rejected",
            reason: new DeferredError("the deadline is too near to start this transaction"),
          };
        return;
      }
      try {
        await commitPack(members);
      } catch (error) {
        for (const work of members)
          if (work.result === undefined) work.result = { status: "rejected", reason: error };
      }
    });
    pending = works.filter((work) => work.result === undefined && !work.oneByOne);
    await learn(pending);
  }
  await mapWithConcurrency(
    works.filter((work) => work.oneByOne && work.result === undefined),
    PARALLEL_TRANSACTIONS,
    async (work) => {
      work.result = await oneByOne(work, tooLate).then(
        (value): PromiseSettledResult<ChangeOutcome[]> => ({ status: "fulfilled", value }),
        (reason): PromiseSettledResult<ChangeOutcome[]> => ({ status: "rejected", reason }),
      );
    },
  );
  return works.map((work) => work.result ?? { status: "rejected", reason: new Error("not committed") });
}

interface Work {
  input: NumberChanges;
  record: PhoneRecord | undefined;
  knowledge: { duplicates: Set<number>; holders: Map<string, Holder>; notOurs: Set<string> };
  attempts: number;
  plan?: Plan;
  /** The plan's transaction items and what each stands for; undefined when it writes nothing. */
  writes?: { items: TransactItem[]; roles: Role[]; keys: string[] };
  /** Learnt from the last transaction: read the record again; read these holder markers. */
  reread?: boolean;
  readHolders?: Set<string>;
  rereadHolderRecords?: Set<string>;
  /** Too many items for one transaction: its changes are committed one at a time. */
  oneByOne?: boolean;
  result?: PromiseSettledResult<ChangeOutcome[]>;
}

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]
>[number];
type Role =
  | { kind: "record" | "history" }
  | { kind: "holderRecord"; phoneNumberId: string }
  | { kind: "marker"; change: number }
  | { kind: "move"; move: HolderMove }
  | { kind: "lease" | "free" | "other" };

function freshKnowledge(): Work["knowledge"] {
  return { duplicates: new Set(), holders: new Map(), notOurs: new Set() };
}

/** Plans the work's changes from its record and what was learnt; a missing record settles it. */
function plan(work: Work): void {
  const { input } = work;
  if (!work.record) {
    work.plan = undefined;
    work.writes = undefined;
    return;
  }
  const knowledge: Knowledge = work.knowledge;
  work.plan = planChanges({
    record: work.record,
    changes: input.changes,
    knowledge,
    at: new Date().toISOString(),
    newEventId: (at) => newEventId(Date.parse(at)),
    ...(input.lease ? { endsTurn: true } : {}),
  });
  work.writes = transactionOf(work.plan, input);
  if (work.writes && work.writes.items.length > TRANSACTION_ITEM_LIMIT) {
    if (input.changes.length > 1) work.oneByOne = true;
    else throw new Error(`one change of ${input.phoneNumberId} needs ${work.writes.items.length} items`);
  }
}

/** Works whose plan writes no item: settled here (a missing number, nothing to change), their turn ended alone. */
async function settleWithoutTransaction(works: readonly Work[]): Promise<void> {
  await Promise.all(
    works.map(async (work) => {
      const { lease } = work.input;
      if (!work.plan) {
        if (lease) await endTurn(lease, "unchanged");
        work.result = {
          status: "fulfilled",
          value: work.input.changes.map(() => ({ applied: false, reason: "missing" })),
        };
        return;
      }
      if (lease) await endTurn(lease, work.plan.turnEnd ?? "resolved");
      work.result = { status: "fulfilled", value: work.plan.outcomes };
    }),
  );
}

/** The plan as transaction items, or undefined when it writes nothing but (maybe) the end of a turn. */
function transactionOf(plan: Plan, input: NumberChanges): Work["writes"] {
  const TableName = tableName();
  const items: TransactItem[] = [];
  const roles: Role[] = [];
  const add = (item: TransactItem, role: Role) => {
    items.push(item);
    roles.push(role);
  };
  if (plan.record) add({ Update: recordUpdate(TableName, plan.record) }, { kind: "record" });
  for (const holder of plan.holderRecords) {
    add(
      { Update: recordUpdate(TableName, holder) },
      { kind: "holderRecord", phoneNumberId: holder.to.phoneNumberId },
    );
  }
  for (const event of plan.history) {
    add(
      { Put: historyPut(TableName, event) },
      event.phoneNumberId === plan.phoneNumberId
        ? { kind: "history" }
        : { kind: "holderRecord", phoneNumberId: event.phoneNumberId },
    );
  }
  for (const marker of plan.markers) add(markerItem(TableName, marker), markerRole(marker));
  for (const move of plan.holderMoves) add(holderItem(TableName, plan, move), { kind: "move", move });
  if (items.length === 0 && !plan.markUnresolved) return undefined;
  if (input.lease) add({ Update: endTurnUpdate(input.lease, plan.turnEnd ?? "resolved") }, { kind: "lease" });
  else if (input.onlyWhenFree) add({ ConditionCheck: noLeaseCheck(plan.phoneNumberId) }, { kind: "free" });
  else if (plan.markUnresolved) {
    add({ Update: markUnresolvedUpdate(plan.phoneNumberId, plan.base.tenantId) }, { kind: "other" });
  }
  return { items, roles, keys: items.map(itemKeyOf) };
}

function markerRole(marker: MarkerWrite): Role {
  return marker.kind === "put" ? { kind: "other" } : { kind: "marker", change: marker.change };
}

/** The record's write: the state fields that differ, conditional on the version and as-of time planned from. */
function recordUpdate(TableName: string, write: RecordWrite) {
  const { from, to } = write;
  const set: string[] = [];
  const remove: string[] = [];
  const names: Record<string, string> = { "#version": "version" };
  const values: Record<string, unknown> = { ":expectedVersion": from.version };
  const fields: Array<[string, unknown, unknown]> = [
    ...STATE_FIELDS.map((field): [string, unknown, unknown] => [field, from[field], to[field]]),
    ["usernameKey", from.username && usernameKey(from.username), to.username && usernameKey(to.username)],
  ];
  for (const [i, [field, before, after]] of fields.entries()) {
    if (before === after) continue;
    names[`#f${i}`] = field;
    if (after === undefined) remove.push(`#f${i}`);
    else {
      set.push(`#f${i} = :f${i}`);
      values[`:f${i}`] = after;
    }
  }
  let condition = "#version = :expectedVersion AND ";
  if (from.stateEpoch === undefined) condition += "attribute_not_exists(stateEpoch)";
  else {
    condition += "stateEpoch = :expectedEpoch";
    values[":expectedEpoch"] = from.stateEpoch;
  }
  return {
    TableName,
    Key: keys.phone(to.phoneNumberId),
    UpdateExpression: `${set.length ? `SET ${set.join(", ")}` : ""}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The fields of the phone record a username change writes. */
const STATE_FIELDS = [
  "username",
  "status",
  "context",
  "updatedAt",
  "source",
  "stateEpoch",
  "stateSentAt",
  "stateReceivedAt",
  "stateEvent",
  "requestedOperation",
  "requestedUsername",
  "requestedBy",
  "requestedAt",
  "pendingOperation",
  "pendingUsername",
  "pendingBy",
  "pendingAt",
  "version",
] as const satisfies readonly (keyof PhoneRecord)[];

function historyPut(TableName: string, event: HistoryEvent) {
  return {
    TableName,
    Item: { ...keys.history(event.phoneNumberId, event.version), type: "history", ...event },
    ConditionExpression: "attribute_not_exists(pk)",
  };
}

function markerItem(TableName: string, marker: MarkerWrite): TransactItem {
  const Key = keys.webhookMarker(marker.phoneNumberId, marker.sk);
  if (marker.kind === "check") {
    return { ConditionCheck: { TableName, Key, ConditionExpression: "attribute_not_exists(pk)" } };
  }
  const lasting = marker.kind === "claim" && marker.lasting;
  const Item = {
    ...Key,
    type: "webhookMarker",
    ...(lasting ? {} : { expiresAt: Math.floor(Date.now() / 1000) + WEBHOOK_MARKER_TTL_SECONDS }),
  };
  // A claimed marker's put is its check too (an item may appear once per transaction).
  return {
    Put: {
      TableName,
      Item,
      ...(marker.kind === "claim" ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
    },
  };
}

function holderItem(TableName: string, plan: Plan, move: HolderMove): TransactItem {
  const Key = keys.usernameHolder(plan.businessId, move.name);
  const me = plan.phoneNumberId;
  switch (move.kind) {
    case "take":
    case "takeFrom":
      return {
        Put: {
          TableName,
          Item: { ...Key, type: "usernameHolder", phoneNumberId: me, username: move.username },
          ...(move.kind === "takeFrom"
            ? {
                ConditionExpression: "phoneNumberId = :holder",
                ExpressionAttributeValues: { ":holder": move.from },
              }
            : {
                ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
                ExpressionAttributeValues: { ":me": me },
              }),
        },
      };
    case "release":
      return {
        Delete: {
          TableName,
          Key,
          ConditionExpression: "phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": me },
        },
      };
    case "releasePassed":
      return {
        Delete: {
          TableName,
          Key,
          ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": me },
        },
      };
    case "releaseFrom":
      return {
        Delete: {
          TableName,
          Key,
          ConditionExpression: "phoneNumberId = :holder",
          ExpressionAttributeValues: { ":holder": move.from },
        },
      };
  }
}

function itemKeyOf(item: TransactItem): string {
  const key = (item.Update?.Key ??
    item.Delete?.Key ??
    item.ConditionCheck?.Key ?? {
      pk: item.Put?.Item?.pk,
      sk: item.Put?.Item?.sk,
    }) as { pk: string; sk: string };
  return itemId(key);
}

/**
 * Packs of works, each one transaction: at most 100 items, and no item twice. Small deliveries
 * are spread one number per transaction (parallel, and a failure stops only that number); large
 * ones fill transactions, so about 16 transactions carry the delivery.
 */
function pack(works: readonly Work[], deliveryChanges: number): Work[][] {
  const total = works.reduce((sum, work) => sum + (work.writes?.items.length ?? 0), 0);
  const limit = Math.min(
    TRANSACTION_ITEM_LIMIT,
    Math.ceil(Math.max(total, 2 * deliveryChanges) / PARALLEL_TRANSACTIONS),
  );
  const packs: Work[][] = [];
  let members: Work[] = [];
  let size = 0;
  let taken = new Set<string>();
  for (const work of works) {
    const writes = work.writes as NonNullable<Work["writes"]>;
    const clash = writes.keys.some((key) => taken.has(key));
    if (members.length > 0 && (size + writes.items.length > limit || clash)) {
      packs.push(members);
      members = [];
      size = 0;
      taken = new Set();
    }
    if (clash && members.length === 0 && writes.keys.some((key, i) => writes.keys.indexOf(key) !== i)) {
      throw new Error(`a plan of ${work.input.phoneNumberId} writes one item twice`);
    }
    members.push(work);
    size += writes.items.length;
    for (const key of writes.keys) taken.add(key);
  }
  if (members.length > 0) packs.push(members);
  return packs;
}

/** Writes the pack in one transaction; on a cancellation, records what each member must learn. */
async function commitPack(members: readonly Work[]): Promise<void> {
  const owners = members.flatMap((work) => (work.writes?.roles ?? []).map((role) => ({ work, role })));
  try {
    await dynamo().send(
      new TransactWriteCommand({ TransactItems: members.flatMap((work) => work.writes?.items ?? []) }),
    );
  } catch (error) {
    const failed = failedConditions(error);
    if (!failed) throw error;
    const losers = new Set<Work>();
    if (failed.size === 0) {
      // Another transaction touched the same items at the same moment: back off, read again.
      const attempts = Math.max(...members.map((work) => work.attempts + 1));
      await sleep(5 + Math.random() * 20 * attempts);
      for (const work of members) {
        work.reread = true;
        losers.add(work);
      }
    }
    for (const index of failed) {
      const owner = owners[index];
      if (!owner) continue;
      noteFailure(owner.work, owner.role);
      losers.add(owner.work);
    }
    // The members whose items held are written again as planned; only the losers count a try.
    for (const work of losers) {
      work.attempts += 1;
      if (work.result === undefined && work.attempts >= MAX_ATTEMPTS) {
        work.result = {
          status: "rejected",
          reason: new Error(
            `username change for ${work.input.phoneNumberId} kept conflicting after ${MAX_ATTEMPTS} attempts`,
          ),
        };
      }
    }
    return;
  }
  for (const work of members) {
    const plan = work.plan as Plan;
    work.result = { status: "fulfilled", value: plan.outcomes };
    countChangesFromOutside(plan.history);
  }
}

/** Each recorded change no request through this service explains (docs/runbook.md, "UsernameChangedOutside"). */
function countChangesFromOutside(history: readonly HistoryEvent[]): void {
  for (const event of history) {
    if (event.origin !== "outside") continue;
    countMetric("UsernameChangedOutside", 1, {
      phoneNumberId: event.phoneNumberId,
      tenantId: event.tenantId,
      username: event.username,
      status: event.status,
    });
  }
}

function noteFailure(work: Work, role: Role): void {
  const changes = work.input.changes;
  switch (role.kind) {
    case "record":
    case "history":
      work.reread = true;
      return;
    case "holderRecord":
      work.rereadHolderRecords ??= new Set();
      work.rereadHolderRecords.add(role.phoneNumberId);
      return;
    case "marker":
      work.knowledge.duplicates.add(role.change);
      return;
    case "move":
      if (role.move.kind === "release") work.knowledge.notOurs.add(role.move.name);
      else {
        work.readHolders ??= new Set();
        work.readHolders.add(role.move.name);
      }
      return;
    case "lease":
      // Our lease ended and was taken over: the number is unresolved already; record nothing.
      work.result = {
        status: "fulfilled",
        value: changes.map(() => ({
          applied: false,
          reason: "unresolved",
          ...(work.record ? { phone: work.record } : {}),
        })),
      };
      return;
    case "free":
      work.result = {
        status: "fulfilled",
        value: changes.map(() => ({
          applied: false,
          reason: "busy",
          ...(work.record ? { phone: work.record } : {}),
        })),
      };
      return;
    case "other":
      return;
  }
}

/** Reads what the failed transactions taught: records moved on, holders of names, holders' records. */
async function learn(works: readonly Work[]): Promise<void> {
  const reread = works.filter((work) => work.reread);
  if (reread.length > 0) {
    const fresh = await getPhones(
      reread.map((work) => work.input.phoneNumberId),
      true,
    );
    for (const work of reread) {
      work.record = fresh.get(work.input.phoneNumberId);
      work.reread = false;
    }
  }
  await Promise.all(
    works.map(async (work) => {
      for (const name of work.readHolders ?? []) {
        const holder = await readHolder(work.record?.businessId ?? work.input.record?.businessId, name);
        if (holder) work.knowledge.holders.set(name, holder);
        else work.knowledge.holders.delete(name);
      }
      work.readHolders = undefined;
      for (const phoneNumberId of work.rereadHolderRecords ?? []) {
        const record = await getPhone(phoneNumberId, true);
        for (const [name, holder] of work.knowledge.holders) {
          if (holder.phoneNumberId === phoneNumberId) {
            work.knowledge.holders.set(name, { phoneNumberId, ...(record ? { record } : {}) });
          }
        }
      }
      work.rereadHolderRecords = undefined;
    }),
  );
}

/** The number the portfolio's marker names for `name`, with its record; undefined when no marker. */
async function readHolder(businessId: string | undefined, name: string): Promise<Holder | undefined> {
  if (businessId === undefined) return undefined;
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.usernameHolder(businessId, name),
      ConsistentRead: true,
    }),
  );
  const phoneNumberId = Item?.phoneNumberId as string | undefined;
  if (!phoneNumberId) return undefined;
  const record = await getPhone(phoneNumberId, true);
  return { phoneNumberId, ...(record ? { record } : {}) };
}

/** A number whose changes need more items than a transaction holds: one change at a time, in order. */
async function oneByOne(work: Work, tooLate: () => boolean): Promise<ChangeOutcome[]> {
  let record = work.record;
  const outcomes: ChangeOutcome[] = [];
  for (const [i, change] of work.input.changes.entries()) {
    const phone = record ? { phone: record } : {};
    if (work.knowledge.duplicates.has(i)) {
      outcomes.push({ applied: false, reason: "duplicate", ...phone });
      continue;
    }
    if (tooLate()) {
      outcomes.push({ applied: false, reason: "deferred", ...phone });
      continue;
    }
    const outcome = await commitUsernameChange({
      phoneNumberId: work.input.phoneNumberId,
      ...(record ? { record } : {}),
      changes: [change],
    });
    outcomes.push(outcome);
    record = outcome.phone ?? record;
  }
  return outcomes;
}

/** What a request through this service asks Meta for, recorded on the number when it takes its turn. */
export interface RecordedRequest {
  phoneNumberId: string;
  /** The number must be this tenant's (the write's condition). */
  tenantId: string;
  operation: "claim" | "delete";
  username?: string;
  /** The API key id (never the key). */
  keyId: string;
  /** ISO time: with `keyId`, the request's identity on the record. */
  at: string;
}

/**
 * The write that records a request in flight on the number (`pending*`) as it takes its turn,
 * conditional on the number being the tenant's (so it doubles as the ownership check): what
 * explains Meta's changes of the number as this service's until its answer is recorded
 * (username-state/planner.ts, `provenanceOf`). Never touches the state, its version or as-of
 * time. As a transaction item (the uncontended turn) or on its own (`recordRequest`).
 */
export function requestRecordUpdate(request: RecordedRequest) {
  return {
    TableName: tableName(),
    Key: keys.phone(request.phoneNumberId),
    UpdateExpression:
      `SET pendingOperation = :op, pendingBy = :by, pendingAt = :at${request.username ? ", pendingUsername = :name" : ""}` +
      (request.username ? "" : " REMOVE pendingUsername"),
    ConditionExpression: "tenantId = :tenant",
    ExpressionAttributeValues: {
      ":op": request.operation,
      ":by": request.keyId,
      ":at": request.at,
      ":tenant": request.tenantId,
      ...(request.username ? { ":name": request.username } : {}),
    },
  };
}

/** `requestRecordUpdate` on its own (a turn taken after waiting in line); false when the number is not the tenant's. */
export async function recordRequest(request: RecordedRequest): Promise<boolean> {
  return conditionalWrite(dynamo().send(new UpdateCommand(requestRecordUpdate(request))));
}

/**
 * Forgets a request Meta refused (it changed nothing, so it explains nothing), if it is still
 * the one in flight on the record. Best effort: a request left behind explains only what it
 * asked for.
 */
export async function forgetRequest(request: RecordedRequest): Promise<void> {
  await conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.phone(request.phoneNumberId),
        UpdateExpression: "REMOVE pendingOperation, pendingUsername, pendingBy, pendingAt",
        ConditionExpression: "pendingAt = :at AND pendingBy = :by",
        ExpressionAttributeValues: { ":at": request.at, ":by": request.keyId },
      }),
    ),
  ).catch(() => false);
}

/**
 * Removes a number's claim on its name when the number is removed (`phone remove`): the
 * portfolio's holder marker, if it still names the number. The only other write of a holder marker.
 */
export async function releaseHolderOfRemoved(phone: PhoneRecord): Promise<void> {
  if (!phone.username) return;
  await dynamo()
    .send(
      new DeleteCommand({
        TableName: tableName(),
        Key: keys.usernameHolder(phone.businessId, usernameKey(phone.username)),
        ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
        ExpressionAttributeValues: { ":me": phone.phoneNumberId },
      }),
    )
    .catch((error: Error) => {
      if (error.name !== "ConditionalCheckFailedException") throw error;
    });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
