/**
 * A local stand-in for the SST CLI's RPC server (`SST_SERVER`), which SST's components call
 * while a stack runs (platform/src/components/rpc/rpc.ts: JSON-RPC 1.0 over `POST /rpc`):
 *  - `Provider.Aws.Bootstrap`: the stage's bootstrap bucket and registry, which the CLI
 *    would look up in AWS; answered with fixed names;
 *  - `Runtime.Build`: a function's build. Done for real, as the CLI's Node runtime does it
 *    (sst/sst pkg/runtime/node): the handler's file is looked up with the same extensions
 *    ("Handler not found: ..." when there is none) and bundled by dev/bundle.ts, and the linked
 *    resources are encrypted next to it into `resource.enc`, which `Resource` reads in the
 *    Lambda (pkg/runtime/runtime.go). The build's input is recorded for the assertions.
 * Any other method is answered with an error naming it, so a component that starts calling
 * one after an SST upgrade fails at once (README, "Upgrading SST").
 */
import { createCipheriv } from "node:crypto";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, extname, isAbsolute, join, relative } from "node:path";
import type { BuildFailure } from "esbuild";
import { bundleFunction } from "../../../dev/bundle.ts";
import { ACCOUNT_ID } from "./pulumi-mocks.ts";

/** The CLI's Node runtime tries these, in this order (pkg/runtime/node). */
const NODE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/** One function build as SST asked for it and as it came out. */
export interface FunctionBuild {
  functionID: string;
  /** The handler as configured (`functions/x/y.handler`). */
  handler: string;
  runtime: string;
  /** Linked resources by name, with the properties SST encrypts into the bundle. */
  links: Record<string, Record<string, unknown>>;
  /** The handler as deployed, relative to `out`. */
  builtHandler?: string;
  /** The function's code as deployed (the zip's content): the bundle and `resource.enc`. */
  out?: string;
  /** The bundle's exports (esbuild's metafile). */
  exports?: string[];
  errors: string[];
}

interface BuildInput {
  functionID: string;
  handler: string;
  runtime: string;
  links?: Record<string, Record<string, unknown>>;
  /** Base64 AES-256 key of `resource.enc` (the function's `SST_KEY`). */
  encryptionKey?: string;
  bundle?: string;
  isContainer?: boolean;
}

export interface RpcStub {
  url: string;
  builds: FunctionBuild[];
  /** Methods the stub refused. */
  unknownMethods: string[];
  close(): Promise<void>;
}

/** Starts the stub; `root` is the app's root, `work` where builds go (the CLI's `.sst`). */
export async function startRpcStub(root: string, work: string): Promise<RpcStub> {
  const builds: FunctionBuild[] = [];
  const unknownMethods: string[] = [];

  const methods: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
    "Provider.Aws.Bootstrap": async (args) => {
      const region = String(args.region);
      return {
        asset: `sst-asset-${ACCOUNT_ID}-${region}`,
        assetEcrRegistryId: ACCOUNT_ID,
        assetEcrUrl: `${ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com/sst-asset`,
        state: `sst-state-${ACCOUNT_ID}-${region}`,
        appsyncHttp: "",
        appsyncRealtime: "",
      };
    },
    "Runtime.Build": async (args) => build(args as unknown as BuildInput),
  };

  async function build(input: BuildInput) {
    const record: FunctionBuild = {
      functionID: input.functionID,
      handler: input.handler,
      runtime: input.runtime,
      links: input.links ?? {},
      errors: [],
    };
    builds.push(record);
    if (input.bundle || input.isContainer || !input.runtime.startsWith("node")) {
      throw new Error(
        `the RPC stub builds Node functions from a handler only, not ${input.functionID} (${input.runtime})`,
      );
    }
    const file = handlerFile(root, input.handler);
    if (!file) throw new Error(`Handler not found: ${input.handler}`);
    const rel = relative(root, file);
    // As the CLI: the file's path without its extension (dots would confuse Lambda), then the export.
    const base = join(
      dirname(rel),
      rel.slice(dirname(rel).length + 1, -extname(rel).length).replaceAll(".", "-"),
    );
    const out = join(work, "artifacts", `${input.functionID}-src`);
    try {
      const bundle = await bundleFunction(file, join(out, dirname(rel)));
      record.builtHandler = base + extname(input.handler);
      record.exports = Object.values(bundle.metafile.outputs).flatMap((o) => o.exports);
      record.out = out;
      if (input.encryptionKey) await writeResourceFile(out, input.encryptionKey, record.links);
    } catch (error) {
      const failure = error as BuildFailure;
      record.errors = (failure.errors ?? [{ text: String(error) }]).map((e) =>
        e.location ? `${e.text} ${e.location.file}:${e.location.line}:${e.location.column}` : e.text,
      );
    }
    return { handler: record.builtHandler ?? "", out, errors: record.errors, sourcemaps: [] };
  }

  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", async () => {
      let reply: { result?: unknown; error?: string };
      try {
        const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, unknown>] };
        const handle = methods[method];
        if (!handle) {
          unknownMethods.push(method);
          reply = {
            error:
              `the SST RPC stub (test/infra/sst/rpc-stub.ts) does not know ${method}: ` +
              "add what the CLI answers (README, Upgrading SST)",
          };
        } else {
          reply = { result: await handle(params[0] ?? {}) };
        }
      } catch (error) {
        reply = { error: (error as Error).message };
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Only its callers' requests keep the process alive (stack-runner.ts ends when nothing runs).
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    builds,
    unknownMethods,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The links as the CLI seals them: AES-256-GCM, zero nonce, the tag after the ciphertext. */
async function writeResourceFile(out: string, key: string, links: Record<string, unknown>): Promise<void> {
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(key, "base64"), Buffer.alloc(12, 0));
  const sealed = Buffer.concat([
    cipher.update(JSON.stringify(links), "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  await writeFile(join(out, "resource.enc"), sealed);
}

/** The file of `functions/x/y.handler`, tried with each Node extension as the CLI does. */
function handlerFile(root: string, handler: string): string | undefined {
  const dir = dirname(handler);
  const base = handler
    .slice(dir === "." ? 0 : dir.length + 1)
    .split(".")
    .slice(0, -1)
    .join(".");
  for (const ext of NODE_EXTENSIONS) {
    const file = isAbsolute(dir) ? join(dir, base + ext) : join(root, dir, base + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}
