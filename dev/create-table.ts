/**
 * Creates the service table in DynamoDB Local from the one definition infra uses, and brings a
 * table kept from an older checkout (`.data/`) up to it: a missing stream or index is added.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type StreamViewType,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { tableDefinition } from "../infra/table-definition.ts";

/** SST's stream names (`new-image`) as DynamoDB's (`NEW_IMAGE`). */
export const STREAM_VIEW_TYPE = tableDefinition.stream.toUpperCase().replaceAll("-", "_") as StreamViewType;

function attributeDefinitions(): AttributeDefinition[] {
  return Object.entries(tableDefinition.fields).map(([AttributeName, type]) => ({
    AttributeName,
    AttributeType: type === "string" ? "S" : "N",
  }));
}

function globalSecondaryIndexes(): GlobalSecondaryIndex[] {
  return Object.entries(tableDefinition.globalIndexes).map(([IndexName, index]) => ({
    IndexName,
    KeySchema: [
      { AttributeName: index.hashKey, KeyType: "HASH" },
      { AttributeName: index.rangeKey, KeyType: "RANGE" },
    ],
    Projection: { ProjectionType: index.projection === "all" ? "ALL" : "KEYS_ONLY" },
  }));
}

export function createTableInput(tableName: string): CreateTableCommandInput {
  const { primaryIndex } = tableDefinition;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: attributeDefinitions(),
    KeySchema: [
      { AttributeName: primaryIndex.hashKey, KeyType: "HASH" },
      { AttributeName: primaryIndex.rangeKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: globalSecondaryIndexes(),
    StreamSpecification: { StreamEnabled: true, StreamViewType: STREAM_VIEW_TYPE },
  };
}

export interface EnsureTableOptions {
  /**
   * Give the table its stream (default true: the change feed reads it). Test files that run no
   * event pipeline leave it off: DynamoDB Local slows down with every stream record it holds, in
   * any table (measured: writing 2,000 items took 1.5 s into the 1st streamed table, 24 s into
   * the 20th; without streams 0.4 s throughout), and a whole test run writes hundreds of thousands.
   */
  stream?: boolean;
}

/** Creates the table unless it exists (then adds what it lacks); returns true when it was created. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  options: EnsureTableOptions = {},
): Promise<boolean> {
  const stream = options.stream ?? true;
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
  }
  if (existing) {
    await upgradeTable(client, existing, stream);
    return false;
  }
  const input = createTableInput(tableName);
  if (!stream) delete input.StreamSpecification;
  await client.send(new CreateTableCommand(input));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: tableDefinition.ttl, Enabled: true },
    }),
  );
  return true;
}

/** A table made before the change feed existed gets its stream and its new indexes (one per call). */
async function upgradeTable(client: DynamoDBClient, table: TableDescription, stream: boolean): Promise<void> {
  const TableName = table.TableName;
  if (stream && !table.StreamSpecification?.StreamEnabled) {
    await client.send(
      new UpdateTableCommand({
        TableName,
        StreamSpecification: { StreamEnabled: true, StreamViewType: STREAM_VIEW_TYPE },
      }),
    );
  }
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of globalSecondaryIndexes()) {
    if (present.has(index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName,
        AttributeDefinitions: attributeDefinitions(),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
  }
}
