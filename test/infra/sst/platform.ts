/**
 * SST's platform: the components' TypeScript source, the generated `config.d.ts` that types
 * `sst.config.ts`, and their npm dependencies (Pulumi, its AWS provider). The `sst` CLI of
 * `node_modules` installs it; it is cached outside the clone, keyed on that CLI's version and
 * the providers `app()` names, so it is installed once per machine and SST version.
 *
 * `sst deploy` installs the platform into `.sst/platform` itself. Here `sst install` runs in a
 * project of its own inside the cache (`$SST_PLATFORM_CACHE`, default
 * `~/.cache/whatsapp-usernames/sst-platform`) with the downloads that need more than the npm
 * registry turned off: `SST_SKIP_DEPENDENCY_CHECK` (the Pulumi and Bun binaries, which running
 * the components under Pulumi's mocks does not use) and `SST_NO_BUN` (npm installs the
 * dependencies). Cold: one to two minutes and about 340 MB. The repository's `.sst/platform`
 * (ignored by git) then links to it, where SST's own layout has it, so the reference to
 * `config.d.ts` at the top of `sst.config.ts` resolves for `tsc` and editors.
 *
 * `npm run sst:platform` runs this file: it installs or finds the platform and prints its path.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { evaluateApp } from "./app.ts";

const run = promisify(execFile);

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CONFIG = join(ROOT, "sst.config.ts");

/** Cache entries of other SST versions unused for this long are removed. */
const STALE_AFTER_MS = 14 * 24 * 3600 * 1000;
/** A cold install takes about a minute; a stuck npm must not hang the test run. */
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

export interface SstPlatform {
  /** Version of the `sst` CLI the platform came from (`node_modules/sst`). */
  version: string;
  /** The platform directory: `src/`, `config.d.ts`, `node_modules/`. */
  dir: string;
}

/** The installed `sst` package's version, which is the CLI `npx sst` runs. */
export async function sstVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, "node_modules/sst/package.json"), "utf8"));
  return (pkg as { version: string }).version;
}

/** Where platforms are cached: `$SST_PLATFORM_CACHE`, else `~/.cache/whatsapp-usernames/sst-platform`. */
export function cacheRoot(): string {
  if (process.env.SST_PLATFORM_CACHE) return process.env.SST_PLATFORM_CACHE;
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return join(base, "whatsapp-usernames", "sst-platform");
}

/**
 * The platform for the installed `sst` version, installed into the cache first if needed, and
 * linked as the repository's `.sst/platform`. Concurrent callers are safe: each installs into a
 * directory of its own and the first to finish renames it into place.
 */
export function ensureSstPlatform(): Promise<SstPlatform> {
  ensured ??= findOrInstall();
  return ensured;
}

let ensured: Promise<SstPlatform> | undefined;

async function findOrInstall(): Promise<SstPlatform> {
  const version = await sstVersion();
  // Only the providers' names and pinned versions decide what gets installed.
  const app = await evaluateApp(CONFIG, "platform");
  const providers = Object.fromEntries(
    Object.entries(app.providers)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, args]) => [name, typeof args.version === "string" ? args.version : null]),
  );
  const hash = createHash("sha256")
    .update(JSON.stringify({ home: app.home, providers }))
    .digest("hex");
  const key = `${version}-${hash.slice(0, 12)}`;
  const entry = join(cacheRoot(), key);
  const dir = join(entry, ".sst", "platform");

  if (!(await installedVersionIs(dir, version))) {
    // Entries appear complete (renamed into place), so an incomplete one was damaged: redo it.
    if (existsSync(entry)) await rm(entry, { recursive: true, force: true });
    await install(entry, version, { home: app.home, providers });
    if (!(await installedVersionIs(dir, version))) throw new Error(`no complete SST platform in ${entry}`);
  }
  const now = new Date();
  await utimes(entry, now, now);
  await pruneOtherEntries(key);
  await linkIntoRepository(dir, version);
  return { version, dir };
}

async function installedVersionIs(dir: string, version: string): Promise<boolean> {
  try {
    const installed = (await readFile(join(dir, "version"), "utf8")).trim();
    return (
      installed === version && existsSync(join(dir, "config.d.ts")) && existsSync(join(dir, "node_modules"))
    );
  } catch {
    return false;
  }
}

async function install(
  entry: string,
  version: string,
  app: { home: string; providers: Record<string, string | null> },
): Promise<void> {
  const partial = `${entry}.partial-${process.pid}-${Date.now()}`;
  await mkdir(partial, { recursive: true });
  const providers = Object.fromEntries(
    Object.entries(app.providers).map(([name, pinned]) => [name, pinned ? { version: pinned } : {}]),
  );
  // A project whose app() names the same home and providers: what `sst install` reads.
  await writeFile(
    join(partial, "sst.config.ts"),
    [
      "export default $config({",
      `  app: () => ({ name: "sst-platform", home: ${JSON.stringify(app.home)}, providers: ${JSON.stringify(providers)} }),`,
      "  async run() {},",
      "});",
      "",
    ].join("\n"),
  );
  process.stderr.write(
    `sst-platform: installing SST ${version}'s platform into ${entry} (once per version)\n`,
  );
  const started = Date.now();
  try {
    await run(
      process.execPath,
      [join(ROOT, "node_modules/sst/bin/sst.mjs"), "install", "--stage", "platform"],
      {
        cwd: partial,
        timeout: INSTALL_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          SST_SKIP_DEPENDENCY_CHECK: "1",
          SST_NO_BUN: "1",
          SST_TELEMETRY_DISABLED: "1",
          // sst.mjs runs the CLI of node_modules/sst-<platform>; keep npm's output out of ours.
          npm_config_loglevel: "error",
        },
      },
    );
    if (!(await installedVersionIs(join(partial, ".sst", "platform"), version))) {
      throw new Error("sst install finished without a complete platform");
    }
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(
      `sst install failed for SST ${version}: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`.trim(),
    );
  }
  try {
    await rename(partial, entry);
  } catch (error) {
    // Another process installed the same entry first: use theirs.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(entry)) throw error;
  }
  process.stderr.write(`sst-platform: installed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** Removes entries of other versions nobody used for two weeks, and abandoned partial installs. */
async function pruneOtherEntries(current: string): Promise<void> {
  const root = cacheRoot();
  for (const name of await readdir(root)) {
    if (name === current) continue;
    const path = join(root, name);
    const modified = await stat(path).then(
      (found) => found.mtimeMs,
      () => undefined,
    );
    if (modified === undefined) continue;
    const maxAge = name.includes(".partial-") ? INSTALL_TIMEOUT_MS : STALE_AFTER_MS;
    if (Date.now() - modified > maxAge) await rm(path, { recursive: true, force: true });
  }
}

/**
 * Makes the repository's `.sst/platform` this platform. A real directory SST's CLI installed for
 * the same version is left alone; one of another version is what the CLI itself would replace.
 */
async function linkIntoRepository(dir: string, version: string): Promise<void> {
  const link = join(ROOT, ".sst", "platform");
  const current = await lstat(link).catch(() => undefined);
  if (current?.isSymbolicLink()) {
    if ((await readlink(link)) === dir) return;
  } else if (current?.isDirectory() && (await installedVersionIs(link, version))) {
    return;
  }
  if (current) await rm(link, { recursive: true, force: true });
  await mkdir(join(ROOT, ".sst"), { recursive: true });
  await symlink(dir, link, "dir").catch(async (error: NodeJS.ErrnoException) => {
    // Another process linked it at the same moment: fine if it is the same platform.
    if (error.code !== "EEXIST" || (await readlink(link).catch(() => "")) !== dir) throw error;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const platform = await ensureSstPlatform();
  process.stdout.write(`${platform.dir}\n`);
}
