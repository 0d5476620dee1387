/**
 * Types for the SST globals that `sst.config.ts` and `infra/*.ts` use. SST generates the full
 * declarations into `.sst/platform/config.d.ts` only when its CLI installs the platform (which
 * needs Pulumi and the network), and the `sst` npm package ships no component types. So this
 * file declares the few globals we use, with the shapes of SST v4's own signatures
 * (`platform/src/components/aws/*.ts`, read from the v4.17 CLI). Keep it to what the code uses.
 *
 * A script file on purpose (no import/export): its declarations are global.
 */

/** Pulumi's `Output<T>`: a value known only during deployment. Our code only passes them on. */
interface SstOutput<T> {
  apply<U>(callback: (value: T) => U): SstOutput<U>;
}

type SstInput<T> = T | Promise<T> | SstOutput<T>;

/** SST's `keyof typeof RETENTION` (platform/src/components/aws/logging.ts), the ones we might use. */
type SstRetention =
  | "1 day"
  | "1 week"
  | "2 weeks"
  | "1 month"
  | "3 months"
  | "6 months"
  | "1 year"
  | "forever";

type SstSize = `${number} MB` | `${number} GB`;
type SstDuration = `${number} second` | `${number} seconds` | `${number} minute` | `${number} minutes`;

/** A component that can be linked to a function (`sst.Linkable`). */
interface SstLinkable {
  readonly urn: SstOutput<string>;
}

interface SstAppInput {
  stage: string;
}

interface SstApp {
  name: string;
  home: "aws" | "cloudflare" | "local";
  removal?: "remove" | "retain" | "retain-all";
  protect?: boolean;
  providers?: Record<string, unknown>;
}

interface SstConfig {
  app(input: SstAppInput): SstApp | Promise<SstApp>;
  run(): Promise<Record<string, unknown> | undefined>;
}

interface SstFunctionArgs {
  handler: SstInput<string>;
  description?: SstInput<string>;
  runtime?: SstInput<"nodejs22.x" | "nodejs24.x">;
  architecture?: SstInput<"x86_64" | "arm64">;
  memory?: SstInput<SstSize>;
  timeout?: SstInput<SstDuration>;
  logging?: SstInput<false | { retention?: SstInput<SstRetention>; format?: SstInput<"text" | "json"> }>;
  link?: SstInput<SstLinkable[]>;
  environment?: SstInput<Record<string, SstInput<string>>>;
}

interface SstFunction extends SstLinkable {
  readonly arn: SstOutput<string>;
  readonly name: SstOutput<string>;
}

/** `Transform<T>` of SST: either args merged over the defaults, or a callback that edits them. */
type SstTransform<T> = Partial<T> | ((args: T, opts: unknown, name: string) => undefined);

/** The parts of Pulumi's `aws.apigatewayv2.StageArgs` we set. */
interface SstApiStageArgs {
  defaultRouteSettings: SstInput<{
    throttlingBurstLimit?: SstInput<number>;
    throttlingRateLimit?: SstInput<number>;
    detailedMetricsEnabled?: SstInput<boolean>;
  }>;
}

interface SstApiGatewayV2Args {
  cors?: SstInput<boolean>;
  accessLog?: SstInput<{ retention?: SstInput<SstRetention> }>;
  transform?: { stage?: SstTransform<SstApiStageArgs> };
}

interface SstApiGatewayV2 extends SstLinkable {
  readonly url: SstOutput<string>;
  /** `rawRoute` is `"METHOD /path"`; the handler is a handler string, function args or a function ARN. */
  route(
    rawRoute: string,
    handler: SstInput<string> | SstFunctionArgs,
    args?: Record<string, unknown>,
  ): unknown;
}

interface SstDynamoArgs {
  fields: SstInput<Record<string, "string" | "number" | "binary">>;
  primaryIndex: SstInput<{ hashKey: SstInput<string>; rangeKey?: SstInput<string> }>;
  globalIndexes?: SstInput<
    Record<
      string,
      SstInput<{
        hashKey: SstInput<string | string[]>;
        rangeKey?: SstInput<string | string[]>;
        projection?: SstInput<"all" | "keys-only" | SstInput<string>[]>;
      }>
    >
  >;
  ttl?: SstInput<string>;
  deletionProtection?: SstInput<boolean>;
  stream?: SstInput<"keys-only" | "new-image" | "old-image" | "new-and-old-images">;
}

/** `DynamoSubscriberArgs`; the event source mapping's transform takes Pulumi's EventSourceMappingArgs. */
interface SstDynamoSubscriberArgs {
  filters?: SstInput<SstInput<Record<string, unknown>>[]>;
  transform?: { eventSourceMapping?: SstTransform<Record<string, unknown>> };
}

interface SstDynamo extends SstLinkable {
  readonly name: SstOutput<string>;
  readonly arn: SstOutput<string>;
  /** v4: the subscriber's name comes first. */
  subscribe(
    name: string,
    subscriber: SstInput<string | SstFunctionArgs>,
    args?: SstDynamoSubscriberArgs,
  ): unknown;
}

interface SstQueueArgs {
  visibilityTimeout?: SstInput<SstDuration>;
  dlq?: SstInput<string | { queue: SstInput<string>; retry: SstInput<number> }>;
  /** Pulumi's `aws.sqs.QueueArgs`. */
  transform?: { queue?: SstTransform<Record<string, unknown>> };
}

interface SstQueueSubscriberArgs {
  batch?: SstInput<{
    size?: SstInput<number>;
    window?: SstInput<SstDuration>;
    partialResponses?: SstInput<boolean>;
  }>;
}

interface SstQueue extends SstLinkable {
  readonly arn: SstOutput<string>;
  readonly url: SstOutput<string>;
  /** One subscriber per queue. */
  subscribe(subscriber: SstInput<string | SstFunctionArgs>, args?: SstQueueSubscriberArgs): unknown;
}

interface SstCronArgs {
  schedule: SstInput<`rate(${string})` | `cron(${string})`>;
  function: SstInput<string | SstFunctionArgs>;
}

interface SstSecret extends SstLinkable {
  readonly name: SstOutput<string>;
  readonly value: SstOutput<string>;
}

declare function $config(input: SstConfig): SstConfig;

declare const $app: {
  readonly name: string;
  readonly stage: string;
};

/** Pulumi's `interpolate`: a template literal over outputs. */
declare function $interpolate(literals: TemplateStringsArray, ...placeholders: unknown[]): SstOutput<string>;

declare const sst: {
  readonly aws: {
    readonly Function: new (name: string, args: SstFunctionArgs) => SstFunction;
    readonly ApiGatewayV2: new (name: string, args?: SstApiGatewayV2Args) => SstApiGatewayV2;
    readonly Dynamo: new (name: string, args: SstDynamoArgs) => SstDynamo;
    readonly Queue: new (name: string, args?: SstQueueArgs) => SstQueue;
    readonly Cron: new (name: string, args: SstCronArgs) => unknown;
  };
  /** `placeholder` is used until `sst secret set` gives the secret a value. */
  readonly Secret: new (
    name: string,
    placeholder?: SstInput<string>,
  ) => SstSecret;
};
