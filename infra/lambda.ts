/**
 * The arguments of every Lambda of the service, from its declaration: Node 24 on arm64, JSON
 * logs kept for LOG_RETENTION, X-Ray active tracing, its memory and timeout, and exactly the
 * access it declares (infra/function-access.ts) as links and IAM statements. Routes (infra/api.ts) and functions
 * without a route (a schedule, a stream consumer) all take their arguments from here.
 */
import type { FunctionAccess, SecretName } from "./function-access.ts";
import type { FunctionSizing } from "./function-sizing.ts";
import { feedQueue, webhookQueue } from "./queues.ts";
import {
  metaAppSecret,
  metaAppSecretPrevious,
  metaVerifyToken,
  tokenEncryptionKey,
  tokenEncryptionKeyPrevious,
} from "./secrets.ts";
import { table } from "./storage.ts";

/** Function and access logs: long enough to investigate an incident in production, short elsewhere. */
export const LOG_RETENTION = $app.stage === "production" ? "3 months" : "1 week";

export interface LambdaDefinition {
  /** Entry point relative to the repository root; it exports `handler`. */
  handler: string;
  description: string;
  sizing: FunctionSizing;
  access: FunctionAccess;
  environment?: Record<string, $util.Input<string>>;
}

const SECRETS = {
  MetaAppSecret: metaAppSecret,
  MetaAppSecretPrevious: metaAppSecretPrevious,
  MetaVerifyToken: metaVerifyToken,
  TokenEncryptionKey: tokenEncryptionKey,
  TokenEncryptionKeyPrevious: tokenEncryptionKeyPrevious,
} satisfies Record<SecretName, sst.Secret>;

export function lambdaArgs(definition: LambdaDefinition): sst.aws.FunctionArgs {
  const { access } = definition;
  return {
    // SST's handler syntax: the file without its extension, then the export.
    handler: `${definition.handler.replace(/\.ts$/, "")}.handler`,
    description: definition.description,
    runtime: "nodejs24.x",
    architecture: "arm64",
    memory: definition.sizing.memory,
    timeout: definition.sizing.timeout,
    logging: { format: "json", retention: LOG_RETENTION },
    // Linking the table passes only its name (infra/storage.ts); the grants are `permissions`.
    link: [
      ...(access.table ? [table] : []),
      ...(access.secrets ?? []).map((name) => SECRETS[name]),
      ...(access.webhookQueue ? [webhookQueue] : []),
      ...(access.feedQueue ? [feedQueue] : []),
    ],
    permissions: [...tablePermissions(access), ...queuePermissions(access), XRAY_WRITE],
    environment: definition.environment ?? {},
    transform: { role: lambdaOnlyTrust, function: activeTracing },
  };
}

/**
 * X-Ray active tracing: Lambda samples and records each invocation and its AWS SDK calls are
 * linked by the trace header, with no tracer library in the bundle. SST has no argument for it.
 */
function activeTracing(args: aws.lambda.FunctionArgs): undefined {
  args.tracingConfig = { mode: "Active" };
}

/** What Lambda needs to send the traces of active tracing (X-Ray actions take no resource ARN). */
const XRAY_WRITE: sst.aws.FunctionPermissionArgs = {
  actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
  resources: ["*"],
};

/**
 * The declared DynamoDB actions on the table's ARN, Query on each declared index's, and each
 * scoped grant's actions on the table's items of its partition keys only (`dynamodb:LeadingKeys`).
 */
function tablePermissions(access: FunctionAccess): sst.aws.FunctionPermissionArgs[] {
  if (!access.table) return [];
  const { actions, queries = [], scoped = [] } = access.table;
  return [
    ...scoped.map((grant) => ({
      actions: [...new Set(grant.actions)].map((action) => `dynamodb:${action}`),
      resources: [table.arn],
      conditions: [
        {
          test: "ForAllValues:StringLike",
          variable: "dynamodb:LeadingKeys",
          values: [...grant.partitionKeys],
        },
      ],
    })),
    ...(actions.length > 0
      ? [{ actions: [...new Set(actions)].map((action) => `dynamodb:${action}`), resources: [table.arn] }]
      : []),
    ...(queries.length > 0
      ? [
          {
            actions: ["dynamodb:Query"],
            resources: queries.map((index) => $interpolate`${table.arn}/index/${index}`),
          },
        ]
      : []),
  ];
}

/** The declared actions on the webhook delivery queue and on the feed queue, each on its own ARN. */
function queuePermissions(access: FunctionAccess): sst.aws.FunctionPermissionArgs[] {
  return (
    [
      [access.webhookQueue ?? [], webhookQueue.arn],
      [access.feedQueue ?? [], feedQueue.arn],
    ] as const
  ).flatMap(([actions, arn]) =>
    actions.length > 0 ? [{ actions: actions.map((action) => `sqs:${action}`), resources: [arn] }] : [],
  );
}

/**
 * SST's function role also trusts the account itself, for `sst dev`'s live functions, which
 * assume the role from a developer's machine. Deployed stages trust Lambda only, so no other
 * principal of the account can take a function's permissions.
 */
function lambdaOnlyTrust(args: aws.iam.RoleArgs): undefined {
  if ($dev) return;
  args.assumeRolePolicy = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } },
    ],
  });
}
