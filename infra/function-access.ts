/**
 * What a Lambda may touch, declared with the function itself (its route in infra/routes.ts, or
 * the infra file that defines a function without a route) and turned into its IAM role and
 * links by infra/lambda.ts: exactly the DynamoDB actions its code calls, on the table and only
 * on the indexes it queries, and the secrets it reads. Plain data, no SST import.
 *
 * Actions are IAM's names, which are not always the API's: a TransactWriteItems is authorized
 * item by item (PutItem, UpdateItem, DeleteItem, ConditionCheckItem), a BatchGetItem as
 * BatchGetItem. test/infra/sst-stack.test.ts holds the expected grants of every function.
 */
import type { tableDefinition } from "./table-definition.ts";

/** DynamoDB's IAM actions on a table's items (the ones a function of this service may need). */
export type TableAction =
  | "GetItem"
  | "BatchGetItem"
  | "Query"
  | "PutItem"
  | "UpdateItem"
  | "DeleteItem"
  | "BatchWriteItem"
  | "ConditionCheckItem";

export type TableIndex = keyof typeof tableDefinition.globalIndexes;

/** The SST secrets of infra/secrets.ts; a function reads `Resource.<name>.value`. */
export type SecretName =
  | "MetaAppSecret"
  | "MetaAppSecretPrevious"
  | "MetaVerifyToken"
  | "TokenEncryptionKey"
  | "TokenEncryptionKeyPrevious";

/** SQS's IAM actions on a queue of the service (the delivery queue, the feed queue) that a function may need. */
export type QueueAction = "SendMessage" | "ReceiveMessage" | "DeleteMessage" | "ChangeMessageVisibility";

/**
 * Actions allowed only on items whose partition key matches one of `partitionKeys` (IAM's
 * `dynamodb:LeadingKeys` condition, `*` a wildcard): a function that writes one kind of item gets
 * no write on any other. Transactions are authorized item by item, each against its own key.
 */
export interface ScopedTableGrant {
  actions: readonly TableAction[];
  /** e.g. `APIKEYS#*`: the partition keys of store/keys.ts, with `*` for the id part. */
  partitionKeys: readonly string[];
}

export interface FunctionAccess {
  /** The table (linked: `Resource.Table.name`). Absent: no link and no DynamoDB permission. */
  table?: {
    /** Allowed on the table's items (and Query on its primary key). */
    actions: readonly TableAction[];
    /** Indexes the function queries: `dynamodb:Query` on each of them, no other index. */
    queries?: readonly TableIndex[];
    /** Actions allowed on some items only (by partition key). */
    scoped?: readonly ScopedTableGrant[];
  };
  /** Secrets linked to the function, delivered encrypted inside its bundle. */
  secrets?: readonly SecretName[];
  /**
   * The webhook delivery queue (linked: `Resource.WebhookQueue.url`) and the actions allowed on
   * it. A function the queue invokes also gets what SST's subscription grants to read it.
   */
  webhookQueue?: readonly QueueAction[];
  /**
   * The FIFO feed queue (linked: `Resource.FeedQueue.url`) and the actions allowed on it. The
   * appender it invokes gets what SST's subscription grants to read it.
   */
  feedQueue?: readonly QueueAction[];
}

/**
 * Recording when an API key was last used (functions/core/auth/key-use.ts): an UpdateItem of the
 * key's entry in its tenant's index (`APIKEYS#<t>`), which every function that authenticates API
 * keys does at most once per key per period, and nothing else.
 */
export const API_KEY_USE: ScopedTableGrant = { actions: ["UpdateItem"], partitionKeys: ["APIKEYS#*"] };

/**
 * Counting a `/v1` request against its tenant's read limit (rate-limit/tenant-read-limit.ts): an
 * UpdateItem of the tenant's counter of the minute (`READLIMIT#<t>`), which every `/v1` function
 * does once per request, and nothing else.
 */
export const TENANT_REQUEST_COUNT: ScopedTableGrant = {
  actions: ["UpdateItem"],
  partitionKeys: ["READLIMIT#*"],
};

/**
 * `access` with one more scoped grant, merged into a grant on the same partition keys when there
 * is one. An access without the table is returned as it is (the grant needs the table's link).
 */
export function withScopedGrant(access: FunctionAccess, grant: ScopedTableGrant): FunctionAccess {
  if (!access.table) return access;
  const scoped = access.table.scoped ?? [];
  const same = scoped.find((other) => other.partitionKeys.join() === grant.partitionKeys.join());
  const merged = same
    ? scoped.map((other) =>
        other === same ? { ...other, actions: [...new Set([...other.actions, ...grant.actions])] } : other,
      )
    : [...scoped, grant];
  return { ...access, table: { ...access.table, scoped: merged } };
}

/**
 * The access of a function that authenticates API keys: its own, and the last use of a key
 * (API_KEY_USE). infra/api.ts applies it to every API function with table access.
 */
export function recordingApiKeyUse(access: FunctionAccess): FunctionAccess {
  return withScopedGrant(access, API_KEY_USE);
}

/** The access of a `/v1` function (infra/routes.ts): its own, and its tenant's request counter. */
export function tenantApiAccess(access: FunctionAccess): FunctionAccess {
  return withScopedGrant(access, TENANT_REQUEST_COUNT);
}
