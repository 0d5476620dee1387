/**
 * The cold-start floor: what any Lambda of this service pays at least, the AWS SDK's DynamoDB
 * client constructed once per container, and an answer. Bundled like the real functions.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";

const client = new DynamoDBClient({});

export const handler = async () => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ region: typeof client.config.region }),
});
