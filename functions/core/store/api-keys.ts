/**
 * API keys at rest. Three items per key, written in one transaction:
 *  - the key record `APIKEY#<sha256>`: what authentication reads (by the hash of the presented
 *    key), the truth about revocation; also in the byTenant index (`TENANT#<t>` / `KEY#<id>`);
 *  - the id pointer `APIKEYID#<id>` → the hash, so an operator revokes a key by its id alone;
 *  - the tenant's entry `APIKEYS#<t>` / `KEY#<id>`: id, hash, name, created, revoked and last-used
 *    times, in a partition of the tenant's own, read strongly consistent: the tenant API lists its
 *    keys, decides ownership (another tenant's key is simply absent there, one read either way)
 *    and finds another active key there.
 * Keys made before the tenant entries existed (0.2.0) get theirs the first time the tenant's
 * index is read (`indexLegacyApiKeys`), which then writes the partition's `INDEX` marker.
 * The key itself is never stored, only its SHA-256.
 */
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { PhoneRecord } from "../username-state/records.ts";
import { batchGetItems, itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";
import { phoneFromItem, queryAll, touchTenant } from "./phones.ts";
import { failedConditions } from "./transactions.ts";

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** SHA-256 (hex) of the key: the key itself is never stored. */
  keyHash: string;
  name?: string;
  createdAt: string;
  revokedAt?: string;
}

/** A key as its tenant's index holds it (`APIKEYS#<t>` / `KEY#<id>`). */
export interface TenantApiKeyEntry extends ApiKeyRecord {
  /** ISO time of the last recorded use (recorded at most once per period and container: auth/key-use.ts). */
  lastUsedAt?: string;
}

/**
 * Stores a new key: its record, its id pointer and its tenant entry in one transaction, then
 * notes the tenant (`tenant list`) unless `touchTenant` is false (the tenant API: the tenant is
 * the caller's, known already).
 */
export async function createApiKeyRecord(
  record: Omit<ApiKeyRecord, "createdAt">,
  options: {
    touchTenant?: boolean;
    /**
     * The tenant's key list version the caller's limit check read (`tenantApiKeyEntries`): the
     * key commits only if the list is still at that version, and moves it on (ApiKeyListChangedError
     * otherwise, nothing written). Absent: no check (the operator's keys, not limited).
     */
    expectedListVersion?: number;
  } = {},
): Promise<ApiKeyRecord> {
  const full: ApiKeyRecord = { ...record, createdAt: new Date().toISOString() };
  const TableName = tableName();
  const expected = options.expectedListVersion;
  const versionCheck =
    expected === undefined
      ? []
      : [
          {
            Update: {
              TableName,
              Key: keys.tenantApiKeyIndex(record.tenantId),
              UpdateExpression: "SET listVersion = :next",
              // The index marker exists: the caller's read indexed the tenant's keys first.
              ConditionExpression:
                expected === 0
                  ? "attribute_exists(pk) AND attribute_not_exists(listVersion)"
                  : "listVersion = :expected",
              ExpressionAttributeValues: {
                ":next": expected + 1,
                ...(expected === 0 ? {} : { ":expected": expected }),
              },
            },
          },
        ];
  try {
    await sendKeyCreation();
  } catch (error) {
    const failed = failedConditions(error);
    if (expected === undefined || failed === undefined || [0, 1, 2].some((i) => failed.has(i))) throw error;
    throw new ApiKeyListChangedError(`the API keys of tenant ${record.tenantId} changed`);
  }
  if (options.touchTenant !== false) await touchTenant(record.tenantId);
  return full;

  async function sendKeyCreation() {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: {
                ...keys.apiKey(record.keyHash),
                type: "apiKey",
                gsi2pk: keys.byTenant(record.tenantId),
                gsi2sk: `KEY#${record.id}`,
                ...full,
              },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Put: {
              TableName,
              Item: { ...keys.apiKeyId(record.id), type: "apiKeyId", keyHash: record.keyHash },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Put: {
              TableName,
              Item: { ...keys.tenantApiKey(record.tenantId, record.id), type: "tenantApiKey", ...full },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          ...versionCheck,
        ],
      }),
    );
  }
}

/**
 * The tenant's key list changed after the version a creation expected was read (another creation
 * committed first, or raced it): nothing was written; read the list again and decide again.
 */
export class ApiKeyListChangedError extends Error {
  override name = "ApiKeyListChangedError";
}

export async function getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
  const { Item } = await dynamo().send(new GetCommand({ TableName: tableName(), Key: keys.apiKey(keyHash) }));
  return Item ? apiKeyFromItem(Item) : undefined;
}

/**
 * The API key and the phone number a request names, in one round trip (one BatchGetItem): what
 * a username request on a container that has not seen the key yet needs before calling Meta.
 * Both eventually consistent, as getApiKeyByHash and getPhone read them.
 */
export async function getApiKeyAndPhone(
  keyHash: string,
  phoneNumberId: string,
): Promise<{ apiKey?: ApiKeyRecord; phone?: PhoneRecord }> {
  const items = await batchGetItems([keys.apiKey(keyHash), keys.phone(phoneNumberId)], { consistent: false });
  const apiKey = items.get(itemId(keys.apiKey(keyHash)));
  const phone = items.get(itemId(keys.phone(phoneNumberId)));
  return {
    ...(apiKey ? { apiKey: apiKeyFromItem(apiKey) } : {}),
    ...(phone ? { phone: phoneFromItem(phone) } : {}),
  };
}

/** The tenant's key records through the byTenant index (eventually consistent: a new key may lag). */
export async function listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
  const items = await queryAll({
    IndexName: "byTenant",
    KeyConditionExpression: "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
    ExpressionAttributeValues: { ":pk": keys.byTenant(tenantId), ":prefix": "KEY#" },
  });
  return items.map(apiKeyFromItem);
}

/**
 * Revokes a key by id, whatever its tenant (the operator's `key revoke`): the record, then its
 * tenant entry. Returns the revoked record, or undefined when no key has that id. Revoking twice
 * keeps the first time.
 */
export async function revokeApiKey(id: string): Promise<ApiKeyRecord | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.apiKeyId(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  let Attributes: Record<string, unknown> | undefined;
  try {
    ({ Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.apiKey(String(Item.keyHash)),
        UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :now)",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":now": new Date().toISOString() },
        ReturnValues: "ALL_NEW",
      }),
    ));
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    throw error;
  }
  if (!Attributes) return undefined;
  const revoked = apiKeyFromItem(Attributes);
  // The tenant's entry says so too (absent for a key not yet indexed: indexing copies the time).
  await conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.tenantApiKey(revoked.tenantId, revoked.id),
        UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :time)",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":time": revoked.revokedAt },
      }),
    ),
  );
  return revoked;
}

function apiKeyFromItem(item: Record<string, unknown>): ApiKeyRecord {
  const { pk: _pk, sk: _sk, gsi2pk: _g, gsi2sk: _s, type: _t, ...record } = item;
  return record as unknown as ApiKeyRecord;
}

function entryFromItem(item: Record<string, unknown>): TenantApiKeyEntry {
  const { pk: _pk, sk: _sk, type: _t, ...entry } = item;
  return entry as unknown as TenantApiKeyEntry;
}

const isEntry = (item: Record<string, unknown>) => String(item.sk).startsWith(keys.tenantApiKeyPrefix);

/**
 * Gives every key of the tenant stored before tenant entries existed its entry (from the byTenant
 * index, so a key made a moment ago by an older version might still be missing), then marks the
 * tenant's index complete. Idempotent; concurrent runs write the same items.
 */
export async function indexLegacyApiKeys(tenantId: string): Promise<void> {
  for (const record of await listApiKeys(tenantId)) {
    await conditionalWrite(
      dynamo().send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...keys.tenantApiKey(tenantId, record.id), type: "tenantApiKey", ...record },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    );
  }
  // Only if absent: a run finishing late must not reset the list version a creation moved on.
  await conditionalWrite(
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.tenantApiKeyIndex(tenantId),
          type: "tenantApiKeyIndex",
          indexedAt: new Date().toISOString(),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    ),
  );
}

/** Every key entry of the tenant (strongly consistent), and whether the index is complete. */
export async function tenantApiKeyEntries(
  tenantId: string,
): Promise<{ entries: TenantApiKeyEntry[]; indexed: boolean; listVersion: number }> {
  const items = await queryAll({
    KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
    ExpressionAttributeValues: {
      ":pk": keys.tenantApiKeyIndex(tenantId).pk,
      ":from": keys.tenantApiKeyIndex(tenantId).sk,
      ":to": "KEY$",
    },
    ConsistentRead: true,
  });
  const marker = items.find((item) => item.sk === keys.tenantApiKeyIndex(tenantId).sk);
  return {
    entries: items.filter(isEntry).map(entryFromItem),
    indexed: marker !== undefined,
    listVersion: typeof marker?.listVersion === "number" ? marker.listVersion : 0,
  };
}

/**
 * One key's entry in the tenant's index, with the index's marker, in one strongly consistent
 * BatchGetItem: another tenant's key and an unknown id cost exactly this same read.
 */
export async function getTenantApiKeyEntry(
  tenantId: string,
  keyId: string,
): Promise<{ entry?: TenantApiKeyEntry; indexed: boolean }> {
  const entryKey = keys.tenantApiKey(tenantId, keyId);
  const markerKey = keys.tenantApiKeyIndex(tenantId);
  const items = await batchGetItems([entryKey, markerKey], { consistent: true });
  const item = items.get(itemId(entryKey));
  return { ...(item ? { entry: entryFromItem(item) } : {}), indexed: items.has(itemId(markerKey)) };
}

export interface TenantApiKeyPage {
  /** Ordered by key id, whichever way the page was read. */
  entries: TenantApiKeyEntry[];
  /** More entries lie beyond the page in the direction it was read. */
  more: boolean;
  /** The cursor's own entry exists (so something lies behind the page); false without a cursor. */
  cursorHeld: boolean;
  /** The index is complete (its marker was read); only known for a first page (no cursor). */
  indexed: boolean;
}

/**
 * A page of the tenant's keys by id, in ONE strongly consistent Query that starts at the cursor's
 * own entry (inclusive) and asks for one more than the page: as store/tenant-reads.ts pages. A
 * first page starts at the index's marker, which says whether the index is complete.
 */
export async function tenantApiKeyPage(
  tenantId: string,
  range: { limit: number; after?: string; before?: string },
): Promise<TenantApiKeyPage> {
  const cursor = range.before ?? range.after;
  const backwards = range.before !== undefined;
  const marker = keys.tenantApiKeyIndex(tenantId);
  const at = (id: string) => keys.tenantApiKey(tenantId, id).sk;
  const bounds =
    cursor === undefined
      ? { from: marker.sk, to: "KEY$" }
      : backwards
        ? { from: marker.sk, to: at(cursor) }
        : { from: at(cursor), to: "KEY$" };
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": marker.pk, ":from": bounds.from, ":to": bounds.to },
      ScanIndexForward: !backwards,
      ConsistentRead: true,
      // The marker or the cursor's entry, the page, and one more.
      Limit: range.limit + 2,
    }),
  );
  const indexed = cursor === undefined && Items[0]?.sk === marker.sk;
  const read = Items.filter(isEntry).map(entryFromItem);
  const cursorHeld = cursor !== undefined && read[0]?.id === cursor;
  const rest = cursorHeld ? read.slice(1) : read;
  const page = rest.slice(0, range.limit);
  return {
    entries: backwards ? page.reverse() : page,
    more: rest.length > range.limit,
    cursorHeld,
    indexed,
  };
}

export type RevocationOutcome =
  /** The key is revoked (now, or it was already: the first time is kept). */
  | "revoked"
  /** The key to keep is revoked or gone: choose another one. */
  | "keptKeyInactive"
  /** The key to revoke is no longer the tenant's (removed from the table by hand). */
  | "targetGone"
  /** Another transaction touched the same keys at the same moment: read again and retry. */
  | "conflict";

/**
 * Revokes `target` only if `keep` (another key of the tenant) is active at that very moment, in
 * one transaction: the target's record and entry get `revokedAt`, and `keep`'s record is checked
 * to exist unrevoked. Two revocations that would together leave no active key cannot both
 * commit: DynamoDB serialises transactions over the same items.
 */
export async function revokeKeepingAnother(
  tenantId: string,
  target: Pick<ApiKeyRecord, "id" | "keyHash">,
  keep: Pick<ApiKeyRecord, "id" | "keyHash">,
): Promise<RevocationOutcome> {
  const TableName = tableName();
  const now = new Date().toISOString();
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName,
              Key: keys.apiKey(target.keyHash),
              UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :now)",
              ConditionExpression: "attribute_exists(pk) AND tenantId = :tenant",
              ExpressionAttributeValues: { ":now": now, ":tenant": tenantId },
            },
          },
          {
            Update: {
              TableName,
              Key: keys.tenantApiKey(tenantId, target.id),
              UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :now)",
              ConditionExpression: "attribute_exists(pk)",
              ExpressionAttributeValues: { ":now": now },
            },
          },
          {
            ConditionCheck: {
              TableName,
              Key: keys.apiKey(keep.keyHash),
              ConditionExpression:
                "attribute_exists(pk) AND tenantId = :tenant AND attribute_not_exists(revokedAt)",
              ExpressionAttributeValues: { ":tenant": tenantId },
            },
          },
        ],
      }),
    );
    return "revoked";
  } catch (error) {
    const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
    if (e.name !== "TransactionCanceledException") throw error;
    const codes = (e.CancellationReasons ?? []).map((reason) => reason.Code ?? "None");
    if (codes[0] === "ConditionalCheckFailed" || codes[1] === "ConditionalCheckFailed") return "targetGone";
    if (codes[2] === "ConditionalCheckFailed") return "keptKeyInactive";
    return "conflict";
  }
}

/**
 * Records that a key was used at `now` (ISO), unless its entry holds a use since `since` already;
 * false when nothing was written (a recent use recorded, or no entry: a key not yet indexed).
 */
export async function recordApiKeyUse(
  tenantId: string,
  keyId: string,
  now: string,
  since: string,
): Promise<boolean> {
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.tenantApiKey(tenantId, keyId),
        UpdateExpression: "SET lastUsedAt = :now",
        ConditionExpression:
          "attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :since)",
        ExpressionAttributeValues: { ":now": now, ":since": since },
      }),
    ),
  );
}
