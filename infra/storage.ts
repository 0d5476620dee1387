/**
 * The service's one DynamoDB table, from the same definition the DynamoDB Local table of tests
 * and `npm start` is created from (`dev/create-table.ts`). SST's Dynamo component bills per
 * request and turns point-in-time recovery on.
 */
import { tableDefinition } from "./table-definition.ts";

const { fields, primaryIndex, globalIndexes, ttl, stream } = tableDefinition;

export const table = new sst.aws.Dynamo("Table", {
  fields,
  primaryIndex,
  // The definition's projection names ("all") are SST's own, so the indexes pass through as they are.
  globalIndexes,
  ttl,
  // The event sequencer's source (infra/events.ts).
  stream,
  // `protect` stops `sst` from deleting it; this also stops a click in the console.
  deletionProtection: $app.stage === "production",
});
