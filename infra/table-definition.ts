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
    gsi2pk: "string",
    gsi2sk: "string",
    gsi3pk: "string",
    gsi3sk: "string",
  },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
  globalIndexes: {
    /** API keys, phone numbers and unfinished webhook deliveries by tenant (listings). */
    byTenant: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: "all" },
    /**
     * What is due at a time, sparse (only items waiting carry gsi3pk): webhook deliveries waiting
     * for a retry (`DUE#<shard>`, spread so a burst of failures has no hot key) and numbers the
     * reconciler must look at (`INTENT#DUE`, store/intents.ts).
     */
    byDueTime: { hashKey: "gsi3pk", rangeKey: "gsi3sk", projection: "all" },
  },
  /**
   * The table's change stream: new images of inserted and modified items. The event sequencer
   * reads the history items from it (docs/architecture.md, "Change feed and tenant webhooks").
   */
  stream: "new-image",
  /** Epoch seconds; DynamoDB deletes expired items (webhook markers, idempotency records). */
  ttl: "expiresAt",
} as const;

export type TableDefinition = typeof tableDefinition;
