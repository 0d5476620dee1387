/**
 * The service's one DynamoDB table, from the same definition the DynamoDB Local table of tests
 * and `npm start` is created from (`dev/create-table.ts`). SST's Dynamo component bills per
 * request and turns point-in-time recovery on.
 */
import { tableDefinition } from "./table-definition.ts";

const { fields, primaryIndex, globalIndexes, ttl, stream } = tableDefinition;

// Linking the table gives a function its name (`Resource.Table.name`) and no permission: SST's
// own link would grant `dynamodb:*` on the table and every index. Each function gets exactly
// the actions it declares instead (infra/function-access.ts, infra/lambda.ts).
sst.Linkable.wrap(sst.aws.Dynamo, (linked) => ({ properties: { name: linked.name } }));

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
