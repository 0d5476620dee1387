/**
 * The per-tenant change feed: a head item holding the last sequence number and one item per
 * event at `SEQ#<sequence number>`, plus an item per event id (de-duplication and lookup by id).
 *
 * Sequence numbers are dense: a transaction writes events head+1..head+k together with the new
 * head, conditional on the head it read (compare-and-set), so a number is never skipped, never
 * given twice, and two sequencers cannot interleave. Readers still stop at a gap (see
 * `readFeed`): DynamoDB's Query is read-committed per item, not per transaction.
 */
import { GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { inSchemaOrder, type UsernameChangeEvent } from "../validation/tenant-api.ts";
import { batchGetItems, itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";
import { failedConditions } from "./transactions.ts";

/** Head update + (feed item + event item) per event ≤ DynamoDB's 100 items per transaction. */
export const EVENTS_PER_APPEND = 49;
const LAST_SEQUENCE = 999_999_999_999;

export interface FeedEntry {
  sequence: number;
  event: UsernameChangeEvent;
}

export interface SequencedEventRecord {
  eventId: string;
  tenantId: string;
  sequence: number;
}

/** The tenant's last sequence number, 0 before its first event (strongly consistent). */
export async function readFeedHead(tenantId: string): Promise<number> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.feedHead(tenantId), ConsistentRead: true }),
  );
  return typeof Item?.sequence === "number" ? Item.sequence : 0;
}

/** Which of these events are in a feed already, by event id (strongly consistent). */
export async function findSequencedEvents(
  eventIds: readonly string[],
): Promise<Map<string, SequencedEventRecord>> {
  const items = await batchGetItems(
    eventIds.map((id) => keys.event(id)),
    { consistent: true },
  );
  const found = new Map<string, SequencedEventRecord>();
  for (const id of eventIds) {
    const item = items.get(itemId(keys.event(id)));
    if (item) found.set(id, eventRecordFromItem(id, item));
  }
  return found;
}

/** Where an event id sits in its tenant's feed; undefined for an id no feed holds. */
export async function findSequencedEvent(eventId: string): Promise<SequencedEventRecord | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.event(eventId), ConsistentRead: true }),
  );
  return Item ? eventRecordFromItem(eventId, Item) : undefined;
}

function eventRecordFromItem(eventId: string, item: Record<string, unknown>): SequencedEventRecord {
  return { eventId, tenantId: String(item.tenantId), sequence: Number(item.sequence) };
}

export type AppendOutcome =
  | { appended: true; head: number }
  /** Another sequencer moved the head: read it again. */
  | { appended: false; reason: "head-moved" }
  /** These events were sequenced meanwhile (by a concurrent or earlier run): leave them out. */
  | { appended: false; reason: "duplicates"; eventIds: Set<string> }
  /** A concurrent transaction touched the same items: try again. */
  | { appended: false; reason: "conflict" };

/**
 * Appends up to EVENTS_PER_APPEND events after `expectedHead`, in the given order, in one
 * transaction conditional on the head still being `expectedHead`.
 */
export async function appendToFeed(
  tenantId: string,
  expectedHead: number,
  events: readonly UsernameChangeEvent[],
): Promise<AppendOutcome> {
  if (events.length === 0) return { appended: true, head: expectedHead };
  if (events.length > EVENTS_PER_APPEND) throw new Error(`at most ${EVENTS_PER_APPEND} events per append`);
  const TableName = tableName();
  const head = expectedHead + events.length;
  const now = new Date().toISOString();
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [
    {
      Update: {
        TableName,
        Key: keys.feedHead(tenantId),
        UpdateExpression: "SET #sequence = :head, #type = :type, updatedAt = :now",
        ConditionExpression: expectedHead === 0 ? "attribute_not_exists(#sequence)" : "#sequence = :expected",
        ExpressionAttributeNames: { "#sequence": "sequence", "#type": "type" },
        ExpressionAttributeValues: {
          ":head": head,
          ":type": "feedHead",
          ":now": now,
          ...(expectedHead === 0 ? {} : { ":expected": expectedHead }),
        },
      },
    },
  ];
  events.forEach((event, i) => {
    const sequence = expectedHead + 1 + i;
    items.push(
      {
        Put: {
          TableName,
          Item: {
            ...keys.feedEvent(tenantId, sequence),
            type: "feedEvent",
            sequence,
            eventId: event.id,
            event,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
      {
        Put: {
          TableName,
          Item: { ...keys.event(event.id), type: "event", tenantId, sequence },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
    );
  });
  try {
    await dynamo().send(new TransactWriteCommand({ TransactItems: items }));
    return { appended: true, head };
  } catch (error) {
    const failed = failedConditions(error);
    if (!failed) throw error;
    if (failed.size === 0) return { appended: false, reason: "conflict" };
    // Item 0 is the head; then each event's feed item (odd) and event item (even).
    if (failed.has(0)) return { appended: false, reason: "head-moved" };
    const duplicates = new Set<string>();
    for (const index of failed) {
      if (index % 2 === 0) duplicates.add((events[index / 2 - 1] as UsernameChangeEvent).id);
    }
    // A feed item taken without the head moving cannot happen (the head guards it): retry as moved.
    return duplicates.size > 0
      ? { appended: false, reason: "duplicates", eventIds: duplicates }
      : { appended: false, reason: "head-moved" };
  }
}

export interface FeedRange {
  /** Exclusive bounds; `after` reads forwards (oldest first), `before` backwards. */
  after?: number;
  before?: number;
  /** Items to read (one Query, strongly consistent). */
  limit: number;
}

/**
 * One page of the tenant's feed, oldest first, in ONE strongly consistent Query. Only a
 * contiguous run of sequence numbers is returned, starting next to the cursor: a gap means a
 * transaction whose items are not all visible yet, so the page ends before it and the next call
 * picks it up (nothing is ever skipped). `complete` is false when the page stopped at a gap.
 * The Query starts at the cursor's own entry: `cursorHeld` is false when the feed has no entry
 * at the cursor (past its head, or made up); `after` 0, the feed's start, is always held.
 */
export async function readFeed(
  tenantId: string,
  range: FeedRange,
): Promise<{ entries: FeedEntry[]; complete: boolean; more: boolean; cursorHeld: boolean }> {
  const backwards = range.before !== undefined;
  const cursor = backwards ? (range.before as number) : (range.after ?? 0);
  if (backwards && cursor < 1) return { entries: [], complete: true, more: false, cursorHeld: false };
  const withCursor = cursor > 0;
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
      ExpressionAttributeValues: {
        ":pk": keys.feedHead(tenantId).pk,
        ":first": keys.feedEvent(tenantId, backwards ? 1 : Math.max(cursor, 1)).sk,
        ":last": keys.feedEvent(tenantId, backwards ? cursor : LAST_SEQUENCE).sk,
      },
      ScanIndexForward: !backwards,
      ConsistentRead: true,
      // One more than asked (tells whether another page follows without a second query), and the
      // cursor's own entry.
      Limit: range.limit + (withCursor ? 2 : 1),
    }),
  );
  const cursorHeld = !withCursor || Number(Items[0]?.sequence) === cursor;
  const read = withCursor && cursorHeld ? Items.slice(1) : Items;
  const entries: FeedEntry[] = [];
  let expected = backwards ? cursor - 1 : cursor + 1;
  let complete = true;
  for (const item of read.slice(0, range.limit)) {
    const sequence = Number(item.sequence);
    if (sequence !== expected) {
      complete = false;
      break;
    }
    entries.push({ sequence, event: inSchemaOrder(item.event as UsernameChangeEvent) });
    expected += backwards ? -1 : 1;
  }
  const more = complete && read.length > range.limit;
  if (backwards) entries.reverse();
  return { entries, complete, more, cursorHeld };
}

/** Feed events by sequence number (strongly consistent BatchGetItem); missing ones are absent. */
export async function getFeedEvents(
  tenantId: string,
  sequences: readonly number[],
): Promise<Map<number, UsernameChangeEvent>> {
  const items = await batchGetItems(
    sequences.map((sequence) => keys.feedEvent(tenantId, sequence)),
    { consistent: true },
  );
  const events = new Map<number, UsernameChangeEvent>();
  for (const sequence of sequences) {
    const item = items.get(itemId(keys.feedEvent(tenantId, sequence)));
    if (item) events.set(sequence, inSchemaOrder(item.event as UsernameChangeEvent));
  }
  return events;
}

/** The tenant's latest feed events (older than sequence `olderThan` when given), newest first (the CLI's delivery log). */
export async function latestFeedEntries(
  tenantId: string,
  limit: number,
  olderThan?: number,
): Promise<FeedEntry[]> {
  if (olderThan !== undefined && olderThan <= 1) return [];
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      ...(olderThan === undefined
        ? {
            KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues: { ":pk": keys.feedHead(tenantId).pk, ":prefix": keys.feedEventPrefix },
          }
        : {
            KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues: {
              ":pk": keys.feedHead(tenantId).pk,
              ":first": keys.feedEvent(tenantId, 1).sk,
              ":last": keys.feedEvent(tenantId, olderThan - 1).sk,
            },
          }),
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return Items.map((item) => ({
    sequence: Number(item.sequence),
    event: inSchemaOrder(item.event as UsernameChangeEvent),
  }));
}
