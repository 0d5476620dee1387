/**
 * The whole service on one machine, as `npm start` runs it: DynamoDB Local (or a given
 * endpoint), the table, the Meta sandbox (or a given Graph URL) with its webhooks pointed at
 * the local gateway and the store as its source of phone numbers, the gateway itself, the event
 * pipeline (change feed and tenant webhooks, dev/local-events.ts), the reconciler on a timer,
 * the tenant console (built into console/dist when its sources changed, served by the gateway's
 * console routes) and, on an empty store with the sandbox as upstream, the demo tenant. A function returning handles
 * and `stop()`, so tests and benchmarks start the very same stack in-process.
 */
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { buildInfo } from "../infra/build-info.ts";
import { routes } from "../infra/routes.ts";
import { type MetaSandbox, startMetaSandbox } from "../meta-sandbox/index.ts";
import { ensureTable } from "./create-table.ts";
import type { DemoSeed } from "./demo-seed.ts";
import { type DynamoDbLocal, localClient, startDynamoDbLocal } from "./dynamodb-local.ts";
import { enableConcurrentInvocations } from "./gateway/concurrent-invocations.ts";
import { forgetDynamoDbLocal, recordDynamoDbLocal, stopLeftoverDynamoDbLocal } from "./leftover-dynamodb.ts";
import { type LocalConfig, LocalConfigError, resolveLocalConfig } from "./local-config.ts";
import type { LocalEvents } from "./local-events.ts";
import { type LocalGateway, type LocalGatewayOptions, startLocalGateway } from "./local-gateway.ts";
import { isPortFree } from "./port-check.ts";
import { startReconcilerTimer } from "./reconciler-timer.ts";
import { configLines, consoleLines, demoLines, noSeedLines, storedDataLines } from "./start-banner.ts";

/** In the data folder: the running DynamoDB Local's pid and port (dev/leftover-dynamodb.ts). */
export const DYNAMODB_PID_FILE = "dynamodb-local.pid";

export interface LocalStackOptions {
  /** Where configuration is read from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Where dev secrets and DynamoDB Local's data live (default .data/). */
  dataDir?: string;
  /** Startup messages and the banner (default: stdout). */
  print?: (line: string) => void;
  /** Called every ~150 ms while DynamoDB Local starts, with the time waited so far. */
  onWait?: (elapsedMs: number) => void;
  /** The gateway's per-request log (default: stderr). */
  gatewayLog?: LocalGatewayOptions["log"];
  /** Every invocation's Lambda timeout (default: each route's deployed one); tests of order, not speed, raise it. */
  functionTimeoutMs?: LocalGatewayOptions["functionTimeoutMs"];
  /** Seed the demo tenant into an empty store when the sandbox is the upstream (default true). */
  seed?: boolean;
  /** Aborting stops whatever has started and rejects. */
  signal?: AbortSignal;
}

export interface LocalStack {
  url: string;
  config: LocalConfig;
  gateway: LocalGateway;
  /** The stream poller, delivery queue and retry sweep of the change feed and tenant webhooks. */
  events: LocalEvents;
  /** Absent when META_GRAPH_URL names another upstream. */
  sandbox?: MetaSandbox;
  /** Absent when DYNAMODB_ENDPOINT names a running store. */
  dynamodb?: DynamoDbLocal;
  dynamodbEndpoint: string;
  /** The demo key and phone numbers, when this start seeded them. */
  seeded?: DemoSeed;
  /** Stops gateway, sandbox and DynamoDB Local; safe to call more than once. */
  stop(): Promise<void>;
}

/** The path Meta POSTs its webhooks to, from the route table. */
function webhookPath(): string {
  const route = routes.find((r) => r.audience === "meta" && r.method === "POST");
  if (!route) throw new Error("infra/routes.ts has no webhook POST route");
  return route.path;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const { signal } = options;
  const config = resolveLocalConfig(options.env ?? process.env, options.dataDir);

  // Undone in reverse order on stop, and on any failure while starting.
  const cleanups: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    })();
    return stopping;
  };

  try {
    // Before any AWS SDK call (ensureTable below): overlapping invocations keep their own log keys.
    await enableConcurrentInvocations();
    signal?.throwIfAborted();
    if (config.port !== 0 && !(await isPortFree(config.port))) {
      throw new LocalConfigError(
        `port ${config.port} is in use (another npm start?): set PORT to another port`,
      );
    }
    if (config.upstream.kind === "sandbox" && config.upstream.port !== 0) {
      if (!(await isPortFree(config.upstream.port))) {
        throw new LocalConfigError(
          `the Meta sandbox's port ${config.upstream.port} is in use (another npm start?): ` +
            "set META_SANDBOX_PORT to another port",
        );
      }
    }

    // The console's files, built (only when its sources changed) while DynamoDB Local starts.
    const consoleBuild = import("../console/build.ts").then(({ ensureConsoleBuilt }) => ensureConsoleBuilt());
    consoleBuild.catch(() => undefined);

    let dynamodb: DynamoDbLocal | undefined;
    let storage: string;
    if (config.storage.kind === "embedded") {
      const { port, dataPath } = config.storage;
      const pidFile = join(config.dataDir, DYNAMODB_PID_FILE);
      // An earlier npm start killed without stopping its DynamoDB Local (kill -9): stop that one.
      const leftover = await stopLeftoverDynamoDbLocal(pidFile);
      if (leftover !== undefined) {
        print(`stopped the DynamoDB Local an earlier npm start left running (pid ${leftover})`);
      }
      if (!(await isPortFree(port))) {
        throw new LocalConfigError(
          `DynamoDB Local's port ${port} is in use by another program (not one an earlier npm start left: ` +
            `${shown(pidFile)} names none): stop it, or set DYNAMODB_PORT to another port, ` +
            "or DYNAMODB_ENDPOINT to use the DynamoDB running there",
        );
      }
      signal?.throwIfAborted();
      const where = dataPath ? `data in ${shown(dataPath)}` : "in memory";
      print(`starting DynamoDB Local on port ${port} (${where})`);
      const started = performance.now();
      const local = await startDynamoDbLocal({
        port,
        ...(dataPath ? { dataPath } : {}),
        ...(options.onWait ? { onWait: options.onWait } : {}),
        ...(signal ? { signal } : {}),
      });
      dynamodb = local;
      mkdirSync(config.dataDir, { recursive: true });
      if (local.process.pid !== undefined) recordDynamoDbLocal(pidFile, { pid: local.process.pid, port });
      cleanups.push(async () => {
        await local.stop();
        forgetDynamoDbLocal(pidFile);
      });
      print(
        `DynamoDB Local ready in ${((performance.now() - started) / 1000).toFixed(1)} s (pid ${local.process.pid})`,
      );
      if (!local.loopbackOnly) {
        print(
          "warning: DynamoDB Local listens on every network interface: this Java cannot run " +
            "dev/DynamoDbLocalOnLoopback.java (install a JDK 17+, not only a JRE, to keep it on loopback)",
        );
      }
      storage = `DynamoDB Local on port ${port}, ${where}`;
    } else {
      storage = `DYNAMODB_ENDPOINT ${config.storage.endpoint}`;
    }
    const dynamodbEndpoint = dynamodb?.endpoint ?? (config.storage as { endpoint: string }).endpoint;
    signal?.throwIfAborted();

    // What the handlers and the store read, set before any of them is imported below.
    const build = buildInfo();
    Object.assign(process.env, {
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      TABLE_NAME: config.tableName,
      META_APP_SECRET: config.appSecret.value,
      META_VERIFY_TOKEN: config.verifyToken.value,
      TOKEN_ENCRYPTION_KEY: config.encryptionKey.value,
      // What GET /health reports, as infra/api.ts passes it to the deployed function.
      SERVICE_VERSION: build.version,
      SERVICE_COMMIT: build.commit,
    });
    const { dynamo, setDynamoClient } = await import("../functions/core/store/client.ts");
    setDynamoClient(undefined);
    cleanups.push(async () => {
      dynamo().destroy();
      setDynamoClient(undefined);
    });

    const client = localClient(dynamodbEndpoint);
    try {
      if (await ensureTable(client, config.tableName)) print(`created table ${config.tableName}`);
    } finally {
      client.destroy();
    }
    signal?.throwIfAborted();

    let sandbox: MetaSandbox | undefined;
    if (config.upstream.kind === "sandbox") {
      // Numbers registered or changed with the admin CLI while this runs: the sandbox reads them from the store.
      const { storedPhoneSource } = await import("./sandbox-phones.ts");
      const started = await startMetaSandbox({ port: config.upstream.port, phoneSource: storedPhoneSource });
      sandbox = started;
      cleanups.push(() => started.close());
      process.env.META_GRAPH_URL = started.url;
    } else {
      process.env.META_GRAPH_URL = config.upstream.url;
    }

    try {
      const built = await consoleBuild;
      if (built.built) print(`built the console in ${(built.ms / 1000).toFixed(1)} s (console/dist)`);
    } catch (error) {
      // The API works without it; the console's routes answer 503 until `npm run console:build` succeeds.
      print(`warning: the console did not build (${error instanceof Error ? error.message : String(error)})`);
    }
    signal?.throwIfAborted();

    const gateway = await startLocalGateway({
      port: config.port,
      ...(options.gatewayLog !== undefined ? { log: options.gatewayLog } : {}),
      ...(options.functionTimeoutMs !== undefined ? { functionTimeoutMs: options.functionTimeoutMs } : {}),
    });
    cleanups.push(() => gateway.close());
    if (config.reconcileIntervalMs > 0) {
      // What sst.aws.Cron does in AWS: settle unresolved intents, and the drift sweep if enabled.
      const reconciler = startReconcilerTimer(config.reconcileIntervalMs, print);
      cleanups.push(() => reconciler.stop());
    }
    for (const { route, error } of await gateway.warm()) {
      print(`warning: ${route.handler} does not load (${error.message}); its routes answer 500`);
    }
    sandbox?.configureWebhook({
      callbackUrl: `${gateway.url}${webhookPath()}`,
      appSecret: config.appSecret.value,
    });
    signal?.throwIfAborted();

    const { startLocalEvents } = await import("./local-events.ts");
    const events = await startLocalEvents({ dynamodbEndpoint, tableName: config.tableName });
    cleanups.push(() => events.stop());
    print(
      "change feed and tenant webhooks: table stream → sequencer → delivery queue, retry sweep every second",
    );
    signal?.throwIfAborted();

    const upstream = sandbox
      ? `${sandbox.url} (Meta sandbox; control API at ${sandbox.url}/__sandbox, webhooks to ${gateway.url}${webhookPath()})`
      : `${config.upstream.kind === "external" ? config.upstream.url : ""} (from the environment)`;
    for (const line of configLines(config, { url: gateway.url, storage, upstream })) print(line);

    let seeded: DemoSeed | undefined;
    const demo = await import("./demo-seed.ts");
    const targets = { url: gateway.url, ...(sandbox ? { sandboxUrl: sandbox.url } : {}) };
    if (options.seed ?? true) {
      // Demo numbers get made-up tokens that only the sandbox accepts: none for a real upstream.
      const outcome = sandbox ? await demo.seedDemoIfEmpty(sandbox) : { stored: await demo.describeStore() };
      if ("seeded" in outcome) {
        seeded = outcome.seeded;
        for (const line of demoLines(seeded, config, targets)) print(line);
      } else if (outcome.stored.tenants.length > 0) {
        for (const line of storedDataLines(outcome.stored, config, targets)) print(line);
      } else {
        for (const line of noSeedLines(
          config.upstream.kind === "external" ? config.upstream.url : "",
          config,
        )) {
          print(line);
        }
      }
    }
    for (const line of consoleLines(gateway.url)) print(line);
    if (sandbox && !seeded) {
      const { registerStoredPhonesInSandbox } = await import("./sandbox-phones.ts");
      const { registered, unreadable } = await registerStoredPhonesInSandbox(sandbox);
      if (registered > 0) print(`registered ${registered} stored phone number(s) in the Meta sandbox`);
      if (unreadable.length > 0) {
        print(
          `warning: the tokens of ${unreadable.join(", ")} do not decrypt with this TOKEN_ENCRYPTION_KEY; ` +
            "the sandbox does not know them",
        );
      }
    }
    signal?.throwIfAborted();

    return {
      url: gateway.url,
      config,
      gateway,
      events,
      ...(sandbox ? { sandbox } : {}),
      ...(dynamodb ? { dynamodb } : {}),
      dynamodbEndpoint,
      ...(seeded ? { seeded } : {}),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
