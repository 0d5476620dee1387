/**
 * A fresh table per test file in the run's DynamoDB Local, created from the same definition as
 * infra's, and the environment the service reads pointed at it. Without a stream unless the file
 * asks for one (its event pipeline reads it): streams slow DynamoDB Local for every file after
 * (dev/create-table.ts, EnsureTableOptions).
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { type EnsureTableOptions, ensureTable } from "../../dev/create-table.ts";
import { localClient } from "../../dev/dynamodb-local.ts";
import { setDynamoClient } from "../../functions/core/store/client.ts";

export async function useTestTable(
  options: EnsureTableOptions = {},
): Promise<{ tableName: string; endpoint: string }> {
  const endpoint = inject("dynamodbEndpoint");
  const tableName = `test-${randomBytes(6).toString("hex")}`;
  process.env.DYNAMODB_ENDPOINT = endpoint;
  process.env.TABLE_NAME = tableName;
  process.env.TOKEN_ENCRYPTION_KEY ??= randomBytes(32).toString("base64");
  setDynamoClient(undefined);
  const client = localClient(endpoint);
  await ensureTable(client, tableName, { stream: options.stream ?? false });
  client.destroy();
  return { tableName, endpoint };
}
