/**
 * Idempotency records (see core/idempotency/): one item per tenant + phone number + key. Every
 * write is conditional, so two invocations can never both believe they own a key:
 *  - `acquire` is one conditional put that either creates the in-progress record or hands back
 *    the record that is already there (ReturnValuesOnConditionCheckFailure: no second read);
 *  - `complete` and `release` only act while the record still carries the caller's lock token,
 *    so an invocation whose lease lapsed cannot overwrite the record a retry now owns.
 * DynamoDB's TTL deletes expired items lazily (up to days late), so expiry is also checked here.
 */
import { DeleteCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

export interface IdempotencyScope {
  tenantId: string;
  phoneNumberId: string;
  /** SHA-256 (hex) of the client's key: the key itself is never stored. */
  keyHash: string;
}

export interface StoredResponse {
  statusCode: number;
  body: string;
  /** Response headers replayed with the body (Meta's, e.g. `x-fb-trace-id`); stored as JSON. */
  headers?: Record<string, string>;
}

export type ExistingRecord =
  | { state: "in-progress"; fingerprint: string }
  | { state: "completed"; fingerprint: string; response: StoredResponse };

export type AcquireOutcome = { acquired: true } | { acquired: false; existing: ExistingRecord };

export interface AcquireRequest {
  scope: IdempotencyScope;
  fingerprint: string;
  /** Random per invocation; complete/release must present it. */
  lockToken: string;
  /** Epoch ms after which the owner is surely gone (its Lambda's end) and a retry may take over. */
  lockedUntil: number;
  /** Epoch seconds: the key is forgotten after this (DynamoDB TTL attribute). */
  expiresAt: number;
  requestId: string;
  now: number;
}

export async function acquireIdempotencyRecord(request: AcquireRequest): Promise<AcquireOutcome> {
  const { scope } = request;
  try {
    await dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.idempotencyRecord(scope.tenantId, scope.phoneNumberId, scope.keyHash),
          type: "idempotency",
          state: "in-progress",
          fingerprint: request.fingerprint,
          lockToken: request.lockToken,
          lockedUntil: request.lockedUntil,
          expiresAt: request.expiresAt,
          requestId: request.requestId,
          createdAt: new Date(request.now).toISOString(),
        },
        // Free, expired (TTL not yet swept), or held by an invocation that cannot still be running.
        ConditionExpression:
          "attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#state = :inProgress AND lockedUntil < :now)",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: {
          ":nowSeconds": Math.floor(request.now / 1000),
          ":inProgress": "in-progress",
          ":now": request.now,
        },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    return { acquired: true };
  } catch (error) {
    if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
    const existing = existingRecord((error as { Item?: Record<string, AttributeValue> }).Item);
    // No item back (cannot happen with ALL_OLD, but never guess): treat as a request in flight.
    return {
      acquired: false,
      existing: existing ?? { state: "in-progress", fingerprint: request.fingerprint },
    };
  }
}

/** Stores the final answer; false when the lock was lost meanwhile (nothing written). */
export async function completeIdempotencyRecord(
  scope: IdempotencyScope,
  lockToken: string,
  response: StoredResponse,
): Promise<boolean> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.idempotencyRecord(scope.tenantId, scope.phoneNumberId, scope.keyHash),
        UpdateExpression:
          "SET #state = :completed, statusCode = :status, body = :body, responseHeaders = :headers REMOVE lockToken, lockedUntil",
        ConditionExpression: "lockToken = :token",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: {
          ":completed": "completed",
          ":status": response.statusCode,
          ":body": response.body,
          ":headers": JSON.stringify(response.headers ?? {}),
          ":token": lockToken,
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/** Forgets the key so a retry runs the request afresh; false when the lock was lost meanwhile. */
export async function releaseIdempotencyRecord(scope: IdempotencyScope, lockToken: string): Promise<boolean> {
  try {
    await dynamo().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: keys.idempotencyRecord(scope.tenantId, scope.phoneNumberId, scope.keyHash),
        ConditionExpression: "lockToken = :token",
        ExpressionAttributeValues: { ":token": lockToken },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return false;
    throw error;
  }
}

/** The low-level (marshalled) shape a ConditionalCheckFailedException carries its item in. */
type AttributeValue = { S?: string; N?: string };

function existingRecord(item: Record<string, AttributeValue> | undefined): ExistingRecord | undefined {
  const fingerprint = item?.fingerprint?.S;
  if (!item || fingerprint === undefined) return undefined;
  if (item.state?.S === "completed" && item.statusCode?.N !== undefined && item.body?.S !== undefined) {
    return {
      state: "completed",
      fingerprint,
      response: {
        statusCode: Number(item.statusCode.N),
        body: item.body.S,
        headers: storedHeaders(item.responseHeaders?.S),
      },
    };
  }
  return { state: "in-progress", fingerprint };
}

/** Headers stored with an answer; none for records written before headers were kept. */
function storedHeaders(json: string | undefined): Record<string, string> {
  if (json === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
    );
  } catch {
    return {};
  }
}
