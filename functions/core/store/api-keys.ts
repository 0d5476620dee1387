import { GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { PhoneRecord } from "../username-state/records.ts";
import { batchGetItems, itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";
import { phoneFromItem, queryAll, touchTenant } from "./phones.ts";

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** SHA-256 (hex) of the key: the key itself is never stored. */
  keyHash: string;
  name?: string;
  createdAt: string;
  revokedAt?: string;
}

export async function createApiKeyRecord(record: Omit<ApiKeyRecord, "createdAt">): Promise<ApiKeyRecord> {
  const full: ApiKeyRecord = { ...record, createdAt: new Date().toISOString() };
  const TableName = tableName();
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
      ],
    }),
  );
  await touchTenant(record.tenantId);
  return full;
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

export async function listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
  const items = await queryAll({
    IndexName: "byTenant",
    KeyConditionExpression: "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
    ExpressionAttributeValues: { ":pk": keys.byTenant(tenantId), ":prefix": "KEY#" },
  });
  return items.map(apiKeyFromItem);
}

/** Returns the revoked record, or undefined when no key has that id. Revoking twice keeps the first time. */
export async function revokeApiKey(id: string): Promise<ApiKeyRecord | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.apiKeyId(id), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { Attributes } = await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.apiKey(String(Item.keyHash)),
      UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :now)",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":now": new Date().toISOString() },
      ReturnValues: "ALL_NEW",
    }),
  );
  return Attributes ? apiKeyFromItem(Attributes) : undefined;
}

function apiKeyFromItem(item: Record<string, unknown>): ApiKeyRecord {
  const { pk: _pk, sk: _sk, gsi2pk: _g, gsi2sk: _s, type: _t, ...record } = item;
  return record as unknown as ApiKeyRecord;
}
