/**
 * The Pulumi program `sst deploy` runs for a stage, bundled as the SST CLI bundles it (sst/sst
 * pkg/project/stack.go and pkg/js/js.go): `sst.config.ts`'s `run()` wrapped by the platform's
 * `src/auto/run.ts`, with `$app`, `$cli` and `$dev` as build-time defines, the platform's shim
 * (`src/shim/run.js`: `$interpolate`, `$transform`, ...) injected, and `sst` and the providers'
 * namespaces (`aws`) imported at the top of every file of the app. Pulumi, the AWS SDK and the
 * other packages SST keeps external are loaded from the platform's `node_modules` at run time,
 * so the bundle must live inside the platform directory.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { build, type Plugin } from "esbuild";
import { SST_ESM_BANNER } from "../../../dev/bundle.ts";
import type { SstApp } from "./app.ts";

/** `$cli` as the CLI defines it for `sst deploy`. */
export interface SstCli {
  command: string;
  dev: boolean;
  paths: { home: string; root: string; work: string; platform: string };
  state: { version: Record<string, number> };
}

/** What the CLI never bundles (pkg/js/js.go). */
const EXTERNAL = [
  "@pulumi/*",
  "undici",
  "@pulumiverse/*",
  "@sst-provider/*",
  "@aws-sdk/*",
  "esbuild",
  "archiver",
  "glob",
  "vite",
];

export interface ProgramInput {
  app: SstApp;
  cli: SstCli;
  /** The app's config file (absolute). */
  config: string;
  /** Provider namespaces the CLI imports into every file: alias and package (`.sst/provider-lock.json`). */
  providers: { alias: string; package: string }[];
  outfile: string;
}

export async function bundleProgram(input: ProgramInput): Promise<void> {
  const platform = input.cli.paths.platform;
  const globals = [
    ...input.providers.map((p) => `import * as ${p.alias} from ${JSON.stringify(p.package)};`),
    `import * as sst from ${JSON.stringify(join(platform, "src/components"))};`,
  ].join("\n");
  const injectGlobals: Plugin = {
    name: "InjectGlobals",
    setup(b) {
      b.onLoad({ filter: /\.(js|ts|jsx|tsx)$/ }, async (args) => {
        const contents = await readFile(args.path, "utf8");
        return {
          // The platform's own files import what they use.
          contents: args.path.includes(".sst") ? contents : `${globals}\n${contents}`,
          loader: "default",
        };
      });
    },
  };
  await build({
    stdin: {
      contents: [
        `import { run } from ${JSON.stringify(join(platform, "src/auto/run.ts"))};`,
        `import mod from ${JSON.stringify(input.config)};`,
        "const result = await run(mod.run);",
        "export default result;",
      ].join("\n"),
      resolveDir: input.cli.paths.root,
      sourcefile: "eval.ts",
      loader: "ts",
    },
    banner: { js: SST_ESM_BANNER },
    mainFields: ["module", "main"],
    format: "esm",
    platform: "node",
    sourcemap: "linked",
    nodePaths: [join(platform, "node_modules")],
    plugins: [injectGlobals],
    external: EXTERNAL,
    define: {
      $app: JSON.stringify(input.app),
      $cli: JSON.stringify(input.cli),
      $dev: JSON.stringify(input.cli.dev),
    },
    inject: [join(platform, "src/shim/run.js")],
    outfile: input.outfile,
    bundle: true,
    logLevel: "silent",
  });
}
