/**
 * A tenant's webhook endpoints: one item per endpoint in the tenant's partition (the sequencer
 * reads them all in one strongly consistent Query), and a pointer by endpoint id so operators
 * name an endpoint by its id alone. The signing secret is stored sealed (core/crypto), never in
 * the clear.
 */
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { WebhookEventType } from "../validation/tenant-api.ts";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";
import { failedConditions } from "./transactions.ts";

export interface WebhookEndpoint {
  /** `ep_` + 20 characters. */
  id: string;
  tenantId: string;
  url: string;
  /** The signing secret, sealed with AES-256-GCM (the endpoint id as associated data). */
  secretSealed: string;
  createdAt: string;
  secretRotatedAt?: string;
  /** The secret before the last rotation, sealed like `secretSealed`, while its overlap lasts. */
  previousSecretSealed?: string;
  /** ISO time the previous secret stops signing (the end of the rotation's overlap). */
  previousSecretExpiresAt?: string;
  /** A note for the tenant's own people (the tenant API's `description`). */
  description?: string;
  /** The event types it subscribes to (tenant-webhooks/event-types.ts); absent: `username.updated`. */
  eventTypes?: WebhookEventType[];
}

export class EndpointExistsError extends Error {
  override name = "EndpointExistsError";
}

/**
 * The tenant's endpoint list changed after `expectedVersion` was read (another creation committed
 * first, or raced this one): nothing was written; read the list again and decide again.
 */
export class EndpointListChangedError extends Error {
  override name = "EndpointListChangedError";
}

/** The tenant's endpoints and the version of that list (0: never moved on), from one read. */
export interface EndpointList {
  endpoints: WebhookEndpoint[];
  version: number;
}

function endpointFromItem(item: Record<string, unknown>): WebhookEndpoint {
  const { pk: _pk, sk: _sk, type: _type, ...endpoint } = item;
  return endpoint as unknown as WebhookEndpoint;
}

/**
 * Stores a new endpoint and its id pointer, and moves the tenant's list version on from
 * `expectedVersion` (what `listEndpointsWithVersion` read when the caller checked its limit) in
 * the same transaction: two creations that read the same list cannot both commit, so a limit
 * checked on that list holds whatever runs at the same moment. Throws EndpointListChangedError
 * when the list moved on meanwhile (nothing written), EndpointExistsError when the id is taken.
 */
export async function createEndpoint(endpoint: WebhookEndpoint, expectedVersion: number): Promise<void> {
  const TableName = tableName();
  try {
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: {
                ...keys.endpoint(endpoint.tenantId, endpoint.id),
                type: "webhookEndpoint",
                ...endpoint,
              },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Put: {
              TableName,
              Item: {
                ...keys.endpointId(endpoint.id),
                type: "webhookEndpointId",
                tenantId: endpoint.tenantId,
              },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Update: {
              TableName,
              Key: keys.endpointListVersion(endpoint.tenantId),
              UpdateExpression: "SET version = :next",
              ConditionExpression:
                expectedVersion === 0 ? "attribute_not_exists(version)" : "version = :expected",
              ExpressionAttributeValues: {
                ":next": expectedVersion + 1,
                ...(expectedVersion === 0 ? {} : { ":expected": expectedVersion }),
              },
            },
          },
        ],
      }),
    );
  } catch (error) {
    const failed = failedConditions(error);
    if (failed === undefined) throw error;
    if (failed.has(0) || failed.has(1)) throw new EndpointExistsError(`endpoint ${endpoint.id} exists`);
    // The version's condition, or a transaction on the same items at the same moment.
    throw new EndpointListChangedError(`the endpoints of tenant ${endpoint.tenantId} changed`);
  }
}

/** Every endpoint of the tenant, oldest first (strongly consistent: a new endpoint gets the next event). */
export async function listEndpoints(tenantId: string): Promise<WebhookEndpoint[]> {
  return (await listEndpointsWithVersion(tenantId)).endpoints;
}

/**
 * Every endpoint of the tenant, oldest first, and the list's version, from one strongly
 * consistent Query of the tenant's endpoint partition (at most the endpoint limit's items plus
 * the version item: one page).
 */
export async function listEndpointsWithVersion(tenantId: string): Promise<EndpointList> {
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": keys.endpointsOf(tenantId) },
      ConsistentRead: true,
    }),
  );
  const versionSk = keys.endpointListVersion(tenantId).sk;
  const version = Items.find((item) => item.sk === versionSk)?.version;
  return {
    endpoints: Items.filter((item) => String(item.sk).startsWith(keys.endpointPrefix))
      .map(endpointFromItem)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    version: typeof version === "number" ? version : 0,
  };
}

export async function getEndpoint(
  tenantId: string,
  endpointId: string,
): Promise<WebhookEndpoint | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.endpoint(tenantId, endpointId),
      ConsistentRead: true,
    }),
  );
  return Item ? endpointFromItem(Item) : undefined;
}

/** The endpoint with this id, whichever tenant it belongs to. */
export async function findEndpoint(endpointId: string): Promise<WebhookEndpoint | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.endpointId(endpointId), ConsistentRead: true }),
  );
  return typeof Item?.tenantId === "string" ? getEndpoint(Item.tenantId, endpointId) : undefined;
}

/** Deletes the endpoint and its id pointer; false when there was none. */
export async function removeEndpoint(endpoint: Pick<WebhookEndpoint, "id" | "tenantId">): Promise<boolean> {
  const { Attributes } = await dynamo().send(
    new DeleteCommand({
      TableName: tableName(),
      Key: keys.endpoint(endpoint.tenantId, endpoint.id),
      ReturnValues: "ALL_OLD",
    }),
  );
  await dynamo().send(new DeleteCommand({ TableName: tableName(), Key: keys.endpointId(endpoint.id) }));
  return Attributes !== undefined;
}

/**
 * Stores the same secret sealed under the current key (token key rotation), only if the stored
 * one is still `replacing`; false when it changed meanwhile (a rotation) or the endpoint is gone.
 */
export async function resealEndpointSecret(
  endpoint: Pick<WebhookEndpoint, "id" | "tenantId">,
  secretSealed: string,
  replacing: string,
): Promise<boolean> {
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.endpoint(endpoint.tenantId, endpoint.id),
        UpdateExpression: "SET secretSealed = :secret",
        ConditionExpression: "secretSealed = :replacing",
        ExpressionAttributeValues: { ":secret": secretSealed, ":replacing": replacing },
      }),
    ),
  );
}

/**
 * Replaces the secret (a rotation); with `previous`, keeps that sealed secret and the ISO time
 * its overlap ends, else drops any previous secret; `rotatedAt` (ISO) is recorded as the rotation's
 * time. Undefined when the endpoint no longer exists.
 */
export async function replaceEndpointSecret(
  endpoint: Pick<WebhookEndpoint, "id" | "tenantId">,
  secretSealed: string,
  previous?: { sealed: string; expiresAt: string },
  rotatedAt: string = new Date().toISOString(),
): Promise<WebhookEndpoint | undefined> {
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.endpoint(endpoint.tenantId, endpoint.id),
        UpdateExpression: previous
          ? "SET secretSealed = :secret, secretRotatedAt = :now, previousSecretSealed = :previous, previousSecretExpiresAt = :until"
          : "SET secretSealed = :secret, secretRotatedAt = :now REMOVE previousSecretSealed, previousSecretExpiresAt",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: {
          ":secret": secretSealed,
          ":now": rotatedAt,
          ...(previous ? { ":previous": previous.sealed, ":until": previous.expiresAt } : {}),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes ? endpointFromItem(Attributes) : undefined;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    throw error;
  }
}

/**
 * Removes the previous secret whose overlap ended at `expiresAt` (ISO), only if it is still that
 * one; false when it changed meanwhile (another rotation) or is gone.
 */
export async function dropPreviousSecret(
  endpoint: Pick<WebhookEndpoint, "id" | "tenantId">,
  expiresAt: string,
): Promise<boolean> {
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.endpoint(endpoint.tenantId, endpoint.id),
        UpdateExpression: "REMOVE previousSecretSealed, previousSecretExpiresAt",
        ConditionExpression: "previousSecretExpiresAt = :until",
        ExpressionAttributeValues: { ":until": expiresAt },
      }),
    ),
  );
}

/**
 * Stores the previous secret sealed under the current key (token key rotation), only if the
 * stored one is still `replacing`; false when it changed meanwhile or is gone.
 */
export async function resealPreviousSecret(
  endpoint: Pick<WebhookEndpoint, "id" | "tenantId">,
  secretSealed: string,
  replacing: string,
): Promise<boolean> {
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.endpoint(endpoint.tenantId, endpoint.id),
        UpdateExpression: "SET previousSecretSealed = :secret",
        ConditionExpression: "previousSecretSealed = :replacing",
        ExpressionAttributeValues: { ":secret": secretSealed, ":replacing": replacing },
      }),
    ),
  );
}

/**
 * Sets what the endpoint is: its event types and, when given, its description (an empty string
 * removes it). Returns the endpoint as stored after the change; undefined when it no longer exists.
 */
export async function updateEndpointSettings(
  endpoint: Pick<WebhookEndpoint, "id" | "tenantId">,
  settings: { url?: string; eventTypes?: readonly WebhookEventType[]; description?: string },
): Promise<WebhookEndpoint | undefined> {
  const set: string[] = [];
  const remove: string[] = [];
  const values: Record<string, unknown> = {};
  if (settings.url !== undefined) {
    set.push("#url = :url");
    values[":url"] = settings.url;
  }
  if (settings.eventTypes) {
    set.push("eventTypes = :types");
    values[":types"] = [...settings.eventTypes];
  }
  if (settings.description !== undefined) {
    if (settings.description === "") remove.push("description");
    else {
      set.push("description = :description");
      values[":description"] = settings.description;
    }
  }
  const expression = [
    set.length ? `SET ${set.join(", ")}` : "",
    remove.length ? `REMOVE ${remove.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.endpoint(endpoint.tenantId, endpoint.id),
        UpdateExpression: expression || "SET pk = pk",
        ConditionExpression: "attribute_exists(pk)",
        ...(settings.url !== undefined ? { ExpressionAttributeNames: { "#url": "url" } } : {}),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes ? endpointFromItem(Attributes) : undefined;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    throw error;
  }
}
