/**
 * Executes sst.config.ts (`app()` and `run()`) against recording fakes of the SST globals:
 * nothing here can reach AWS or run the SST CLI, so this is how the infrastructure is checked.
 * The fakes record what the config asks SST to create; the assertions compare that with the
 * route table, the handler files and the DynamoDB Local table the other tests use.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTableInput } from "../../dev/create-table.ts";
import { fallbackRoute, routes } from "../../infra/routes.ts";
import { tableDefinition } from "../../infra/table-definition.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com";
const ACCOUNT = "123456789012";

type Kind = "Dynamo" | "Secret" | "Function" | "ApiGatewayV2";

interface Recorded {
  kind: Kind;
  name: string;
  args: Record<string, unknown>;
  urn: string;
}

interface RecordedRoute {
  rawRoute: string;
  handler: unknown;
  args: unknown;
}

interface Recording {
  components: Recorded[];
  routes: RecordedRoute[];
}

const GLOBALS = ["$config", "$app", "$interpolate", "sst"] as const;

/** Installs fakes of the SST globals on globalThis; every output is a plain string here. */
function installFakes(stage: string): Recording {
  const recording: Recording = { components: [], routes: [] };
  const record = (kind: Kind, name: string, args: unknown): Recorded => {
    if (recording.components.some((c) => c.name === name))
      throw new Error(`duplicate component name ${name}`);
    const component = {
      kind,
      name,
      args: (args ?? {}) as Record<string, unknown>,
      urn: `urn:sst:${kind}:${name}`,
    };
    recording.components.push(component);
    return component;
  };
  const g = globalThis as Record<string, unknown>;
  g.$config = (input: unknown) => input;
  g.$app = { name: "whatsapp-usernames", stage };
  g.$interpolate = (literals: TemplateStringsArray, ...values: unknown[]) =>
    literals.reduce((out, literal, i) => out + literal + (i < values.length ? String(values[i]) : ""), "");
  g.sst = {
    aws: {
      Dynamo: class {
        readonly urn: string;
        readonly name: string;
        constructor(name: string, args: unknown) {
          this.urn = record("Dynamo", name, args).urn;
          this.name = `whatsapp-usernames-${stage}-${name}`;
        }
      },
      Function: class {
        readonly urn: string;
        readonly arn: string;
        constructor(name: string, args: unknown) {
          this.urn = record("Function", name, args).urn;
          this.arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
        }
      },
      ApiGatewayV2: class {
        readonly urn: string;
        readonly url = API_URL;
        constructor(name: string, args: unknown) {
          this.urn = record("ApiGatewayV2", name, args).urn;
        }
        route(rawRoute: string, handler: unknown, args?: unknown) {
          recording.routes.push({ rawRoute, handler, args });
        }
      },
    },
    Secret: class {
      readonly urn: string;
      constructor(name: string, placeholder?: unknown) {
        this.urn = record("Secret", name, { placeholder }).urn;
      }
    },
  };
  return recording;
}

afterEach(() => {
  for (const name of GLOBALS) delete (globalThis as Record<string, unknown>)[name];
});

/** A fresh evaluation of sst.config.ts and infra/*.ts under the given stage. */
async function loadConfig(stage: string) {
  const recording = installFakes(stage);
  vi.resetModules();
  const { default: config } = (await import("../../sst.config.ts")) as { default: SstConfig };
  const app = await config.app({ stage });
  const outputs = await config.run();
  return { app, outputs, recording, ...views(recording) };
}

interface FunctionView {
  name: string;
  handler: string;
  args: SstFunctionArgs;
  links: string[];
  rawRoutes: string[];
}

function views(recording: Recording) {
  const byUrn = new Map(recording.components.map((c) => [c.urn, c]));
  const functions = recording.components
    .filter((c) => c.kind === "Function")
    .map((c): FunctionView => {
      const args = c.args as unknown as SstFunctionArgs;
      const links = ((args.link ?? []) as unknown as { urn: string }[]).map((l) => {
        const linked = byUrn.get(l.urn);
        if (!linked) throw new Error(`function ${c.name} links something that is not a component`);
        return linked.name;
      });
      const arn = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${c.name}`;
      const rawRoutes = recording.routes.filter((r) => r.handler === arn).map((r) => r.rawRoute);
      return { name: c.name, handler: args.handler as string, args, links, rawRoutes };
    });
  const fnOfRoute = (rawRoute: string) => functions.find((f) => f.rawRoutes.includes(rawRoute));
  const only = (kind: Kind) => recording.components.filter((c) => c.kind === kind);
  return { functions, fnOfRoute, only };
}

/** "functions/username/get-username.handler" -> the file and export SST will load. */
function handlerFile(handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf(".");
  return { file: `${handler.slice(0, dot)}.ts`, exportName: handler.slice(dot + 1) };
}

/** SST's retention names (platform/src/components/aws/logging.ts), in days. */
function retentionDays(retention: string | undefined): number {
  const days: Record<string, number> = {
    "1 day": 1,
    "1 week": 7,
    "2 weeks": 14,
    "1 month": 30,
    "3 months": 90,
    "6 months": 180,
    "1 year": 365,
  };
  const value = days[retention ?? ""];
  if (value === undefined) throw new Error(`unexpected log retention ${String(retention)}`);
  return value;
}

function seconds(duration: unknown): number {
  const match = /^(\d+) seconds?$/.exec(String(duration));
  if (!match) throw new Error(`not a duration in seconds: ${String(duration)}`);
  return Number(match[1]);
}

const USERNAME_ROUTES = [
  "GET /meta/whatsapp/{version}/{phone_number_id}/username",
  "GET /meta/whatsapp/{version}/{phone_number_id}/username_suggestions",
  "POST /meta/whatsapp/{version}/{phone_number_id}/username",
  "DELETE /meta/whatsapp/{version}/{phone_number_id}/username",
];
const WEBHOOK_ROUTES = ["GET /meta/whatsapp/webhook", "POST /meta/whatsapp/webhook"];

describe("app()", () => {
  it("retains and protects production", async () => {
    const { app } = await loadConfig("production");
    expect(app).toMatchObject({ name: "whatsapp-usernames", home: "aws", removal: "retain", protect: true });
    const aws = (app.providers?.aws ?? {}) as { region?: string };
    expect(aws.region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
  });

  it.each(["dev", "staging", "pr-42"])("removes everything of the %s stage", async (stage) => {
    const { app } = await loadConfig(stage);
    expect(app).toMatchObject({ name: "whatsapp-usernames", home: "aws", removal: "remove", protect: false });
  });
});

describe("run()", () => {
  it("returns the API URL, the webhook URL and the table name", async () => {
    const { outputs } = await loadConfig("dev");
    expect(outputs).toEqual({
      api: API_URL,
      webhookUrl: `${API_URL}/meta/whatsapp/webhook`,
      table: "whatsapp-usernames-dev-Table",
    });
  });

  it("creates one API, one table and the four secrets", async () => {
    const { only } = await loadConfig("dev");
    expect(only("ApiGatewayV2").map((c) => c.name)).toEqual(["Api"]);
    expect(only("Dynamo").map((c) => c.name)).toEqual(["Table"]);
    expect(only("Secret").map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "MetaAppSecret",
        "MetaAppSecretPrevious",
        "MetaVerifyToken",
        "TokenEncryptionKey",
      ]),
    );
    expect(only("Secret")).toHaveLength(5);
  });
});

describe("routes", () => {
  it("has exactly the four username routes, the two webhook routes and the $default fallback", async () => {
    const { recording } = await loadConfig("dev");
    const rawRoutes = recording.routes.map((r) => r.rawRoute);
    expect(rawRoutes).toHaveLength(7);
    expect(new Set(rawRoutes)).toEqual(new Set([...USERNAME_ROUTES, ...WEBHOOK_ROUTES, "$default"]));
    expect(new Set(rawRoutes)).toEqual(
      new Set([...routes.map((r) => `${r.method} ${r.path}`), fallbackRoute.routeKey]),
    );
  });

  it("sends every unmatched request to the not-found function, which links nothing", async () => {
    const { fnOfRoute } = await loadConfig("dev");
    const fn = fnOfRoute("$default");
    expect(fn?.name).toBe(fallbackRoute.functionName);
    expect(handlerFile(fn?.handler ?? "").file).toBe(fallbackRoute.handler);
    expect(fn?.links).toEqual([]);
  });

  it("sends each route to the function of its handler file in the route table", async () => {
    const { fnOfRoute } = await loadConfig("dev");
    for (const route of routes) {
      const fn = fnOfRoute(`${route.method} ${route.path}`);
      expect(fn, `${route.method} ${route.path}`).toBeDefined();
      expect(fn?.name).toBe(route.functionName);
      expect(handlerFile(fn?.handler ?? "").file).toBe(route.handler);
    }
  });

  it("gives each username route a Lambda of its own and both webhook routes one shared Lambda", async () => {
    const { functions, fnOfRoute } = await loadConfig("dev");
    const usernameFunctions = new Set(USERNAME_ROUTES.map((r) => fnOfRoute(r)?.name));
    expect(usernameFunctions.size).toBe(4);
    const [get, post] = WEBHOOK_ROUTES.map((r) => fnOfRoute(r));
    expect(get).toBeDefined();
    expect(get).toBe(post);
    expect(get?.rawRoutes.sort()).toEqual([...WEBHOOK_ROUTES].sort());
    expect(functions).toHaveLength(6);
    for (const fn of functions) expect(fn.rawRoutes.length, fn.name).toBeGreaterThan(0);
  });

  it("points every function at a handler file that exists and exports a handler", async () => {
    const { functions } = await loadConfig("dev");
    for (const fn of functions) {
      const { file, exportName } = handlerFile(fn.handler);
      expect(exportName).toBe("handler");
      expect(existsSync(join(ROOT, file)), file).toBe(true);
      const module = (await import(join(ROOT, file))) as Record<string, unknown>;
      expect(typeof module.handler, file).toBe("function");
    }
  });

  it("routes every entry point under functions/", async () => {
    const { functions } = await loadConfig("dev");
    const routed = new Set(functions.map((fn) => handlerFile(fn.handler).file));
    const entryPoints: string[] = [];
    for (const file of await sourceFiles(join(ROOT, "functions"))) {
      const path = relative(ROOT, file);
      if (path.startsWith("functions/core/")) continue;
      const module = (await import(file)) as Record<string, unknown>;
      if ("handler" in module) entryPoints.push(path);
    }
    expect(entryPoints.length).toBeGreaterThanOrEqual(5);
    expect(entryPoints.filter((path) => !routed.has(path))).toEqual([]);
  });
});

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("functions", () => {
  it("links each function to exactly the table and the secrets it reads", async () => {
    const { functions } = await loadConfig("dev");
    for (const fn of functions.filter((f) => f.name !== fallbackRoute.functionName)) {
      const expected = fn.rawRoutes.every((r) => WEBHOOK_ROUTES.includes(r))
        ? ["MetaAppSecret", "MetaAppSecretPrevious", "MetaVerifyToken", "Table"]
        : ["Table", "TokenEncryptionKey", "TokenEncryptionKeyPrevious"];
      expect([...fn.links].sort(), fn.name).toEqual(expected);
    }
  });

  it("runs Node 24 on arm64 with JSON logs kept for a bounded time", async () => {
    const { functions } = await loadConfig("dev");
    for (const fn of functions) {
      expect(fn.args, fn.name).toMatchObject({ runtime: "nodejs24.x", architecture: "arm64" });
      expect(fn.args.logging, fn.name).toMatchObject({ format: "json" });
      const retention = (fn.args.logging as { retention?: string }).retention;
      expect(retention, fn.name).toBeDefined();
      expect(retention, fn.name).not.toBe("forever");
      expect(String(fn.args.memory), fn.name).toMatch(/^\d+ MB$/);
    }
  });

  it("keeps every function inside API Gateway's 30 s cap and the Graph budget inside the username functions", async () => {
    const { functions, fnOfRoute } = await loadConfig("dev");
    for (const fn of functions) expect(seconds(fn.args.timeout), fn.name).toBeLessThan(30);
    for (const rawRoute of USERNAME_ROUTES) {
      const fn = fnOfRoute(rawRoute);
      const env = (fn?.args.environment ?? {}) as Record<string, string>;
      // The code's default when unset (functions/core/config.ts), plus its 1 s reserve for the writes.
      const graphMs = Number(env.META_TIMEOUT_MS ?? 10_000);
      expect(graphMs + 1_000, rawRoute).toBeLessThan(seconds(fn?.args.timeout) * 1_000);
    }
  });

  it("keeps production's logs longer than other stages'", async () => {
    const dev = await loadConfig("dev");
    const prod = await loadConfig("production");
    const days = (fn: FunctionView | undefined) =>
      retentionDays((fn?.args.logging as { retention?: string } | undefined)?.retention);
    expect(days(prod.functions[0])).toBeGreaterThan(days(dev.functions[0]));
  });
});

describe("API", () => {
  it("throttles the stage (burst and rate), logs access and has no CORS", async () => {
    const { only } = await loadConfig("dev");
    const args = only("ApiGatewayV2")[0]?.args as SstApiGatewayV2Args;
    const stage = args.transform?.stage as SstApiStageArgs;
    const settings = stage.defaultRouteSettings as {
      throttlingBurstLimit?: number;
      throttlingRateLimit?: number;
    };
    expect(settings.throttlingRateLimit).toBeGreaterThan(0);
    expect(settings.throttlingBurstLimit).toBeGreaterThanOrEqual(settings.throttlingRateLimit ?? 0);
    expect(args.cors).toBe(false);
    expect((args.accessLog as { retention?: string }).retention).toBeDefined();
  });
});

describe("table", () => {
  /** What SST's Dynamo component creates from its args (platform/src/components/aws/dynamo.ts). */
  function asCreateTable(args: SstDynamoArgs) {
    const fields = args.fields as Record<string, string>;
    const primary = args.primaryIndex as { hashKey: string; rangeKey?: string };
    const keySchema = (hashKey: string, rangeKey?: string) => [
      { AttributeName: hashKey, KeyType: "HASH" },
      ...(rangeKey ? [{ AttributeName: rangeKey, KeyType: "RANGE" }] : []),
    ];
    const indexes = (args.globalIndexes ?? {}) as Record<
      string,
      { hashKey: string; rangeKey?: string; projection?: "all" | "keys-only" | string[] }
    >;
    return {
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: Object.entries(fields).map(([AttributeName, type]) => ({
        AttributeName,
        AttributeType: type === "string" ? "S" : type === "number" ? "N" : "B",
      })),
      KeySchema: keySchema(primary.hashKey, primary.rangeKey),
      GlobalSecondaryIndexes: Object.entries(indexes).map(([IndexName, index]) => ({
        IndexName,
        KeySchema: keySchema(index.hashKey, index.rangeKey),
        Projection: {
          ProjectionType:
            index.projection === "keys-only"
              ? "KEYS_ONLY"
              : Array.isArray(index.projection)
                ? "INCLUDE"
                : "ALL",
        },
      })),
    };
  }

  it("has the key schema, GSIs and TTL of the DynamoDB Local test table", async () => {
    const { only } = await loadConfig("dev");
    const args = only("Dynamo")[0]?.args as unknown as SstDynamoArgs;
    const { TableName: _, ...testTable } = createTableInput("test");
    expect(asCreateTable(args)).toEqual(testTable);
    expect(args.ttl).toBe(tableDefinition.ttl);
    expect(args.ttl).toBe("expiresAt");
  });

  it("guards the production table against deletion", async () => {
    const prod = await loadConfig("production");
    expect(prod.only("Dynamo")[0]?.args.deletionProtection).toBe(true);
    const dev = await loadConfig("dev");
    expect(dev.only("Dynamo")[0]?.args.deletionProtection).toBe(false);
  });
});

/**
 * What functions/core/config.ts makes of SST's link environment: `expression` (over `config`)
 * evaluated in a fresh Node process whose only links are the given secret values.
 */
function configUnderLinks(expression: string, secretValues: Record<string, string>): unknown {
  const links = Object.fromEntries(
    Object.entries(secretValues).map(([name, value]) => [
      `SST_RESOURCE_${name}`,
      JSON.stringify({ type: "sst.sst.Secret", value }),
    ]),
  );
  const output = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { config } from './functions/core/config.ts'; process.stdout.write(JSON.stringify(${expression}))`,
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        SST_RESOURCE_App: JSON.stringify({ name: "whatsapp-usernames", stage: "dev" }),
        ...links,
      },
    },
  );
  return JSON.parse(output);
}

describe("secrets", () => {
  it("lets a stage deploy without the previous app secret, which the functions then ignore", async () => {
    const { only } = await loadConfig("dev");
    const secret = (name: string) => only("Secret").find((c) => c.name === name)?.args.placeholder;
    // Required secrets have no placeholder: SST refuses to deploy until they are set.
    for (const name of ["MetaAppSecret", "MetaVerifyToken", "TokenEncryptionKey"]) {
      expect(secret(name), name).toBeUndefined();
    }
    expect(secret("MetaAppSecretPrevious")).toBe("");

    // How a function sees that placeholder: SST's link environment, read by functions/core/config.ts.
    expect(
      configUnderLinks("config.metaAppSecrets()", {
        MetaAppSecret: "current-secret",
        MetaAppSecretPrevious: "",
      }),
    ).toEqual(["current-secret"]);
  });

  it("reads secret values without the whitespace around them (a newline from `sst secret set X < file`)", () => {
    const read = configUnderLinks(
      "[config.metaAppSecrets(), config.metaVerifyToken(), config.tokenEncryptionKey()]",
      {
        MetaAppSecret: "app-secret\n",
        MetaAppSecretPrevious: "\n",
        MetaVerifyToken: " verify-token\r\n",
        TokenEncryptionKey: "a2V5\n",
      },
    );
    expect(read).toEqual([["app-secret"], "verify-token", "a2V5"]);
  });
});
