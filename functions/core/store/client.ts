/**
 * One DynamoDB document client per container (cold start), reused by every invocation so
 * its keep-alive connections are too. The SDK's own HTTP handler already keeps connections
 * alive with up to 50 sockets, more than the webhook keeps in flight; explicit settings
 * (64 sockets, 16, none) measured no different (docs/benchmarks.md).
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { config } from "../config.ts";

let documentClient: DynamoDBDocumentClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= createDocumentClient();
  return documentClient;
}

/**
 * A document client for the configured store; `overrides` tune the SDK client (the admin CLI
 * asks for short timeouts so an unreachable store fails in seconds, not after long retries).
 */
export function createDocumentClient(overrides: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const endpoint = config.dynamodbEndpoint();
  const client = new DynamoDBClient({
    ...(endpoint
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? "local",
          // DynamoDB Local accepts any credentials; real ones are never needed locally.
          credentials: {
            accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "local",
            secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "local",
          },
        }
      : {}),
    // No call may hang an invocation: an attempt that has not answered in time (5 s) fails
    // (and is retried by the SDK), where the SDK's default would wait as long as the socket lives.
    requestHandler: { requestTimeout: config.dynamodbRequestTimeoutMs(), throwOnRequestTimeout: true },
    ...overrides,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** For tests and tools that swap the client (fault injection, call counting). */
export function setDynamoClient(client: DynamoDBDocumentClient | undefined): void {
  documentClient = client;
}

export function tableName(): string {
  return config.tableName();
}
