/**
 * The infrastructure as the installed SST version's own components build it (test/infra/sst/):
 * `sst.config.ts` runs for `dev` and `production` in Pulumi's unit-test mode, and these tests
 * read the AWS resources it registered, by logical name. Nothing reaches AWS; the functions are
 * really built, and their linked resources really sealed into their code.
 *
 * A function added to the app needs its row in EXPECTED_ACCESS (its IAM policy, action by
 * action, and its secrets) and, without a route, its entry in NON_ROUTE_FUNCTIONS.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTableInput } from "../../dev/create-table.ts";
import { METRIC_NAMES } from "../../functions/core/metrics.ts";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../functions/core/service.ts";
import { eventFunctions } from "../../infra/event-functions.ts";
import {
  FUNCTION_SIZING,
  type FunctionSizing,
  memoryMb,
  RECONCILE_SCHEDULE,
  RECONCILER_SIZING,
  timeoutMs,
} from "../../infra/function-sizing.ts";
import { fallbackRoute, routeLogicalName, routes } from "../../infra/routes.ts";
import { ROUTE_THROTTLING } from "../../infra/stage-settings.ts";
import { tableDefinition } from "../../infra/table-definition.ts";
import packageJson from "../../package.json" with { type: "json" };
import { readZip } from "../support/zip.ts";
import { evaluateApp } from "./sst/app.ts";
import { CONFIG, ROOT } from "./sst/platform.ts";
import { ACCOUNT_ID } from "./sst/pulumi-mocks.ts";
import { type RegisteredResource, runStack, type Stack, synthesizeStack } from "./sst/stack.ts";

const run = promisify(execFile);
const REGION = "us-east-1";

/** What `sst secret set` stored for the stages: the four secrets without a placeholder. */
const SECRETS = {
  MetaAppSecret: "app-secret-value",
  MetaVerifyToken: "verify-token-value",
  TokenEncryptionKey: Buffer.alloc(32, 1).toString("base64"),
  AlarmEmail: "oncall@example.com",
};

const USERNAME_SECRETS = ["TokenEncryptionKey", "TokenEncryptionKeyPrevious"];
const RECORDS_STATE = [
  "dynamodb:BatchGetItem",
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
];

/**
 * Every function that authenticates API keys records their last use (auth/key-use.ts): UpdateItem
 * of API key index items only, by partition key (IAM's dynamodb:LeadingKeys).
 */
const KEY_USE = { "Table[APIKEYS#*]": ["dynamodb:UpdateItem"] };
/** Every /v1 function counts its request against the tenant's read limit, on that counter only. */
const READ_COUNT = { "Table[READLIMIT#*]": ["dynamodb:UpdateItem"] };

interface ExpectedAccess {
  /**
   * IAM actions by resource: "Table" is the table's ARN, "Table/index/<name>" an index's,
   * "Table/stream" its stream's; "Table[<partition keys>]" the table's items whose partition key
   * matches one of those (a `dynamodb:LeadingKeys` condition); any other resource by its ARN.
   */
  grants: Record<string, string[]>;
  /** The secrets linked to the function (sealed into its code). */
  secrets: string[];
}

/** One row per function. */
const EXPECTED_ACCESS: Record<string, ExpectedAccess> = {
  GetUsername: {
    grants: { Table: [...RECORDS_STATE, "dynamodb:ConditionCheckItem"].sort(), ...KEY_USE },
    secrets: USERNAME_SECRETS,
  },
  GetUsernameSuggestions: {
    grants: {
      Table: ["dynamodb:BatchGetItem", "dynamodb:GetItem"],
      "Table[RATELIMIT#*,READLIMIT#*]": ["dynamodb:UpdateItem"],
      ...KEY_USE,
    },
    secrets: USERNAME_SECRETS,
  },
  // `method=get` on the POST runs the GET's read (records Meta's state like GetUsername).
  ClaimUsername: {
    grants: { Table: [...RECORDS_STATE, "dynamodb:ConditionCheckItem"].sort(), ...KEY_USE },
    secrets: USERNAME_SECRETS,
  },
  DeleteUsername: { grants: { Table: RECORDS_STATE, ...KEY_USE }, secrets: USERNAME_SECRETS },
  MetaWebhook: {
    grants: { Table: [...RECORDS_STATE, "dynamodb:ConditionCheckItem"].sort() },
    secrets: ["MetaAppSecret", "MetaAppSecretPrevious", "MetaVerifyToken"],
  },
  ReconcilerHandler: {
    grants: {
      Table: [...RECORDS_STATE, "dynamodb:Query"].sort(),
      "Table/index/byDueTime": ["dynamodb:Query"],
      "Table/index/byTenant": ["dynamodb:Query"],
    },
    secrets: USERNAME_SECRETS,
  },
  NotFound: { grants: {}, secrets: [] },
  // The console's page and files (infra/console.ts): no table, no secret.
  Console: { grants: {}, secrets: [] },
  ListPhoneNumbers: {
    grants: {
      Table: ["dynamodb:GetItem"],
      "Table/index/byTenant": ["dynamodb:Query"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: [],
  },
  GetPhoneNumber: { grants: { Table: ["dynamodb:GetItem"], ...KEY_USE, ...READ_COUNT }, secrets: [] },
  ListUsernameHistory: {
    grants: { Table: ["dynamodb:GetItem", "dynamodb:Query"], ...KEY_USE, ...READ_COUNT },
    secrets: [],
  },
  ListUsernameChanges: {
    grants: { Table: ["dynamodb:GetItem", "dynamodb:Query"], ...KEY_USE, ...READ_COUNT },
    secrets: [],
  },
  // Self-service: reads as the read routes; each write only on the items it writes.
  CreateWebhookEndpoint: {
    grants: {
      Table: ["dynamodb:GetItem", "dynamodb:Query"],
      "Table[ENDPOINTS#*,ENDPOINTID#*]": ["dynamodb:PutItem"],
      "Table[ENDPOINTS#*]": ["dynamodb:UpdateItem"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: ["TokenEncryptionKey"],
  },
  ListWebhookEndpoints: {
    grants: { Table: ["dynamodb:GetItem", "dynamodb:Query"], ...KEY_USE, ...READ_COUNT },
    secrets: [],
  },
  GetWebhookEndpoint: { grants: { Table: ["dynamodb:GetItem"], ...KEY_USE, ...READ_COUNT }, secrets: [] },
  UpdateWebhookEndpoint: {
    grants: {
      Table: ["dynamodb:GetItem"],
      "Table[ENDPOINTS#*]": ["dynamodb:UpdateItem"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: [],
  },
  DeleteWebhookEndpoint: {
    grants: {
      Table: ["dynamodb:GetItem"],
      "Table[ENDPOINTS#*,ENDPOINTID#*]": ["dynamodb:DeleteItem"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: [],
  },
  RotateWebhookEndpointSecret: {
    grants: {
      Table: ["dynamodb:GetItem"],
      "Table[ENDPOINTS#*]": ["dynamodb:UpdateItem"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: ["TokenEncryptionKey"],
  },
  ListWebhookDeliveries: {
    grants: {
      Table: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: [],
  },
  RedeliverWebhookEvent: {
    grants: {
      Table: ["dynamodb:GetItem"],
      "Table[DELIVERY#*]": ["dynamodb:UpdateItem"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: [],
  },
  ListApiKeys: {
    grants: {
      Table: ["dynamodb:GetItem", "dynamodb:Query"],
      "Table/index/byTenant": ["dynamodb:Query"],
      // Indexing keys older than the tenant index, and recording a key's use.
      "Table[APIKEYS#*]": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      ...READ_COUNT,
    },
    secrets: [],
  },
  CreateApiKey: {
    grants: {
      Table: ["dynamodb:GetItem", "dynamodb:Query"],
      "Table/index/byTenant": ["dynamodb:Query"],
      "Table[APIKEY#*,APIKEYID#*,APIKEYS#*]": ["dynamodb:PutItem"],
      ...KEY_USE,
      ...READ_COUNT,
    },
    secrets: [],
  },
  RevokeApiKey: {
    grants: {
      Table: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
      "Table/index/byTenant": ["dynamodb:Query"],
      "Table[APIKEY#*,APIKEYS#*]": ["dynamodb:ConditionCheckItem", "dynamodb:UpdateItem"],
      "Table[APIKEYS#*]": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      ...READ_COUNT,
    },
    secrets: [],
  },
  // No table access: the stream records carry the events; they go onto the FIFO feed queue.
  EventSequencer: {
    grants: {
      // SST's stream subscription.
      "Table/stream": [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
      ],
      FeedQueue: ["sqs:SendMessage"],
    },
    secrets: [],
  },
  // The one writer of the feeds: reads anywhere it needs, writes only feed and event items.
  FeedAppender: {
    grants: {
      Table: ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
      "Table[FEED#*,EVENT#*]": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      // SST's queue subscription only: the appender sends nothing back to the feed queue.
      FeedQueue: [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
      ],
      WebhookQueue: ["sqs:SendMessage"],
    },
    secrets: [],
  },
  WebhookDispatcher: {
    grants: {
      Table: [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
      ],
      // SST's queue subscription, and the dispatcher's own retries.
      WebhookQueue: [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
      ],
    },
    secrets: USERNAME_SECRETS,
  },
  WebhookRetrySweepHandler: {
    grants: { "Table/index/byDueTime": ["dynamodb:Query"], WebhookQueue: ["sqs:SendMessage"] },
    secrets: [],
  },
  // GET /health: one GetItem, and no secret: which required secrets are set comes as their
  // names (REQUIRED_SECRETS_SET, resolved at deploy time).
  Health: { grants: { Table: ["dynamodb:GetItem"] }, secrets: [] },
};

/** Every function may send its X-Ray traces (active tracing), and no other action on "*". */
const XRAY_WRITE = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"];

/** The commit sst.config.ts runs at: GET /health reports it (infra/build-info.ts). */
const HEAD = (await run("git", ["rev-parse", "HEAD"], { cwd: ROOT })).stdout.trim();

interface DeclaredFunction {
  /** Entry point relative to the repository root. */
  handler: string;
  sizing: FunctionSizing;
  /** Its own environment variables (SST adds SST_KEY, SST_KEY_FILE and SST_RESOURCE_App). */
  environment: Record<string, unknown>;
}

/** Functions without a route (a schedule, a stream consumer), declared by hand here. */
const NON_ROUTE_FUNCTIONS: Record<string, DeclaredFunction> = {
  ...Object.fromEntries(
    eventFunctions.map((fn) => [
      // A Cron names its function `<name>Handler`; subscribers are named as declaredName() reads them.
      fn.trigger === "schedule" ? `${fn.functionName}Handler` : fn.functionName,
      { handler: fn.handler, sizing: fn.sizing, environment: {} },
    ]),
  ),
  // sst.aws.Cron("Reconciler") names its function ReconcilerHandler.
  ReconcilerHandler: {
    handler: "functions/reconcile/reconciler.ts",
    sizing: RECONCILER_SIZING,
    environment: { DRIFT_SWEEP_INTERVAL_HOURS: "24", META_SYNC_RATE_PER_SECOND: "5" },
  },
};

/** Every function the app must deploy: the route table's and NON_ROUTE_FUNCTIONS. */
const DECLARED = new Map<string, DeclaredFunction>([
  ...[...routes, fallbackRoute].map((route): [string, DeclaredFunction] => [
    route.functionName,
    {
      handler: route.handler,
      sizing: FUNCTION_SIZING[route.audience],
      // The Graph call's budget (infra/api.ts) and the stage's per-tenant limit on calls to Meta
      // (checked per stage in "have their declared environment"); the webhook calls no Meta; the
      // health function reports the build (a commit with uncommitted changes is marked -dirty).
      environment: {
        api: { META_TIMEOUT_MS: "10000" },
        meta: {},
        operator: {
          SERVICE_VERSION: packageJson.version,
          SERVICE_COMMIT: expect.stringMatching(new RegExp(`^${HEAD}(-dirty)?$`)),
          // Which required secrets have a value, resolved at deploy time: names, never values.
          REQUIRED_SECRETS_SET: "MetaAppSecret,MetaVerifyToken,TokenEncryptionKey",
        },
        // The console's function reads its files only.
        console: {},
      }[route.audience],
    },
  ]),
  ...Object.entries(NON_ROUTE_FUNCTIONS),
]);

function declared(name: string): DeclaredFunction {
  const found = DECLARED.get(name);
  if (!found) throw new Error(`${name} is deployed but not declared: a route, or NON_ROUTE_FUNCTIONS`);
  return found;
}

const USERNAME_ROUTES = [
  "GET /meta/whatsapp/{version}/{phone_number_id}/username",
  "GET /meta/whatsapp/{version}/{phone_number_id}/username_suggestions",
  "POST /meta/whatsapp/{version}/{phone_number_id}/username",
  "DELETE /meta/whatsapp/{version}/{phone_number_id}/username",
];
const WEBHOOK_ROUTES = ["GET /meta/whatsapp/webhook", "POST /meta/whatsapp/webhook"];

const RETENTION_DAYS = { dev: 7, production: 90 };

const STAGES = ["dev", "production"] as const;
let stacks: Record<(typeof STAGES)[number], Stack>;

/** The single child of `component` of this type. */
function childOf(stack: Stack, component: RegisteredResource, type: string): RegisteredResource {
  const found = stack.childrenOf(component).filter((r) => r.type === type);
  if (found.length !== 1) throw new Error(`${component.name} has ${found.length} ${type}`);
  return found[0] as RegisteredResource;
}

/**
 * The name a deployed function is declared under. A stream or queue subscription names its
 * function itself: `TableSubscriber<name>Function`, `<queue>Subscriber<hash of its args>Function`.
 */
function declaredName(component: string): string {
  if (/^WebhookQueueSubscriber\w+Function$/.test(component)) return "WebhookDispatcher";
  if (/^FeedQueueSubscriber\w+Function$/.test(component)) return "FeedAppender";
  return /^TableSubscriber(\w+)Function$/.exec(component)?.[1] ?? component;
}

/** Each `sst.aws.Function` with the Lambda, role and log group it created and its build. */
function lambdas(stack: Stack) {
  return stack.result.resources
    .filter((r) => r.type === "sst:aws:Function")
    .map((component) => {
      const fn = childOf(stack, component, "aws:lambda/function:Function");
      return {
        /** As declared (route table, NON_ROUTE_FUNCTIONS); `component` is the SST component's. */
        name: declaredName(component.name),
        component: component.name,
        fn,
        inputs: fn.inputs as unknown as LambdaInputs,
        role: childOf(stack, component, "aws:iam/role:Role"),
        logGroup: childOf(stack, component, "aws:cloudwatch/logGroup:LogGroup"),
        build: stack.build(component.name),
        arn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${String(fn.inputs.name)}`,
      };
    });
}

interface LambdaInputs {
  name: string;
  handler: string;
  runtime: string;
  architectures: string[];
  memorySize: number;
  timeout: number;
  role: string;
  environment: { variables: Record<string, string> };
  loggingConfig: { logFormat: string; logGroup: string };
  tracingConfig?: { mode: string };
}

/** Each API route with its integration, invoke permission and the Lambda it reaches. */
function apiRoutes(stack: Stack) {
  const functions = lambdas(stack);
  return stack.result.resources
    .filter((r) => r.type === "sst:aws:ApiGatewayV2LambdaRoute")
    .map((component) => {
      const route = childOf(stack, component, "aws:apigatewayv2/route:Route");
      const integration = childOf(stack, component, "aws:apigatewayv2/integration:Integration");
      const permission = childOf(stack, component, "aws:lambda/permission:Permission");
      const target = functions.find((f) => f.arn === integration.inputs.integrationUri);
      return { routeKey: String(route.inputs.routeKey), route, integration, permission, target };
    });
}

function tableOf(stack: Stack) {
  const table = stack.get("aws:dynamodb/table:Table", "TableTable");
  return { table, arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/${String(table.inputs.name)}` };
}

/** Days, as SST translated the retention name (a name it does not know gives none). */
function retentionOf(logGroup: RegisteredResource): unknown {
  return logGroup.inputs.retentionInDays;
}

describe("app()", () => {
  it("retains and protects production in the fixed home region", async () => {
    const app = await evaluateApp(CONFIG, "production");
    expect(app).toMatchObject({ name: "whatsapp-usernames", home: "aws", removal: "retain", protect: true });
    expect(app.providers.aws?.region).toBe(REGION);
  });

  it.each(["dev", "staging", "pr-42"])("removes everything of the %s stage", async (stage) => {
    const app = await evaluateApp(CONFIG, stage);
    expect(app).toMatchObject({ name: "whatsapp-usernames", home: "aws", removal: "remove", protect: false });
  });
});

describe("stacks", () => {
  beforeAll(async () => {
    const [dev, production] = await Promise.all(
      STAGES.map((stage) => synthesizeStack(stage, { secrets: SECRETS })),
    );
    stacks = { dev: dev as Stack, production: production as Stack };
  }, 600_000);

  afterAll(async () => {
    await Promise.all(Object.values(stacks ?? {}).map((stack) => stack.dispose()));
  });

  describe.each(STAGES)("%s stack", (stage) => {
    const stack = () => stacks[stage];

    it("outputs the API URL, the webhook URL, the console's URL and the table name; only production is protected", () => {
      const api = stack().get("aws:apigatewayv2/api:Api", "ApiApi");
      const url = `https://${String(api.inputs.name)}.execute-api.${REGION}.amazonaws.com`;
      expect(stack().outputs).toEqual({
        api: url,
        webhookUrl: `${url}/meta/whatsapp/webhook`,
        console: `${url}/console/`,
        table: tableOf(stack()).table.inputs.name,
        _protect: stage === "production",
      });
    });

    it("has one API, one table, the six secrets and one Lambda per declared function", () => {
      const components = (type: string) =>
        stack()
          .result.resources.filter((r) => r.type === type)
          .map((r) => r.name)
          .sort();
      expect(components("sst:aws:ApiGatewayV2")).toEqual(["Api"]);
      expect(components("sst:aws:Dynamo")).toEqual(["Table"]);
      expect(components("sst:sst:Secret")).toEqual([
        "AlarmEmail",
        "MetaAppSecret",
        "MetaAppSecretPrevious",
        "MetaVerifyToken",
        "TokenEncryptionKey",
        "TokenEncryptionKeyPrevious",
      ]);
      expect(components("sst:aws:Function").map(declaredName).sort()).toEqual([...DECLARED.keys()].sort());
      expect(stack().ofType("aws:lambda/function:Function")).toHaveLength(DECLARED.size);
    });

    describe("functions", () => {
      it("run Node 24 on arm64 with their declared memory and timeout", () => {
        for (const { name, inputs } of lambdas(stack())) {
          const { sizing } = declared(name);
          expect(inputs.runtime, name).toBe("nodejs24.x");
          expect(inputs.architectures, name).toEqual(["arm64"]);
          expect(inputs.memorySize, name).toBe(memoryMb(sizing));
          expect(inputs.timeout * 1000, name).toBe(timeoutMs(sizing));
        }
      });

      it("deploy their declared handler file, built, exporting `handler`", () => {
        for (const { name, inputs, build } of lambdas(stack())) {
          const configured = `${declared(name).handler.replace(/\.ts$/, "")}.handler`;
          expect(build.handler, name).toBe(configured);
          expect(build.errors, name).toEqual([]);
          expect(inputs.handler, name).toBe(configured);
          expect(build.exports, name).toContain("handler");
        }
      });

      it("deploy every entry point under functions/", async () => {
        const deployed = new Set(
          lambdas(stack()).map(({ inputs }) => inputs.handler.replace(/\.handler$/, ".ts")),
        );
        const entries = await readdir(join(ROOT, "functions"), { withFileTypes: true, recursive: true });
        const notDeployed: string[] = [];
        for (const entry of entries) {
          if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
          const path = relative(ROOT, join(entry.parentPath, entry.name));
          if (path.startsWith("functions/core/")) continue;
          const module = (await import(join(ROOT, path))) as Record<string, unknown>;
          if ("handler" in module && !deployed.has(path)) notDeployed.push(path);
        }
        expect(deployed.size).toBeGreaterThanOrEqual(6);
        expect(notDeployed).toEqual([]);
      });

      it("have their declared environment and SST's; routed ones fit in API Gateway's 30 s, Graph budget included", () => {
        for (const { name, inputs } of lambdas(stack())) {
          const {
            SST_KEY,
            SST_KEY_FILE,
            SST_RESOURCE_App,
            TENANT_META_LIMIT_PER_MINUTE,
            TENANT_READ_LIMIT_PER_MINUTE,
            API_BASE_URL,
            ...own
          } = inputs.environment.variables;
          expect(own, name).toEqual(declared(name).environment);
          // The stage's own figures (infra/stage-settings.ts), to every function of the API audience.
          const apiAudience = "META_TIMEOUT_MS" in declared(name).environment;
          expect(TENANT_META_LIMIT_PER_MINUTE, name).toBe(
            apiAudience ? String({ dev: 60, production: 120 }[stage]) : undefined,
          );
          expect(TENANT_READ_LIMIT_PER_MINUTE, name).toBe(
            apiAudience ? String({ dev: 300, production: 600 }[stage]) : undefined,
          );
          // The base of the /v1 paging links: the API's own URL, never a request's Host header.
          const apiName = String(stack().get("aws:apigatewayv2/api:Api", "ApiApi").inputs.name);
          expect(API_BASE_URL, name).toBe(
            apiAudience ? `https://${apiName}.execute-api.${REGION}.amazonaws.com` : undefined,
          );
          expect(SST_KEY, name).toMatch(/^[A-Za-z0-9+/]{43}=$/);
          expect(SST_KEY_FILE, name).toBe("resource.enc");
          expect(JSON.parse(SST_RESOURCE_App ?? ""), name).toEqual({ name: "whatsapp-usernames", stage });
        }
        for (const { routeKey, target } of apiRoutes(stack())) {
          // Under API Gateway's 30 s integration cap, so the client always gets our own error.
          expect(target?.inputs.timeout, routeKey).toBeLessThan(30);
        }
        for (const routeKey of USERNAME_ROUTES) {
          const target = apiRoutes(stack()).find((r) => r.routeKey === routeKey)?.target;
          // The Graph budget plus the 1 s config.ts reserves for the key lookup and the writes.
          const graphMs = Number(target?.inputs.environment.variables.META_TIMEOUT_MS);
          expect(graphMs + 1_000, routeKey).toBeLessThan((target?.inputs.timeout ?? 0) * 1_000);
        }
      });

      it("trace every invocation with X-Ray (active tracing)", () => {
        for (const { name, inputs } of lambdas(stack())) {
          expect(inputs.tracingConfig, name).toEqual({ mode: "Active" });
        }
      });

      it(`log JSON to a log group of their own, kept ${RETENTION_DAYS[stage]} days`, () => {
        for (const { name, inputs, logGroup } of lambdas(stack())) {
          expect(inputs.loggingConfig, name).toEqual({ logFormat: "JSON", logGroup: logGroup.inputs.name });
          expect(retentionOf(logGroup), name).toBe(RETENTION_DAYS[stage]);
        }
      });
    });

    it(`keeps every log group, the functions' and the API's, ${RETENTION_DAYS[stage]} days`, () => {
      const logGroups = stack().ofType("aws:cloudwatch/logGroup:LogGroup");
      expect(logGroups.length).toBeGreaterThanOrEqual(lambdas(stack()).length + 1);
      for (const logGroup of logGroups)
        expect(retentionOf(logGroup), logGroup.name).toBe(RETENTION_DAYS[stage]);
    });

    describe("API", () => {
      it("has exactly the route table's routes, a HEAD route per GET route and the $default fallback, each integrated with payload 2.0", () => {
        const found = apiRoutes(stack());
        const keys = found.map((r) => r.routeKey).sort();
        expect(keys).toEqual(expect.arrayContaining([...USERNAME_ROUTES, ...WEBHOOK_ROUTES, "$default"]));
        // An HTTP API answers HEAD only where a route says so: each GET route has its HEAD route.
        const heads = routes.filter((r) => r.method === "GET").map((r) => `HEAD ${r.path}`);
        expect(heads).toContain("HEAD /health");
        expect(keys).toEqual(
          [...routes.map((r) => `${r.method} ${r.path}`), ...heads, fallbackRoute.routeKey].sort(),
        );
        for (const { routeKey, route, integration } of found) {
          expect(integration.inputs, routeKey).toMatchObject({
            integrationType: "AWS_PROXY",
            payloadFormatVersion: "2.0",
          });
          expect(route.inputs.authorizationType, routeKey).toBe("NONE");
          expect(String(route.inputs.target), routeKey).toMatch(
            new RegExp(`^integrations/${integration.name}-`),
          );
        }
      });

      it("sends each route to the function of its entry in the route table, and HEAD to its GET's", () => {
        const found = apiRoutes(stack());
        for (const route of [...routes, { ...fallbackRoute, method: "", path: "" }]) {
          const key = route.method ? `${route.method} ${route.path}` : fallbackRoute.routeKey;
          expect(found.find((r) => r.routeKey === key)?.target?.name, key).toBe(route.functionName);
          if (route.method === "GET") {
            expect(found.find((r) => r.routeKey === `HEAD ${route.path}`)?.target?.name, key).toBe(
              route.functionName,
            );
          }
        }
        // The four username routes have a Lambda each; the webhook's GET and POST share one.
        const targets = (keys: string[]) =>
          new Set(keys.map((k) => found.find((r) => r.routeKey === k)?.target?.name));
        expect(targets(USERNAME_ROUTES).size).toBe(4);
        expect([...targets(WEBHOOK_ROUTES)]).toEqual(["MetaWebhook"]);
      });

      it("gives each self-service route under /v1 a function of its own", () => {
        const selfService = routes.filter((r) => /^\/v1\/(webhook_endpoints|api_keys)/.test(r.path));
        expect(selfService).toHaveLength(11);
        const found = apiRoutes(stack());
        for (const route of selfService) {
          const key = `${route.method} ${route.path}`;
          const target = found.find((r) => r.routeKey === key)?.target?.name;
          // A GET route's function answers its HEAD route too (Graph behaviours).
          expect(
            found
              .filter((r) => r.target?.name === target)
              .map((r) => r.routeKey)
              .sort(),
            key,
          ).toEqual(route.method === "GET" ? [key, `HEAD ${route.path}`].sort() : [key]);
        }
      });

      it("serves GET /health without authentication from its own function", () => {
        const health = apiRoutes(stack()).find((r) => r.routeKey === "GET /health");
        expect(health?.target?.name).toBe("Health");
        expect(health?.route.inputs.authorizationType).toBe("NONE");
        expect(health?.route.inputs.authorizerId).toBeUndefined();
        const served = apiRoutes(stack()).filter((r) => r.target?.name === "Health");
        expect(served.map((r) => r.routeKey).sort()).toEqual(["GET /health", "HEAD /health"]);
      });

      it("gives GET /health's function no secret value: their names only, resolved at deploy time", async () => {
        const health = lambdas(stack()).find((l) => l.name === "Health");
        if (!health?.build.out) throw new Error("Health was not built");
        // No secret linked (so none sealed into its code), none in its environment or its files.
        expect(Object.keys(stack().build(health.component).links)).toEqual(["Table"]);
        const environment = JSON.stringify(health.inputs.environment.variables);
        const files = await readdir(health.build.out, { recursive: true, withFileTypes: true });
        const contents = await Promise.all(
          files.filter((f) => f.isFile()).map((f) => readFile(join(f.parentPath, f.name), "latin1")),
        );
        for (const [secret, value] of Object.entries(SECRETS)) {
          expect(environment, secret).not.toContain(value);
          for (const content of contents) expect(content.includes(value), secret).toBe(false);
        }
        // What it reports: every required secret set, read from the names.
        const seen = await configSeenBy(health.build.out, health.inputs.environment.variables);
        expect(seen.requiredSecretsSet).toEqual({
          MetaAppSecret: true,
          MetaVerifyToken: true,
          TokenEncryptionKey: true,
        });
      });

      it("serves the console from its own function on the API's origin, its built files beside its bundle", async () => {
        const served = apiRoutes(stack()).filter((r) => r.target?.name === "Console");
        expect(served.map((r) => r.routeKey).sort()).toEqual([
          "GET /console",
          "GET /console/assets/{asset}",
          "HEAD /console",
          "HEAD /console/assets/{asset}",
        ]);
        for (const { routeKey, route } of served)
          expect(route.inputs.authorizationType, routeKey).toBe("NONE");
        // The function's package as uploaded: its bundle, and console/dist at the same relative place
        // as in the repository (infra/console.ts copies it; the handler finds it from its own path).
        expect(
          stack().get("aws:s3/bucketObjectv2:BucketObjectv2", "ConsoleCode").inputs.source,
        ).toBeDefined();
        // The archive that object uploads: SST zips it into <work>/artifacts/<function>/code.zip, next
        // to the function's build (<work>/artifacts/<function>-src).
        const out = stack().build("Console").out as string;
        const files = await readZip(join(dirname(out), "Console", "code.zip"));
        expect(files.has("functions/console/serve-console.mjs")).toBe(true);
        const manifest = JSON.parse(String(files.get("console/dist/console-manifest.json"))) as {
          files: Record<string, { encodings: string[] }>;
        };
        expect(Object.keys(manifest.files)).toContain("index.html");
        for (const [file, { encodings }] of Object.entries(manifest.files)) {
          expect(files.has(`console/dist/${file}`), file).toBe(true);
          if (encodings.includes("br")) expect(files.has(`console/dist/${file}.br`), file).toBe(true);
        }
        // The package, unpacked, answers the page as the Lambda would.
        const dir = await mkdtemp(join(tmpdir(), "wau-console-package-"));
        try {
          for (const [name, bytes] of files) {
            await mkdir(dirname(join(dir, name)), { recursive: true });
            await writeFile(join(dir, name), bytes);
          }
          const { handler } = (await import(join(dir, "functions/console/serve-console.mjs"))) as {
            handler: (
              event: unknown,
            ) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
          };
          const page = await handler({
            rawPath: "/console/",
            headers: {},
            requestContext: { requestId: "r", http: { method: "GET" } },
          });
          expect(page.statusCode).toBe(200);
          expect(page.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
          expect(Buffer.from(page.body, "base64").toString()).toContain('<div id="app">');
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });

      it("lets only this API invoke the functions", () => {
        const api = stack().get("aws:apigatewayv2/api:Api", "ApiApi");
        for (const { routeKey, permission, target } of apiRoutes(stack())) {
          expect(permission.inputs, routeKey).toMatchObject({
            action: "lambda:InvokeFunction",
            principal: "apigateway.amazonaws.com",
            function: target?.arn,
            sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${String(api.inputs.name)}/*`,
          });
        }
      });

      it("throttles every route of the stage and has no CORS", () => {
        const apiStage = stack().get("aws:apigatewayv2/stage:Stage", "ApiStage");
        expect(apiStage.inputs.defaultRouteSettings).toEqual({
          throttlingRateLimit: 100,
          throttlingBurstLimit: 200,
          // Per-route metrics, which the route alarms read.
          detailedMetricsEnabled: true,
        });
        // The same figures the local gateway emulates (dev/gateway/throttle.ts).
        expect(ROUTE_THROTTLING).toEqual({ rateLimit: 100, burstLimit: 200 });
        // No route shares another's settings: each route (Meta's webhook included) has a bucket of
        // its own that calls to other routes never draw from.
        expect(apiStage.inputs.routeSettings).toBeUndefined();
        // SST's `cors: false`: a configuration that allows no origin, so API Gateway adds no CORS headers.
        expect(stack().get("aws:apigatewayv2/api:Api", "ApiApi").inputs.corsConfiguration).toEqual({});
      });

      it(`logs every request to SST's log group, kept ${RETENTION_DAYS[stage]} days, without path or query string`, () => {
        const apiStage = stack().get("aws:apigatewayv2/stage:Stage", "ApiStage");
        const accessLog = stack().get("aws:cloudwatch/logGroup:LogGroup", "ApiAccessLog");
        const settings = apiStage.inputs.accessLogSettings as { destinationArn: string; format: string };
        expect(settings.destinationArn).toBe(
          `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${String(accessLog.inputs.name)}`,
        );
        expect(retentionOf(accessLog)).toBe(RETENTION_DAYS[stage]);
        expect(JSON.parse(settings.format)).toBeTypeOf("object");
        const variables = settings.format.match(/\$context\.[\w.]+/g) ?? [];
        for (const needed of ["$context.requestId", "$context.routeKey", "$context.status"]) {
          expect(variables).toContain(needed);
        }
        // Graph clients may send their key as `?access_token=`: no variable that could carry it.
        for (const variable of variables) {
          expect(variable).not.toMatch(/path|query|querystring|authorization|apiKey/i);
        }
      });
    });

    describe("reconciler", () => {
      it("runs every minute, invoked by its EventBridge rule only", () => {
        const rule = stack().get("aws:cloudwatch/eventRule:EventRule", "ReconcilerRule");
        expect(rule?.inputs.scheduleExpression).toBe(RECONCILE_SCHEDULE);
        const reconciler = lambdas(stack()).find((l) => l.name === "ReconcilerHandler");
        const target = stack()
          .ofType("aws:cloudwatch/eventTarget:EventTarget")
          .find((t) => t.inputs.rule === rule.inputs.name);
        expect(target?.inputs).toMatchObject({ rule: rule.inputs.name, arn: reconciler?.arn });
        const invokers = stack()
          .ofType("aws:lambda/permission:Permission")
          .filter((p) => p.inputs.function === reconciler?.arn);
        expect(invokers.map((p) => p.inputs.principal)).toEqual(["events.amazonaws.com"]);
      });
    });

    describe("table", () => {
      it("has the keys, GSIs and billing of the DynamoDB Local table the tests use, and its TTL", () => {
        const { table } = tableOf(stack());
        const inputs = table.inputs as {
          attributes: { name: string; type: string }[];
          hashKey: string;
          rangeKey: string;
          billingMode: string;
          globalSecondaryIndexes: {
            name: string;
            hashKey: string;
            rangeKey: string;
            projectionType: string;
          }[];
          streamEnabled?: boolean;
          streamViewType?: string;
          ttl: { attributeName: string; enabled: boolean };
        };
        const { TableName: _, ...local } = createTableInput("test");
        expect({
          BillingMode: inputs.billingMode,
          AttributeDefinitions: inputs.attributes.map((a) => ({
            AttributeName: a.name,
            AttributeType: a.type,
          })),
          KeySchema: [
            { AttributeName: inputs.hashKey, KeyType: "HASH" },
            { AttributeName: inputs.rangeKey, KeyType: "RANGE" },
          ],
          GlobalSecondaryIndexes: inputs.globalSecondaryIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.hashKey, KeyType: "HASH" },
              { AttributeName: index.rangeKey, KeyType: "RANGE" },
            ],
            Projection: { ProjectionType: index.projectionType },
          })),
          // The change feed's source: new images of written items.
          StreamSpecification: { StreamEnabled: inputs.streamEnabled, StreamViewType: inputs.streamViewType },
        }).toEqual(local);
        expect(inputs.ttl).toEqual({ attributeName: tableDefinition.ttl, enabled: true });
      });

      it("keeps point-in-time recovery on", () => {
        expect(tableOf(stack()).table.inputs.pointInTimeRecovery).toEqual({ enabled: true });
      });

      it(
        stage === "production"
          ? "is protected from deletion and kept when the stage is removed"
          : "goes with the stage",
        () => {
          const { table } = tableOf(stack());
          expect(table.inputs.deletionProtectionEnabled).toBe(stage === "production");
          expect(table.retainOnDelete).toBe(stage === "production");
        },
      );
    });

    describe("alarms", () => {
      const kind = stage === "production" ? "production" : "other";
      const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT_ID}:whatsapp-usernames-${stage}-alarms`;
      const alarms = () => stack().ofType("aws:cloudwatch/metricAlarm:MetricAlarm");
      const alarmNamed = (name: string) => stack().get("aws:cloudwatch/metricAlarm:MetricAlarm", name);

      /** The alarm fires at the threshold or above, notifies the topic, and says when it clears. */
      function expectNotifies(alarm: RegisteredResource, threshold: number) {
        expect(alarm.inputs, alarm.name).toMatchObject({
          name: `whatsapp-usernames-${stage}-${alarm.name}`,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          threshold,
          treatMissingData: "notBreaching",
          alarmActions: [topicArn],
          okActions: [topicArn],
        });
      }

      it("notify one SNS topic, which the AlarmEmail secret's address is subscribed to", () => {
        const [topic, ...others] = stack().ofType("aws:sns/topic:Topic");
        expect(others).toEqual([]);
        expect(topic?.inputs.name).toBe(`whatsapp-usernames-${stage}-alarms`);
        const [subscription, ...more] = stack().ofType("aws:sns/topicSubscription:TopicSubscription");
        expect(more).toEqual([]);
        expect(subscription?.inputs).toMatchObject({
          topic: topicArn,
          protocol: "email",
          endpoint: SECRETS.AlarmEmail,
        });
        for (const alarm of alarms()) {
          expect(alarm.inputs.alarmActions, alarm.name).toEqual([topicArn]);
          expect(alarm.inputs.okActions, alarm.name).toEqual([topicArn]);
        }
      });

      it("one per metric of the service's, on its namespace and dimensions, with the stage's threshold", () => {
        const thresholds: Record<string, Record<"production" | "other", number | null>> = {
          UpstreamUnavailable: { production: 5, other: 20 },
          UpstreamThrottled: { production: 10, other: 50 },
          StorageUnavailable: { production: 1, other: 10 },
          WebhookSignatureInvalid: { production: 5, other: 20 },
          UnknownPhoneNumber: { production: 10, other: 50 },
          UsernameRevoked: { production: 1, other: 5 },
          // Off by default (a per-stage setting): no alarm.
          UsernameChangedOutside: { production: null, other: null },
          DriftDetected: { production: 5, other: 20 },
          IntentReconciled: { production: 20, other: 100 },
          RateLimited: { production: 50, other: 200 },
          EventDeliveryFailed: { production: 50, other: 200 },
          EventDeliveryExhausted: { production: 1, other: 5 },
        };
        expect(Object.keys(thresholds).sort()).toEqual([...METRIC_NAMES].sort());
        for (const metric of METRIC_NAMES) {
          const threshold = thresholds[metric]?.[kind];
          if (threshold === null) {
            expect(
              alarms().map((a) => a.name),
              metric,
            ).not.toContain(metric);
            continue;
          }
          const alarm = alarmNamed(metric);
          expectNotifies(alarm, threshold as number);
          expect(alarm.inputs, metric).toMatchObject({
            namespace: METRICS_NAMESPACE,
            metricName: metric,
            dimensions: { service: SERVICE_NAME, stage },
            statistic: "Sum",
          });
          expect([300, 900, 3600], metric).toContain(alarm.inputs.period);
        }
      });

      it("one on the drift sweep falling behind its interval (a metric the reconciler writes itself)", () => {
        const alarm = alarmNamed("DriftSweepBehind");
        expectNotifies(alarm, { production: 1, other: 30 }[kind]);
        expect(alarm.inputs).toMatchObject({
          namespace: METRICS_NAMESPACE,
          metricName: "DriftSweepBehind",
          dimensions: { service: SERVICE_NAME, stage },
          statistic: "Sum",
          period: 3600,
        });
        expect(String(alarm.inputs.alarmDescription)).toContain('section "DriftSweepBehind"');
      });

      it("per route of the route table: the share of 5xx answers and the p99 latency", () => {
        const apiId = String(stack().get("aws:apigatewayv2/api:Api", "ApiApi").inputs.name);
        const routeAlarms = alarms().filter((a) => /^Api(ServerErrorRate|LatencyP99)/.test(a.name));
        expect(routeAlarms).toHaveLength(2 * routes.length);
        for (const route of routes) {
          const dimensions = { ApiId: apiId, Stage: "$default", Method: route.method, Resource: route.path };
          const suffix = routeLogicalName(route);
          const rate = alarmNamed(`ApiServerErrorRate${suffix}`);
          expectNotifies(rate, { production: 5, other: 25 }[kind]);
          const queries = rate.inputs.metricQueries as {
            id: string;
            expression?: string;
            returnData?: boolean;
            metric?: { namespace: string; metricName: string; dimensions: unknown; stat: string };
          }[];
          expect(queries.map((q) => q.metric?.metricName ?? q.expression)).toEqual([
            "5xx",
            "Count",
            "IF(requests >= 10, 100 * errors / requests, 0)",
          ]);
          for (const query of queries.filter((q) => q.metric)) {
            expect(query.metric, suffix).toMatchObject({
              namespace: "AWS/ApiGateway",
              dimensions,
              stat: "Sum",
            });
          }
          expect(queries.filter((q) => q.returnData).map((q) => q.id)).toEqual(["rate"]);

          const latency = alarmNamed(`ApiLatencyP99${suffix}`);
          const budget =
            route.audience === "meta"
              ? { production: 3_000, other: 5_000 }
              : route.handler.startsWith("functions/username-api/")
                ? { production: 5_000, other: 8_000 }
                : { production: 1_000, other: 2_000 };
          expectNotifies(latency, budget[kind]);
          expect(latency.inputs, suffix).toMatchObject({
            namespace: "AWS/ApiGateway",
            metricName: "Latency",
            dimensions,
            extendedStatistic: "p99",
          });
        }
      });

      it("per deployed function: Lambda's Errors and Throttles", () => {
        const deployed = lambdas(stack());
        const lambdaAlarms = alarms().filter(
          (a) => a.inputs.namespace === "AWS/Lambda" && a.inputs.metricName !== "IteratorAge",
        );
        expect(lambdaAlarms).toHaveLength(2 * deployed.length);
        for (const { name, inputs } of deployed) {
          for (const metricName of ["Errors", "Throttles"]) {
            const found = lambdaAlarms.filter(
              (a) =>
                a.inputs.metricName === metricName &&
                (a.inputs.dimensions as { FunctionName?: string }).FunctionName === inputs.name,
            );
            expect(found, `${name} ${metricName}`).toHaveLength(1);
            expectNotifies(found[0] as RegisteredResource, { production: 1, other: 5 }[kind]);
            expect(found[0]?.inputs.statistic).toBe("Sum");
          }
        }
      });

      it("the table's throttled reads and writes", () => {
        for (const operation of ["Read", "Write"]) {
          const alarm = alarmNamed(`TableThrottled${operation}`);
          expectNotifies(alarm, { production: 1, other: 10 }[kind]);
          expect(alarm.inputs).toMatchObject({
            namespace: "AWS/DynamoDB",
            metricName: `${operation}ThrottleEvents`,
            dimensions: { TableName: tableOf(stack()).table.inputs.name },
            statistic: "Sum",
          });
        }
      });

      it("tenant events: the oldest unsequenced change, the oldest undelivered event, undispatched ones", () => {
        const queueName = (logical: string) =>
          String(stack().get("aws:sqs/queue:Queue", `${logical}Queue`).inputs.name);
        const oldest = alarmNamed("OldestUndeliveredEvent");
        expectNotifies(oldest, { production: 600, other: 1_800 }[kind]);
        expect(oldest.inputs).toMatchObject({
          namespace: "AWS/SQS",
          metricName: "ApproximateAgeOfOldestMessage",
          dimensions: { QueueName: queueName("WebhookQueue") },
          statistic: "Maximum",
        });
        const sequencer = lambdas(stack()).find((f) => f.name === "EventSequencer");
        const unsequenced = alarmNamed("OldestUnsequencedChange");
        expectNotifies(unsequenced, { production: 300_000, other: 1_800_000 }[kind]);
        expect(unsequenced.inputs).toMatchObject({
          namespace: "AWS/Lambda",
          metricName: "IteratorAge",
          dimensions: { FunctionName: sequencer?.inputs.name },
          statistic: "Maximum",
        });
        const dead = alarmNamed("UndispatchedEvents");
        expectNotifies(dead, 1);
        expect(dead.inputs).toMatchObject({
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queueName("WebhookDeadLetterQueue") },
        });
      });

      it("the feed: the oldest unappended event, events in the feed's dead-letter queue", () => {
        const queueName = (logical: string) =>
          String(stack().get("aws:sqs/queue:Queue", `${logical}Queue`).inputs.name);
        const oldest = alarmNamed("OldestUnappendedEvent");
        expectNotifies(oldest, { production: 300, other: 1_800 }[kind]);
        expect(oldest.inputs).toMatchObject({
          namespace: "AWS/SQS",
          metricName: "ApproximateAgeOfOldestMessage",
          dimensions: { QueueName: queueName("FeedQueue") },
          statistic: "Maximum",
        });
        const dead = alarmNamed("UnappendedEvents");
        expectNotifies(dead, 1);
        expect(dead.inputs).toMatchObject({
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queueName("FeedDeadLetterQueue") },
          statistic: "Maximum",
        });
      });

      it("each names its runbook section, and docs/runbook.md has it", async () => {
        const runbook = await readFile(join(ROOT, "docs/runbook.md"), "utf8");
        const headings = new Set([...runbook.matchAll(/^## (.+)$/gm)].map((m) => (m[1] as string).trim()));
        expect(alarms().length).toBeGreaterThan(0);
        for (const alarm of alarms()) {
          const section = /Runbook: docs\/runbook\.md, section "([^"]+)"/.exec(
            String(alarm.inputs.alarmDescription),
          )?.[1];
          expect(section, alarm.name).toBeDefined();
          expect(headings.has(section as string), `${alarm.name}: section ${section}`).toBe(true);
        }
      });
    });

    describe("the event pipeline's queues", () => {
      const queue = (logical: string) => stack().get("aws:sqs/queue:Queue", `${logical}Queue`);
      const mappingOf = (functionName: string) => {
        const fn = lambdas(stack()).find((f) => f.name === functionName);
        const found = stack()
          .ofType("aws:lambda/eventSourceMapping:EventSourceMapping")
          .filter((m) => m.inputs.functionName === fn?.inputs.name || m.inputs.functionName === fn?.arn);
        expect(found, functionName).toHaveLength(1);
        return found[0] as RegisteredResource;
      };

      it("the feed queue is FIFO with our de-duplication ids, and dead-letters after 10 receives into a FIFO queue", () => {
        const feed = queue("FeedQueue").inputs;
        const dead = queue("FeedDeadLetterQueue").inputs;
        expect(feed).toMatchObject({
          fifoQueue: true,
          // The sequencer sets MessageDeduplicationId itself (feed-queue.ts).
          contentBasedDeduplication: false,
          // Six times the appender's 60 s timeout.
          visibilityTimeoutSeconds: 360,
        });
        expect(JSON.parse(String(feed.redrivePolicy))).toEqual({
          deadLetterTargetArn: expect.stringMatching(/-FeedDeadLetterQueueQueue-/),
          maxReceiveCount: 10,
        });
        expect(dead).toMatchObject({ fifoQueue: true, messageRetentionSeconds: 14 * 24 * 3600 });
        // The delivery queue stays a standard queue.
        expect(queue("WebhookQueue").inputs.fifoQueue).toBe(false);
      });

      it("the feed appender takes batches of 10 and reports partial failures; the sequencer reads the stream", () => {
        const appender = mappingOf("FeedAppender").inputs;
        expect(appender).toMatchObject({
          eventSourceArn: expect.stringMatching(/-FeedQueueQueue-/),
          batchSize: 10,
          functionResponseTypes: ["ReportBatchItemFailures"],
        });
        // FIFO: no batching window.
        expect(appender.maximumBatchingWindowInSeconds ?? 0).toBe(0);
        const dispatcher = mappingOf("WebhookDispatcher").inputs;
        expect(dispatcher).toMatchObject({
          eventSourceArn: expect.stringMatching(/-WebhookQueueQueue-/),
          functionResponseTypes: ["ReportBatchItemFailures"],
        });
        const sequencer = mappingOf("EventSequencer").inputs;
        expect(sequencer).toMatchObject({ batchSize: 1000, startingPosition: "TRIM_HORIZON" });
      });
    });

    describe("access", () => {
      it("has a row in EXPECTED_ACCESS for every function, and a function for every row", () => {
        expect(
          lambdas(stack())
            .map((f) => f.name)
            .sort(),
        ).toEqual(Object.keys(EXPECTED_ACCESS).sort());
      });

      it.each(Object.keys(EXPECTED_ACCESS))("%s's role allows exactly its row's actions", (name) => {
        const lambda = lambdas(stack()).find((f) => f.name === name);
        const expected = EXPECTED_ACCESS[name] as ExpectedAccess;
        const { arn: tableArn } = tableOf(stack());
        expect(lambda?.inputs.role).toBe(
          `arn:aws:iam::${ACCOUNT_ID}:role/${String(lambda?.role.inputs.name)}`,
        );
        const inputs = lambda?.role.inputs as {
          inlinePolicies: { name: string; policy: string }[];
          managedPolicyArns: string[];
          assumeRolePolicy: string;
        };
        const grants: Record<string, string[]> = {};
        for (const { policy } of inputs.inlinePolicies) {
          for (const statement of (JSON.parse(policy) as { Statement: IamStatement[] }).Statement) {
            const keys = Object.keys(statement).sort();
            expect(
              keys.filter((key) => key !== "Condition"),
              name,
            ).toEqual(["Action", "Effect", "Resource"]);
            expect(statement.Effect, name).toBe("Allow");
            // The one condition used: the items' partition keys (IAM's dynamodb:LeadingKeys), on the table.
            let scope = "";
            if (statement.Condition) {
              const { "ForAllValues:StringLike": like, ...others } = statement.Condition;
              expect(others, name).toEqual({});
              expect(Object.keys(like ?? {}), name).toEqual(["dynamodb:LeadingKeys"]);
              scope = `[${[like?.["dynamodb:LeadingKeys"] ?? []].flat().join(",")}]`;
              expect([statement.Resource].flat(), name).toEqual([tableArn]);
            }
            for (const resource of [statement.Resource].flat()) {
              // The table, its indexes ("Table/index/<name>") and its stream ("Table/stream"); the
              // delivery queue ("WebhookQueue"), the FIFO feed queue ("FeedQueue").
              const label = resource.startsWith(tableArn)
                ? `Table${resource.slice(tableArn.length).replace(/^\/stream\/.*/, "/stream")}${scope}`
                : /^arn:aws:sqs:.*-WebhookQueueQueue-/.test(resource)
                  ? "WebhookQueue"
                  : /^arn:aws:sqs:.*-FeedQueueQueue-/.test(resource)
                    ? "FeedQueue"
                    : resource;
              grants[label] = [...new Set([...(grants[label] ?? []), ...[statement.Action].flat()])].sort();
            }
          }
        }
        expect(grants).toEqual({ ...expected.grants, "*": XRAY_WRITE });
        // Writing its own logs; nothing else comes from a managed policy.
        expect(inputs.managedPolicyArns).toEqual([
          "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        ]);
        // Only Lambda may assume the role (SST's default also trusts the account, for `sst dev`).
        expect(JSON.parse(inputs.assumeRolePolicy)).toEqual({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } },
          ],
        });
      });

      it.each(Object.keys(EXPECTED_ACCESS))(
        "%s is linked to exactly its secrets, and the table if it uses it",
        (name) => {
          const expected = EXPECTED_ACCESS[name] as ExpectedAccess;
          const usesTable = usesTableItems(expected);
          // Linked (its URL) to a queue it sends to; a queue that only invokes it needs no link.
          const usesQueue = sendsTo(expected, "WebhookQueue");
          const usesFeedQueue = sendsTo(expected, "FeedQueue");
          const lambda = lambdas(stack()).find((f) => f.name === name);
          const links = stack().build(lambda?.component ?? name).links;
          expect(Object.keys(links).sort()).toEqual(
            [
              ...expected.secrets,
              ...(usesTable ? ["Table"] : []),
              ...(usesQueue ? ["WebhookQueue"] : []),
              ...(usesFeedQueue ? ["FeedQueue"] : []),
            ].sort(),
          );
          if (usesQueue) expect(links.WebhookQueue?.type).toBe("sst.aws.Queue");
          if (usesFeedQueue) expect(links.FeedQueue?.type).toBe("sst.aws.Queue");
          if (usesTable) {
            expect(links.Table).toEqual({ name: tableOf(stack()).table.inputs.name, type: "sst.aws.Dynamo" });
          }
          for (const secret of expected.secrets) expect(links[secret]?.type).toBe("sst.sst.Secret");
        },
      );

      it.each(Object.keys(EXPECTED_ACCESS))(
        "%s reads its table name and secrets through Resource from its deployed code",
        async (name) => {
          const lambda = lambdas(stack()).find((f) => f.name === name);
          if (!lambda?.build.out) throw new Error(`${name} was not built`);
          const seen = await configSeenBy(lambda.build.out, lambda.inputs.environment.variables);
          const tableName = tableOf(stack()).table.inputs.name;
          const { secrets } = EXPECTED_ACCESS[name] as ExpectedAccess;
          const notConfigured = { error: "ConfigurationError" };
          const expected = EXPECTED_ACCESS[name] as ExpectedAccess;
          expect(seen.tableName).toEqual(usesTableItems(expected) ? tableName : notConfigured);
          // The feed queue's URL from its link (FEED_QUEUE_URL is for running outside SST).
          if (sendsTo(expected, "FeedQueue")) expect(seen.feedQueueUrl).toMatch(/^https:\/\/sqs\./);
          else expect(seen.feedQueueUrl).toBeUndefined();
          expect(seen.tokenEncryptionKey).toEqual(
            secrets.includes("TokenEncryptionKey") ? SECRETS.TokenEncryptionKey : notConfigured,
          );
          // The optional secrets' empty placeholders read as unset.
          expect(seen.previousTokenEncryptionKey).toBeUndefined();
          expect(seen.metaAppSecrets).toEqual(
            secrets.includes("MetaAppSecret") ? [SECRETS.MetaAppSecret] : { error: "ConfigurationError" },
          );
          expect(seen.metaVerifyToken).toEqual(
            secrets.includes("MetaVerifyToken") ? SECRETS.MetaVerifyToken : notConfigured,
          );
        },
      );
    });
  });
});

/** A function that reads or writes the table's items (linked to it); SST's stream grant alone is not that. */
function usesTableItems(expected: ExpectedAccess): boolean {
  return Object.keys(expected.grants).some((label) => label.startsWith("Table") && label !== "Table/stream");
}

/** A function that sends messages to the queue (linked to it for its URL). */
function sendsTo(expected: ExpectedAccess, queue: "WebhookQueue" | "FeedQueue"): boolean {
  return (expected.grants[queue] ?? []).includes("sqs:SendMessage");
}

interface IamStatement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * What functions/core/config.ts reads in a Lambda with this code and environment: a fresh
 * `node` in the code's directory (Lambda's working directory), where SST's `Resource` opens
 * `resource.enc` with `SST_KEY`.
 */
async function configSeenBy(codeDir: string, environment: Record<string, string>) {
  const script = `
    import { config } from ${JSON.stringify(join(ROOT, "functions/core/config.ts"))};
    const read = (f) => { try { return f(); } catch (e) { return { error: e.name }; } };
    process.stdout.write(JSON.stringify({
      tableName: read(config.tableName),
      feedQueueUrl: read(config.feedQueueUrl),
      tokenEncryptionKey: read(config.tokenEncryptionKey),
      previousTokenEncryptionKey: read(config.previousTokenEncryptionKey),
      metaAppSecrets: read(config.metaAppSecrets),
      metaVerifyToken: read(config.metaVerifyToken),
      requiredSecretsSet: read(config.requiredSecretsSet),
    }));`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    cwd: codeDir,
    env: { PATH: process.env.PATH, ...environment },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("secrets", () => {
  it("a stage does not deploy until its required secrets are set", async () => {
    const { MetaAppSecret: _, ...withoutAppSecret } = SECRETS;
    const { result, dir } = await runStack("dev", { secrets: withoutAppSecret });
    try {
      expect(result.errors.join("\n")).toContain(
        "Set a value for MetaAppSecret with `sst secret set MetaAppSecret <value>`",
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
