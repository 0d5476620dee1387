/**
 * Starts one DynamoDB Local (in memory, free port) for the whole test run. Each test file
 * creates its own table in it (test/support/test-table.ts), so files run in parallel safely.
 */
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../dev/dynamodb-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoDbLocal();
  project.provide("dynamodbEndpoint", dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
