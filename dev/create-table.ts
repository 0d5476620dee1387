/** Creates the service table in DynamoDB Local from the one definition infra uses. */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "../infra/table-definition.ts";

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { fields, primaryIndex, globalIndexes } = tableDefinition;
  const AttributeDefinitions: AttributeDefinition[] = Object.entries(fields).map(([AttributeName, type]) => ({
    AttributeName,
    AttributeType: type === "string" ? "S" : "N",
  }));
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions,
    KeySchema: [
      { AttributeName: primaryIndex.hashKey, KeyType: "HASH" },
      { AttributeName: primaryIndex.rangeKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: Object.entries(globalIndexes).map(([IndexName, index]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: index.hashKey, KeyType: "HASH" },
        { AttributeName: index.rangeKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: index.projection === "all" ? "ALL" : "KEYS_ONLY" },
    })),
  };
}

/** Creates the table unless it exists; returns true when it was created. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (error) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
  }
  await client.send(new CreateTableCommand(createTableInput(tableName)));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttl, Enabled: true },
    }),
  );
  return true;
}
