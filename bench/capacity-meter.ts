/**
 * What a piece of the service's work costs DynamoDB, item by item: an SDK middleware on the
 * store's own client (built by `createDocumentClient`, so with the production configuration, and
 * installed with `setDynamoClient`, as bench/call-counter.ts does) records every call, every item
 * it writes or reads with its size, the partition keys it reaches (table and indexes), and the
 * units AWS charges for it by DynamoDB's published rules:
 *
 *  - item size: attribute names and values, UTF-8 bytes; a number 1 byte per two significant
 *    digits + 1; a list or map 3 bytes + 1 per element; a boolean or null 1 byte
 *    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html);
 *  - writes: 1 WCU per started KB of the item, the larger of its size before and after (PutItem,
 *    UpdateItem), the deleted item's size (DeleteItem), at least 1; twice that inside
 *    TransactWriteItems; a failed condition still costs the write
 *    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html);
 *  - reads: 1 RCU per started 4 KB of each item for GetItem and BatchGetItem (a missing key costs
 *    the minimum), of the items' total for Query, strongly consistent; half eventually consistent
 *    (index queries always are) (same page);
 *  - a global secondary index (both of this table's project ALL): a write that puts an item into
 *    the index costs one index write of its size, removes it one, moves its index key two (delete
 *    + put), changes a projected attribute one; none when the item is in the index neither before
 *    nor after (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes).
 *
 * Sizes come from the items themselves: with `images` the meter reads every written item just
 * before and just after the call (strongly consistent, through a client of its own, not counted),
 * so an UpdateItem's item is known whole. Without `images` (the feed-ceiling runs, where extra
 * reads would change the race being measured) only what the call carries is known: a Put's item;
 * an Update is then counted at the minimum unit and marked as such.
 *
 * Beside the computed units, DynamoDB Local's own `ConsumedCapacity` for the same call (the meter
 * asks for it with `ReturnConsumedCapacity: INDEXES`), as a cross-check of the arithmetic.
 */
import { type AttributeValue, BatchGetItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { createDocumentClient, setDynamoClient } from "../functions/core/store/client.ts";
import { tableDefinition } from "../infra/table-definition.ts";

export type Item = Record<string, AttributeValue>;

const KB = 1024;
const READ_UNIT = 4 * KB;

const utf8 = (text: string) => Buffer.byteLength(text, "utf8");

/** DynamoDB's size of a number: 1 byte per two significant digits, + 1. */
function numberSize(value: string): number {
  const digits = value.replace(/^[-+]/, "").replace(/e.*$/i, "").replace(".", "");
  const significant = digits.replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(1, significant.length) / 2) + 1;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + 1 + valueSize(v), 0);
  if (value.M !== undefined)
    return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + 1 + utf8(name) + valueSize(v), 0);
  return 0;
}

/** The size of an item as DynamoDB counts it (bytes). */
export function itemSize(item: Item | undefined): number {
  if (!item) return 0;
  return Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}

export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));
export const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / READ_UNIT));

/** The table's indexes: name, hash and range attributes. */
const INDEXES = Object.entries(tableDefinition.globalIndexes).map(([name, index]) => ({
  name,
  hashKey: index.hashKey as string,
  rangeKey: index.rangeKey as string,
}));

/** Where units land: the table or an index, and the partition key value there. */
export interface Place {
  /** `table` or the index name. */
  on: string;
  pk: string;
}

export interface WriteCharge extends Place {
  wcu: number;
  /** Item bytes the charge was computed from. */
  bytes: number;
  /** Index writes count as the writes they are (a move is 2). */
  writes: number;
  /** Item written: its sort key (for the table), its index sort key (for an index). */
  sk: string;
  /** Computed from the call alone (no images): an Update's item size is not known. */
  estimated?: boolean;
  /** For the table's own write: what the call did to the item, and whether it changed it (a stream record). */
  kind?: "put" | "update" | "delete" | "check";
  changed?: boolean;
}

export interface ReadCharge extends Place {
  rcu: number;
  items: number;
  bytes: number;
  consistent: boolean;
}

export interface CallRecord {
  command: string;
  ok: boolean;
  /** Error name when the call failed (ConditionalCheckFailed, TransactionCanceled...). */
  error?: string;
  ms: number;
  writes: WriteCharge[];
  reads: ReadCharge[];
  /** DynamoDB Local's ConsumedCapacity total for the call (undefined when it returned none). */
  localUnits?: number;
  /** Items a Put carried (for callers that want them: history items, feed items). */
  puts: Item[];
}

export interface Meter {
  calls: CallRecord[];
  reset(): void;
  stop(): void;
}

type WriteRequest = {
  kind: "put" | "update" | "delete" | "check";
  key: Item;
  item?: Item;
  transactional: boolean;
};

const KEY_NAMES = [tableDefinition.primaryIndex.hashKey, tableDefinition.primaryIndex.rangeKey] as const;

function keyOf(item: Item): Item {
  return Object.fromEntries(KEY_NAMES.map((name) => [name, item[name] as AttributeValue]));
}

function writeRequestsOf(command: string, input: Record<string, unknown>): WriteRequest[] {
  type Raw = { Item?: Item; Key?: Item };
  const one = (kind: WriteRequest["kind"], raw: Raw, transactional: boolean): WriteRequest => ({
    kind,
    key: raw.Item ? keyOf(raw.Item) : (raw.Key as Item),
    ...(raw.Item ? { item: raw.Item } : {}),
    transactional,
  });
  switch (command) {
    case "PutItemCommand":
      return [one("put", input as Raw, false)];
    case "UpdateItemCommand":
      return [one("update", input as Raw, false)];
    case "DeleteItemCommand":
      return [one("delete", input as Raw, false)];
    case "TransactWriteItemsCommand":
      return ((input.TransactItems ?? []) as Array<Record<string, Raw>>).map((entry) => {
        if (entry.Put) return one("put", entry.Put, true);
        if (entry.Update) return one("update", entry.Update, true);
        if (entry.Delete) return one("delete", entry.Delete, true);
        return one("check", entry.ConditionCheck as Raw, true);
      });
    case "BatchWriteItemCommand":
      return Object.values((input.RequestItems ?? {}) as Record<string, Array<Record<string, Raw>>>).flatMap(
        (requests) =>
          requests.map((r) =>
            r.PutRequest ? one("put", r.PutRequest, false) : one("delete", r.DeleteRequest as Raw, false),
          ),
      );
    default:
      return [];
  }
}

const idOf = (key: Item) => `${key.pk?.S ?? ""}\u0000${key.sk?.S ?? ""}`;

/** An item as text with its attributes in name order (two reads of one item may list them differently). */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The charges of one write, from the item before and after it (undefined: absent). */
function chargeWrite(
  request: WriteRequest,
  before: Item | undefined,
  after: Item | undefined,
  images: boolean,
): WriteCharge[] {
  const factor = request.transactional ? 2 : 1;
  const pk = request.key.pk?.S ?? "";
  const sk = request.key.sk?.S ?? "";
  if (!images) {
    // Only the call is known: a Put's item is its size; anything else the minimum.
    const bytes = request.kind === "put" ? itemSize(request.item) : 0;
    const charges: WriteCharge[] = [
      {
        on: "table",
        pk,
        sk,
        bytes,
        wcu: factor * writeUnits(bytes),
        writes: 1,
        kind: request.kind,
        changed: request.kind !== "check",
        ...(request.kind === "put" ? {} : { estimated: true }),
      },
    ];
    for (const index of INDEXES) {
      const indexPk = request.item?.[index.hashKey]?.S;
      if (request.kind === "put" && indexPk && request.item?.[index.rangeKey]?.S) {
        charges.push({
          on: index.name,
          pk: indexPk,
          sk: request.item[index.rangeKey]?.S ?? "",
          bytes,
          wcu: factor * writeUnits(bytes),
          writes: 1,
        });
      }
    }
    return charges;
  }
  const sizeBefore = itemSize(before);
  const sizeAfter = itemSize(after);
  const tableBytes = request.kind === "delete" ? sizeBefore : Math.max(sizeBefore, sizeAfter);
  const changed = request.kind !== "check" && canonical(before) !== canonical(after);
  const charges: WriteCharge[] = [
    {
      on: "table",
      pk,
      sk,
      bytes: tableBytes,
      wcu: factor * writeUnits(tableBytes),
      writes: 1,
      kind: request.kind,
      changed,
    },
  ];
  if (!changed) return charges;
  for (const index of INDEXES) {
    const entry = (item: Item | undefined) => {
      const hash = item?.[index.hashKey]?.S;
      const range = item?.[index.rangeKey]?.S;
      return hash !== undefined && range !== undefined ? { pk: hash, sk: range } : undefined;
    };
    const was = entry(before);
    const is = entry(after);
    const put = (at: { pk: string; sk: string }, bytes: number): WriteCharge => ({
      on: index.name,
      pk: at.pk,
      sk: at.sk,
      bytes,
      wcu: factor * writeUnits(bytes),
      writes: 1,
    });
    if (!was && is) charges.push(put(is, sizeAfter));
    else if (was && !is) charges.push(put(was, sizeBefore));
    else if (was && is) {
      if (was.pk !== is.pk || was.sk !== is.sk) charges.push(put(was, sizeBefore), put(is, sizeAfter));
      else charges.push(put(is, Math.max(sizeBefore, sizeAfter)));
    }
  }
  return charges;
}

/** The partition key value a Query reads: its key condition's value for the hash key. */
function queryPlace(input: Record<string, unknown>): Place {
  const on = (input.IndexName as string | undefined) ?? "table";
  const hashKey = INDEXES.find((index) => index.name === on)?.hashKey ?? tableDefinition.primaryIndex.hashKey;
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Item;
  for (const [, name = "", placeholder = ""] of String(input.KeyConditionExpression ?? "").matchAll(
    /([#\w]+)\s*=\s*(:\w+)/g,
  )) {
    const attribute = name.startsWith("#") ? names[name] : name;
    if (attribute === hashKey) return { on, pk: values[placeholder]?.S ?? "?" };
  }
  return { on, pk: "?" };
}

/**
 * An item read, as attribute values. The document client's answers reach this step already
 * unmarshalled (plain values): they are marshalled back, as DynamoDB sent them, to be measured.
 */
function asStored(item: unknown): Item | undefined {
  if (item === undefined || item === null) return undefined;
  const record = item as Record<string, unknown>;
  const pk = record.pk as { S?: unknown } | string | undefined;
  if (typeof pk === "object" && pk !== null && typeof pk.S === "string") return record as Item;
  return marshall(record, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as Item;
}

function chargeReads(
  command: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
): ReadCharge[] {
  if (command === "GetItemCommand") {
    const item = asStored(output.Item);
    const bytes = itemSize(item);
    const consistent = input.ConsistentRead === true;
    return [
      {
        on: "table",
        pk: (input.Key as Item).pk?.S ?? "",
        rcu: readUnits(bytes) * (consistent ? 1 : 0.5),
        items: item ? 1 : 0,
        bytes,
        consistent,
      },
    ];
  }
  if (command === "BatchGetItemCommand") {
    const charges: ReadCharge[] = [];
    const requests = (input.RequestItems ?? {}) as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
    const responses = (output.Responses ?? {}) as Record<string, unknown[]>;
    const unprocessed = (output.UnprocessedKeys ?? {}) as Record<string, { Keys?: Item[] }>;
    for (const [table, request] of Object.entries(requests)) {
      const consistent = request.ConsistentRead === true;
      const found = new Map(
        (responses[table] ?? []).map((raw) => {
          const item = asStored(raw) as Item;
          return [idOf(keyOf(item)), item];
        }),
      );
      const left = new Set((unprocessed[table]?.Keys ?? []).map((key) => idOf(asStored(key) as Item)));
      for (const raw of request.Keys) {
        const key = asStored(raw) as Item;
        if (left.has(idOf(key))) continue;
        const item = found.get(idOf(key));
        const bytes = itemSize(item);
        charges.push({
          on: "table",
          pk: key.pk?.S ?? "",
          rcu: readUnits(bytes) * (consistent ? 1 : 0.5),
          items: item ? 1 : 0,
          bytes,
          consistent,
        });
      }
    }
    return charges;
  }
  if (command === "QueryCommand") {
    const items = ((output.Items ?? []) as unknown[]).map((raw) => asStored(raw) as Item);
    const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
    const place = queryPlace(input);
    // Index queries are eventually consistent whatever is asked.
    const consistent = place.on === "table" && input.ConsistentRead === true;
    return [
      { ...place, rcu: readUnits(bytes) * (consistent ? 1 : 0.5), items: items.length, bytes, consistent },
    ];
  }
  return [];
}

function localUnitsOf(output: Record<string, unknown> | undefined): number | undefined {
  const consumed = output?.ConsumedCapacity as { CapacityUnits?: number } | Array<{ CapacityUnits?: number }>;
  if (consumed === undefined) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
}

/** Reads items by key, strongly consistent, 100 a call (the meter's own reads, never counted). */
async function readImages(
  client: DynamoDBDocumentClient,
  table: string,
  keys: Item[],
): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Map(keys.map((key) => [idOf(key), key])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let pending = unique.slice(i, i + 100);
    while (pending.length > 0) {
      const answer = await client.send(
        new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of answer.Responses?.[table] ?? []) found.set(idOf(keyOf(item)), item);
      pending = (answer.UnprocessedKeys?.[table]?.Keys ?? []) as Item[];
    }
  }
  return found;
}

/**
 * Installs the meter as the store's client until `stop()`. `images`: read each written item before
 * and after its call (exact sizes; adds the meter's own reads around every write).
 */
export function installMeter(options: { images: boolean; table: string }): Meter {
  const client = createDocumentClient();
  const imageClient = createDocumentClient();
  const calls: CallRecord[] = [];
  // Ask DynamoDB (Local) for its own count; before serialization, so it is part of the request.
  client.middlewareStack.add(
    (next) => async (args) =>
      next({ ...args, input: { ...(args.input as object), ReturnConsumedCapacity: "INDEXES" } }),
    { step: "initialize", priority: "high", name: "meterAskCapacity" },
  );
  // The items as they were before the call: read once per call, before its first attempt (the
  // build step: after the document client marshalled the input, outside the retry loop), so an
  // attempt retried after a timeout is compared with the items before the call, not before the retry.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args as { input: Record<string, unknown> }).input;
      const requests = writeRequestsOf(String(context.commandName), input);
      if (options.images && requests.length > 0) {
        (context as Record<string, unknown>).meterBefore = await readImages(
          imageClient,
          options.table,
          requests.map((r) => r.key),
        );
      }
      return next(args);
    },
    { step: "build", priority: "high", name: "meterBefore" },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const input = (args as { input: Record<string, unknown> }).input;
      const requests = writeRequestsOf(command, input);
      const before =
        ((context as Record<string, unknown>).meterBefore as Map<string, Item> | undefined) ??
        new Map<string, Item>();
      const started = performance.now();
      let output: Record<string, unknown> | undefined;
      let error: { name?: string } | undefined;
      try {
        const result = await next(args);
        output = (result as { output: Record<string, unknown> }).output;
        return result;
      } catch (caught) {
        error = caught as { name?: string };
        throw caught;
      } finally {
        const ms = performance.now() - started;
        const after =
          options.images && requests.length > 0 && !error
            ? await readImages(
                imageClient,
                options.table,
                requests.map((r) => r.key),
              )
            : before;
        calls.push({
          command: command.replace(/Command$/, ""),
          ok: !error,
          ...(error ? { error: error.name ?? "Error" } : {}),
          ms,
          writes: requests.flatMap((request) =>
            chargeWrite(request, before.get(idOf(request.key)), after.get(idOf(request.key)), options.images),
          ),
          reads: output ? chargeReads(command, input, output) : [],
          ...(localUnitsOf(output) !== undefined ? { localUnits: localUnitsOf(output) } : {}),
          puts: requests.flatMap((r) => (r.kind === "put" && r.item ? [r.item] : [])),
        });
      }
    },
    // Inside the retry loop (a retry is the extra call it is on the wire), after serialization:
    // the input here is the low-level request, attribute values marshalled.
    { step: "finalizeRequest", priority: "low", name: "capacityMeter" },
  );
  setDynamoClient(client);
  return {
    calls,
    reset: () => {
      calls.length = 0;
    },
    stop: () => {
      setDynamoClient(undefined);
      client.destroy();
      imageClient.destroy();
    },
  };
}

/** Totals of some calls. */
export interface CallTotals {
  calls: number;
  /** `GetItem × 1, TransactWriteItems × 1` */
  operations: string;
  failed: number;
  itemsWritten: number;
  bytesWritten: number;
  wcu: number;
  itemsRead: number;
  bytesRead: number;
  rcu: number;
  localUnits: number;
  /** Calls DynamoDB Local answered with a ConsumedCapacity. */
  localCounted: number;
  /**
   * The cross-check on the calls DynamoDB Local counts as AWS does (all but TransactWriteItems,
   * for which it reports one item's units however many the transaction holds): the units computed
   * here and DynamoDB Local's own, for those calls.
   */
  checkedComputed: number;
  checkedLocal: number;
  estimated: boolean;
}

export function totals(calls: readonly CallRecord[]): CallTotals {
  const ops = new Map<string, number>();
  for (const call of calls) ops.set(call.command, (ops.get(call.command) ?? 0) + 1);
  const tableWrites = calls.flatMap((c) => c.writes.filter((w) => w.on === "table"));
  const reads = calls.flatMap((c) => c.reads);
  return {
    calls: calls.length,
    operations:
      [...ops].map(([op, n]) => `${op} × ${n}`).join(", ") +
      (calls.some((c) => !c.ok) ? `; ${calls.filter((c) => !c.ok).length} failed` : ""),
    failed: calls.filter((c) => !c.ok).length,
    itemsWritten: tableWrites.length,
    bytesWritten: tableWrites.reduce((sum, w) => sum + w.bytes, 0),
    wcu: calls.flatMap((c) => c.writes).reduce((sum, w) => sum + w.wcu, 0),
    itemsRead: reads.reduce((sum, r) => sum + r.items, 0),
    bytesRead: reads.reduce((sum, r) => sum + r.bytes, 0),
    rcu: reads.reduce((sum, r) => sum + r.rcu, 0),
    localUnits: calls.reduce((sum, c) => sum + (c.localUnits ?? 0), 0),
    localCounted: calls.filter((c) => c.localUnits !== undefined).length,
    ...(() => {
      const checked = calls.filter((c) => c.localUnits !== undefined && c.command !== "TransactWriteItems");
      return {
        checkedComputed: checked.reduce(
          (sum, c) => sum + c.writes.reduce((s, w) => s + w.wcu, 0) + c.reads.reduce((s, r) => s + r.rcu, 0),
          0,
        ),
        checkedLocal: checked.reduce((sum, c) => sum + (c.localUnits ?? 0), 0),
      };
    })(),
    estimated: calls.some((c) => c.writes.some((w) => w.estimated)),
  };
}

/** Units and writes per place (table or index, partition key value). */
export interface PlaceLoad extends Place {
  writes: number;
  wcu: number;
  reads: number;
  rcu: number;
}

export function loadByPlace(calls: readonly CallRecord[]): PlaceLoad[] {
  const byPlace = new Map<string, PlaceLoad>();
  const at = (place: Place) => {
    const id = `${place.on}\u0000${place.pk}`;
    let load = byPlace.get(id);
    if (!load) {
      load = { on: place.on, pk: place.pk, writes: 0, wcu: 0, reads: 0, rcu: 0 };
      byPlace.set(id, load);
    }
    return load;
  };
  for (const call of calls) {
    for (const write of call.writes) {
      const load = at(write);
      load.writes += write.writes;
      load.wcu += write.wcu;
    }
    for (const read of call.reads) {
      const load = at(read);
      load.reads += 1;
      load.rcu += read.rcu;
    }
  }
  return [...byPlace.values()];
}
