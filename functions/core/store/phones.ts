import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { HistoryEvent, NewPhone, PhoneRecord } from "../username-state/records.ts";
import { batchGetItems, itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

const ITEM_FIELDS = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "type", "usernameKey"] as const;

/** A number's sort key in its tenant's `byTenant` partition: `PHONE#<phone number id>`. */
const PHONE_SORT_PREFIX = "PHONE#";

export function phoneFromItem(item: Record<string, unknown>): PhoneRecord {
  const record = { ...item };
  for (const field of ITEM_FIELDS) delete record[field];
  return record as unknown as PhoneRecord;
}

export function phoneItem(phone: PhoneRecord): Record<string, unknown> {
  return {
    ...keys.phone(phone.phoneNumberId),
    type: "phone",
    gsi2pk: keys.byTenant(phone.tenantId),
    gsi2sk: `${PHONE_SORT_PREFIX}${phone.phoneNumberId}`,
    ...phone,
  };
}

export class PhoneExistsError extends Error {
  override name = "PhoneExistsError";
}

/**
 * The WABA id + display number is already another record's: one Meta number has one record.
 * The message names neither that record nor its tenant.
 */
export class MetaNumberTakenError extends Error {
  override name = "MetaNumberTakenError";
}

/**
 * The business portfolio is another tenant's: a portfolio's numbers (and so its username-holder
 * markers, which move names between its numbers) belong to one tenant. Names neither the tenant
 * nor its numbers.
 */
export class BusinessTakenError extends Error {
  override name = "BusinessTakenError";
}

export async function getPhone(phoneNumberId: string, consistent = false): Promise<PhoneRecord | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.phone(phoneNumberId), ConsistentRead: consistent }),
  );
  return Item ? phoneFromItem(Item) : undefined;
}

/** The item a webhook finds the number by: Meta's payload names the WABA and display number only. */
function wabaPhoneItem(phone: Pick<PhoneRecord, "wabaId" | "displayPhoneNumber" | "phoneNumberId">) {
  return {
    ...keys.wabaPhone(phone.wabaId, phone.displayPhoneNumber),
    type: "wabaPhone",
    phoneNumberId: phone.phoneNumberId,
  };
}

/**
 * Registers a phone number; an existing id is never overwritten (its state and history stay
 * intact). Its WABA-phone lookup item is written in the same transaction, only if no record has
 * that WABA id + display number yet: a Meta number belongs to exactly one record (of any tenant),
 * so a webhook about it can only ever update that one. The business portfolio is bound to the
 * tenant in the same transaction (or must already be the tenant's): names move between a
 * portfolio's numbers, so they must all be one tenant's. Throws PhoneExistsError (same id),
 * MetaNumberTakenError (same WABA id + display number under another id) or BusinessTakenError.
 */
export async function createPhone(phone: NewPhone): Promise<PhoneRecord> {
  const record: PhoneRecord = { ...phone, version: 0, createdAt: new Date().toISOString() };
  const TableName = tableName();
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: phoneItem(record), ConditionExpression: "attribute_not_exists(pk)" } },
          {
            Put: { TableName, Item: wabaPhoneItem(record), ConditionExpression: "attribute_not_exists(pk)" },
          },
          {
            Put: {
              TableName,
              Item: {
                ...keys.businessTenant(phone.businessId),
                type: "businessTenant",
                tenantId: phone.tenantId,
              },
              ConditionExpression: "attribute_not_exists(pk) OR tenantId = :tenant",
              ExpressionAttributeValues: { ":tenant": phone.tenantId },
            },
          },
        ],
      }),
    );
  } catch (error) {
    const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
    if (e.name === "TransactionCanceledException") {
      if (e.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed") {
        throw new PhoneExistsError(`phone number ${phone.phoneNumberId} is already registered`);
      }
      if (e.CancellationReasons?.[1]?.Code === "ConditionalCheckFailed") {
        throw new MetaNumberTakenError(
          `WABA ${phone.wabaId} display number ${phone.displayPhoneNumber} is already registered ` +
            "under another phone number id (one Meta number, one record: remove that record first)",
        );
      }
      if (e.CancellationReasons?.[2]?.Code === "ConditionalCheckFailed") {
        throw new BusinessTakenError(
          `business portfolio ${phone.businessId} belongs to another tenant (a portfolio's numbers are one tenant's)`,
        );
      }
    }
    throw error;
  }
  await touchTenant(phone.tenantId);
  return record;
}

/**
 * Adds a Meta account id (a Messaging Account the number also belongs to) to the number: its
 * lookup item, only if no record has that account id + display number yet (one Meta number, one
 * record), and the id to the record's `accountIds`, in one transaction. False when there is no
 * such number; MetaNumberTakenError when the pair is another record's. Adding an id the number
 * already has is a no-op.
 */
export async function addAccount(phoneNumberId: string, accountId: string): Promise<boolean> {
  const phone = await getPhone(phoneNumberId, true);
  if (!phone) return false;
  if (phone.wabaId === accountId || phone.accountIds?.includes(accountId)) return true;
  const TableName = tableName();
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: wabaPhoneItem({ ...phone, wabaId: accountId }),
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Update: {
              TableName,
              Key: keys.phone(phoneNumberId),
              UpdateExpression: "SET accountIds = list_append(if_not_exists(accountIds, :none), :id)",
              ConditionExpression: "attribute_exists(pk)",
              ExpressionAttributeValues: { ":none": [], ":id": [accountId] },
            },
          },
        ],
      }),
    );
  } catch (error) {
    const reasons = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
    if (
      reasons.name === "TransactionCanceledException" &&
      reasons.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed"
    ) {
      throw new MetaNumberTakenError(
        `account ${accountId} display number ${phone.displayPhoneNumber} is already registered ` +
          "under another phone number id (one Meta number, one record)",
      );
    }
    if (reasons.name === "TransactionCanceledException") return false;
    throw error;
  }
  return true;
}

/**
 * Removes a Meta account id from the number (its lookup item and the id); the number keeps at
 * least one: removing its last is refused (LastAccountError). Removing `wabaId` makes the next
 * account id the first. False when there is no such number or it is not under that account.
 */
export async function removeAccount(phoneNumberId: string, accountId: string): Promise<boolean> {
  const phone = await getPhone(phoneNumberId, true);
  if (!phone) return false;
  const all = [phone.wabaId, ...(phone.accountIds ?? [])];
  if (!all.includes(accountId)) return false;
  const rest = all.filter((id) => id !== accountId);
  if (rest.length === 0) throw new LastAccountError(`phone number ${phoneNumberId} has no other account id`);
  const [first, ...others] = rest as [string, ...string[]];
  const TableName = tableName();
  await dynamo().send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Delete: {
            TableName,
            Key: keys.wabaPhone(accountId, phone.displayPhoneNumber),
            ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
            ExpressionAttributeValues: { ":me": phoneNumberId },
          },
        },
        {
          Update: {
            TableName,
            Key: keys.phone(phoneNumberId),
            UpdateExpression: others.length
              ? "SET wabaId = :first, accountIds = :others"
              : "SET wabaId = :first REMOVE accountIds",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: { ":first": first, ...(others.length ? { ":others": others } : {}) },
          },
        },
      ],
    }),
  );
  return true;
}

/** A number must keep one Meta account id: webhooks find it by one. */
export class LastAccountError extends Error {
  override name = "LastAccountError";
}

/**
 * Sets the WhatsApp Account id Meta gives the number (a later phase of its account split): an
 * alias of the phone number id in paths. Unique: refused (WhatsAppAccountTakenError) when another
 * number has it. Replaces the number's earlier one. False when there is no such number.
 */
export async function setWhatsAppAccountId(
  phoneNumberId: string,
  whatsappAccountId: string,
): Promise<boolean> {
  const phone = await getPhone(phoneNumberId, true);
  if (!phone) return false;
  if (phone.whatsappAccountId === whatsappAccountId) return true;
  const TableName = tableName();
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              // The tenant too: a path naming another tenant's alias is refused on this read alone.
              Item: {
                ...keys.whatsappAccount(whatsappAccountId),
                type: "whatsappAccount",
                phoneNumberId,
                tenantId: phone.tenantId,
              },
              ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
              ExpressionAttributeValues: { ":me": phoneNumberId },
            },
          },
          {
            Update: {
              TableName,
              Key: keys.phone(phoneNumberId),
              UpdateExpression: "SET whatsappAccountId = :id",
              ConditionExpression: "attribute_exists(pk)",
              ExpressionAttributeValues: { ":id": whatsappAccountId },
            },
          },
          ...(phone.whatsappAccountId
            ? [
                {
                  Delete: {
                    TableName,
                    Key: keys.whatsappAccount(phone.whatsappAccountId),
                    ConditionExpression: "phoneNumberId = :me",
                    ExpressionAttributeValues: { ":me": phoneNumberId },
                  },
                },
              ]
            : []),
        ],
      }),
    );
  } catch (error) {
    const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
    if (
      e.name === "TransactionCanceledException" &&
      e.CancellationReasons?.[0]?.Code === "ConditionalCheckFailed"
    ) {
      throw new WhatsAppAccountTakenError(`WhatsApp Account id ${whatsappAccountId} is another number's`);
    }
    throw error;
  }
  return true;
}

export class WhatsAppAccountTakenError extends Error {
  override name = "WhatsAppAccountTakenError";
}

/** The number a WhatsApp Account id stands for: its phone number id and tenant. */
export interface PhoneAlias {
  phoneNumberId: string;
  /** Absent on an alias written before aliases carried it: read the number to know. */
  tenantId?: string;
}

/**
 * The number whose WhatsApp Account id `id` is (one strongly consistent GetItem), or undefined
 * when it is none's.
 */
export async function phoneAlias(id: string): Promise<PhoneAlias | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.whatsappAccount(id), ConsistentRead: true }),
  );
  if (Item?.phoneNumberId === undefined) return undefined;
  return {
    phoneNumberId: String(Item.phoneNumberId),
    ...(typeof Item.tenantId === "string" ? { tenantId: Item.tenantId } : {}),
  };
}

/** Frees a portfolio for another tenant: only while it is still `tenantId`'s (its last number was removed). */
export async function releaseBusiness(businessId: string, tenantId: string): Promise<void> {
  await dynamo()
    .send(
      new DeleteCommand({
        TableName: tableName(),
        Key: keys.businessTenant(businessId),
        ConditionExpression: "tenantId = :tenant",
        ExpressionAttributeValues: { ":tenant": tenantId },
      }),
    )
    .catch((error: Error) => {
      if (error.name !== "ConditionalCheckFailedException") throw error;
    });
}

/**
 * Stores a new sealed token. With `replacing`, only if the stored one is still that ciphertext
 * (a re-encryption must not undo a `phone set-token` that ran meanwhile).
 */
export async function setPhoneToken(
  phoneNumberId: string,
  accessTokenEncrypted: string,
  replacing?: string,
): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.phone(phoneNumberId),
        UpdateExpression: "SET accessTokenEncrypted = :token",
        ConditionExpression: replacing ? "accessTokenEncrypted = :replacing" : "attribute_exists(pk)",
        ExpressionAttributeValues: {
          ":token": accessTokenEncrypted,
          ...(replacing ? { ":replacing": replacing } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/** Every number of the tenant, whole records (one `byTenant` Query per 1 MB: all of its partition's numbers). */
export async function listPhones(tenantId: string): Promise<PhoneRecord[]> {
  const items = await queryAll({
    IndexName: "byTenant",
    KeyConditionExpression: "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
    ExpressionAttributeValues: { ":pk": keys.byTenant(tenantId), ":prefix": PHONE_SORT_PREFIX },
  });
  return items.map(phoneFromItem);
}

export interface PhonePage {
  /** Up to `limit` phone number ids, in the partition's order (`PHONE#<id>`, byte order). */
  phoneNumberIds: string[];
  /** True when the tenant has no number after the last one returned (or after `after`). */
  exhausted: boolean;
}

/**
 * The next `limit` numbers of the tenant after the number `after` (from the first when
 * undefined), for the drift sweep: a `Query` on `byTenant` with `Limit` = what is still wanted,
 * starting after `PHONE#<after>` (`ExclusiveStartKey`: the number's index and table keys, so
 * `after` need not exist any more). Reads the returned items only (plus one more Query when a
 * page stops at 1 MB), never the rest of the tenant: a run of the sweep costs what it takes,
 * whatever the tenant's size. Eventually consistent, as every index read: a number registered a
 * moment ago may be missed by this pass and is found by the next. Throws storage errors.
 */
export async function pagePhoneNumberIds(
  tenantId: string,
  after: string | undefined,
  limit: number,
): Promise<PhonePage> {
  // DynamoDB refuses `Limit: 0`; nothing wanted reads nothing.
  if (limit < 1) return { phoneNumberIds: [], exhausted: false };
  const phoneNumberIds: string[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined =
    after === undefined
      ? undefined
      : {
          ...keys.phone(after),
          gsi2pk: keys.byTenant(tenantId),
          gsi2sk: `${PHONE_SORT_PREFIX}${after}`,
        };
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: "byTenant",
        KeyConditionExpression: "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
        ExpressionAttributeValues: { ":pk": keys.byTenant(tenantId), ":prefix": PHONE_SORT_PREFIX },
        Limit: limit - phoneNumberIds.length,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      phoneNumberIds.push(String(item.gsi2sk).slice(PHONE_SORT_PREFIX.length));
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && phoneNumberIds.length < limit);
  // A page cut at `Limit` carries a LastEvaluatedKey whether or not more numbers follow: the
  // tenant counts as exhausted only when DynamoDB says the partition's numbers ended.
  return { phoneNumberIds, exhausted: ExclusiveStartKey === undefined };
}

/**
 * How many numbers the tenant has (up to and including `upTo` when given): `Select: COUNT`
 * Queries on `byTenant`. DynamoDB charges the items counted as if read (≈ ½ RCU per 4 KB of
 * records), so this reads the tenant's numbers once: the drift sweep calls it once per deployment
 * (when its item holds no count yet), never per run. Throws storage errors.
 */
export async function countPhones(tenantId: string, upTo?: string): Promise<number> {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: "byTenant",
        KeyConditionExpression:
          upTo === undefined
            ? "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)"
            : "gsi2pk = :pk AND gsi2sk BETWEEN :prefix AND :upTo",
        ExpressionAttributeValues: {
          ":pk": keys.byTenant(tenantId),
          ":prefix": PHONE_SORT_PREFIX,
          ...(upTo === undefined ? {} : { ":upTo": `${PHONE_SORT_PREFIX}${upTo}` }),
        },
        Select: "COUNT",
        ExclusiveStartKey,
      }),
    );
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

/**
 * Every item of the phone's partition (record, history, markers, line) and its WABA-phone lookup.
 * The portfolio's holder marker of its name is the state committer's (admin/numbers.ts removes it first).
 */
export async function removePhone(phoneNumberId: string): Promise<boolean> {
  const phone = await getPhone(phoneNumberId, true);
  if (!phone) return false;
  const items = await queryAll({
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": keys.phone(phoneNumberId).pk },
    ProjectionExpression: "pk, sk",
  });
  // Only this number's lookups and alias: the display number may since have been registered again.
  const mine = (key: { pk: string; sk: string }) =>
    dynamo()
      .send(
        new DeleteCommand({
          TableName: tableName(),
          Key: key,
          ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": phoneNumberId },
        }),
      )
      .catch((error: Error) => {
        if (error.name !== "ConditionalCheckFailedException") throw error;
      });
  for (const accountId of [phone.wabaId, ...(phone.accountIds ?? [])]) {
    await mine(keys.wabaPhone(accountId, phone.displayPhoneNumber));
  }
  if (phone.whatsappAccountId) await mine(keys.whatsappAccount(phone.whatsappAccountId));
  for (const item of items) {
    await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: { pk: item.pk, sk: item.sk } }));
  }
  return true;
}

export async function listHistory(phoneNumberId: string): Promise<HistoryEvent[]> {
  const items = await queryAll({
    KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":pk": keys.phone(phoneNumberId).pk, ":prefix": keys.historyPrefix },
    ConsistentRead: true,
  });
  return items.map(({ pk: _pk, sk: _sk, type: _type, ...event }) => event as unknown as HistoryEvent);
}

export async function touchTenant(tenantId: string): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.tenant(tenantId),
      UpdateExpression: "SET tenantId = :t, createdAt = if_not_exists(createdAt, :now)",
      ExpressionAttributeValues: { ":t": tenantId, ":now": new Date().toISOString() },
    }),
  );
}

export async function listTenants(): Promise<string[]> {
  const items = await queryAll({
    KeyConditionExpression: "pk = :pk",
    ExpressionAttributeValues: { ":pk": keys.tenantsPartition },
  });
  return items.map((item) => String(item.tenantId));
}

type QueryInput = Omit<ConstructorParameters<typeof QueryCommand>[0], "TableName">;

export async function queryAll(input: QueryInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({ ...input, TableName: tableName(), ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

export interface WabaDisplay {
  wabaId: string;
  /** Digits only. */
  displayDigits: string;
}

/**
 * The phone numbers a webhook delivery speaks of (Meta's payload names only the WABA id and the
 * display number), by `wabaDisplayId`: BatchGetItem of their WABA-phone lookup items, then of the
 * phone records, both strongly consistent (a number registered a moment ago is found), two calls
 * per 100 numbers. Deterministic: a lookup item names exactly one record.
 */
export async function findPhonesByWabaDisplay(
  numbers: readonly WabaDisplay[],
): Promise<Map<string, PhoneRecord>> {
  const lookups = await batchGetItems(
    numbers.map((n) => keys.wabaPhone(n.wabaId, n.displayDigits)),
    { consistent: true },
  );
  const phoneIds = new Map<string, string>();
  for (const number of numbers) {
    const lookup = lookups.get(itemId(keys.wabaPhone(number.wabaId, number.displayDigits)));
    if (lookup) phoneIds.set(wabaDisplayId(number), String(lookup.phoneNumberId));
  }
  const phones = await getPhones([...new Set(phoneIds.values())], true);
  const found = new Map<string, PhoneRecord>();
  for (const [id, phoneNumberId] of phoneIds) {
    const phone = phones.get(phoneNumberId);
    if (phone) found.set(id, phone);
  }
  return found;
}

export function wabaDisplayId(number: WabaDisplay): string {
  return `${number.wabaId}#${number.displayDigits}`;
}

/** Phone records by id, in BatchGetItem calls of 100. */
export async function getPhones(phoneNumberIds: readonly string[], consistent: boolean) {
  const items = await batchGetItems(
    phoneNumberIds.map((id) => keys.phone(id)),
    { consistent },
  );
  const phones = new Map<string, PhoneRecord>();
  for (const item of items.values()) {
    const phone = phoneFromItem(item);
    phones.set(phone.phoneNumberId, phone);
  }
  return phones;
}
