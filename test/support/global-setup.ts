/**
 * Starts one DynamoDB Local (in memory, free port) for the whole test run. Each test file
 * creates its own table in it (test/support/test-table.ts), so files run in parallel safely.
 * Builds the tenant console first when its sources changed (console/build.ts), once, before any
 * file serves it (the console's routes, the browser test, the infra suite's package).
 */
import type { TestProject } from "vitest/node";
import { ensureConsoleBuilt } from "../../console/build.ts";
import { startDynamoDbLocal } from "../../dev/dynamodb-local.ts";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const [dynamo] = await Promise.all([startDynamoDbLocal(), ensureConsoleBuilt()]);
  project.provide("dynamodbEndpoint", dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
