/**
 * `app()` of `sst.config.ts`, evaluated the way the SST CLI evaluates it before anything else
 * (sst/sst pkg/project/project.go): bundled with `$config` as the identity function, run by a
 * plain `node`, its JSON read back and completed with the CLI's defaults. The result is the
 * `$app` every component sees.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { SST_ESM_BANNER } from "../../../dev/bundle.ts";

const run = promisify(execFile);

/** `$app`: what `app()` returned, with the stage and the CLI's defaults. */
export interface SstApp {
  name: string;
  stage: string;
  home: string;
  /** Defaults to "retain", as in the CLI. */
  removal: "remove" | "retain" | "retain-all";
  protect: boolean;
  /** Each provider's arguments; `true` and a bare version string are expanded as the CLI does. */
  providers: Record<string, Record<string, unknown>>;
  version?: string;
}

/** Evaluates `app({ stage })` of the config file `config` (an absolute path). */
export async function evaluateApp(config: string, stage: string): Promise<SstApp> {
  const dir = await mkdtemp(join(tmpdir(), "sst-app-"));
  try {
    const outfile = join(dir, "app.mjs");
    await build({
      stdin: {
        contents: [
          `import mod from ${JSON.stringify(config)};`,
          `console.log("~j" + JSON.stringify(await mod.app({ stage: ${JSON.stringify(stage)} })));`,
        ].join("\n"),
        resolveDir: dir,
        sourcefile: "eval.ts",
        loader: "ts",
      },
      banner: { js: `${SST_ESM_BANNER}\nfunction $config(input) { return input }` },
      bundle: true,
      platform: "node",
      format: "esm",
      mainFields: ["module", "main"],
      outfile,
      logLevel: "silent",
    });
    const { stdout } = await run(process.execPath, ["--no-warnings", outfile], { cwd: dir });
    const line = stdout.split("\n").find((l) => l.startsWith("~j"));
    if (!line) throw new Error(`app() of ${config} printed no configuration:\n${stdout}`);
    return completeApp(JSON.parse(line.slice(2)), stage);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The CLI's checks and defaults for what `app()` returned. */
function completeApp(
  raw: Omit<Partial<SstApp>, "providers"> & { providers?: Record<string, unknown> },
  stage: string,
): SstApp {
  if (!raw.name) throw new Error("app() returned no name");
  if (!raw.home) throw new Error('app() returned no "home" provider');
  const providers: Record<string, Record<string, unknown>> = {};
  for (const [name, args] of Object.entries(raw.providers ?? {})) {
    if (args === true) providers[name] = {};
    else if (typeof args === "string") providers[name] = { version: args };
    else providers[name] = (args ?? {}) as Record<string, unknown>;
  }
  if (raw.home !== "local") providers[raw.home] ??= {};
  return {
    ...raw,
    name: raw.name,
    stage,
    home: raw.home,
    removal: raw.removal ?? "retain",
    protect: raw.protect ?? false,
    providers,
  };
}
