/**
 * The single definition of the service's DynamoDB table. `infra/storage.ts` turns it
 * into an `sst.aws.Dynamo`, and the DynamoDB Local table of tests and `npm start` is
 * created from it (`dev/create-table.ts`), so the two can never drift apart.
 * Plain data: no SST or AWS SDK import.
 */
export const tableDefinition = {
  fields: {
    pk: "string",
    sk: "string",
    gsi1pk: "string",
    gsi1sk: "string",
    gsi2pk: "string",
    gsi2sk: "string",
  },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: {
    /** Intents due for the reconciler (store/intents.ts): `DUE` / due time + phone number id. */
    byDueTime: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: "keys-only" },
    /** API keys and phone numbers by tenant (admin listings). */
    byTenant: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: "all" },
  },
  /** Epoch seconds; DynamoDB deletes expired items (webhook markers, idempotency records). */
  ttl: "expiresAt",
} as const;

export type TableDefinition = typeof tableDefinition;
