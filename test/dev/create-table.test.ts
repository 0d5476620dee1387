/**
 * The DynamoDB Local table of tests and `npm start`, from infra's one definition: a new table gets
 * the stream and every index; a table kept from an older checkout (`.data/`) gets what it lacks.
 */
import { randomBytes } from "node:crypto";
import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createTableInput, ensureTable } from "../../dev/create-table.ts";
import { localClient } from "../../dev/dynamodb-local.ts";
import { tableDefinition } from "../../infra/table-definition.ts";

describe("ensureTable", () => {
  it("creates the table with the stream and every index, once", async () => {
    const client = localClient(inject("dynamodbEndpoint"));
    const name = `create-${randomBytes(4).toString("hex")}`;
    try {
      expect(await ensureTable(client, name)).toBe(true);
      expect(await ensureTable(client, name)).toBe(false);
      const table = (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
      expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_IMAGE" });
      expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(
        Object.keys(tableDefinition.globalIndexes).sort(),
      );
    } finally {
      client.destroy();
    }
  });

  it("adds the stream and the indexes an older table lacks", async () => {
    const client = localClient(inject("dynamodbEndpoint"));
    const name = `older-${randomBytes(4).toString("hex")}`;
    const older = createTableInput(name);
    delete older.StreamSpecification;
    older.GlobalSecondaryIndexes = older.GlobalSecondaryIndexes?.filter(
      (index) => index.IndexName !== "byDueTime",
    );
    older.AttributeDefinitions = older.AttributeDefinitions?.filter(
      (a) => !a.AttributeName?.startsWith("gsi3"),
    );
    try {
      await client.send(new CreateTableCommand(older));
      expect(await ensureTable(client, name)).toBe(false);
      const table = (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
      expect(table?.StreamSpecification?.StreamEnabled).toBe(true);
      expect(table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toContain("byDueTime");
    } finally {
      client.destroy();
    }
  });
});
