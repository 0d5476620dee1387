/**
 * Builds the console (Vite, console/vite.config.ts) into console/dist/, the folder its Lambda
 * serves (functions/console/) locally and, copied into the function's package, in AWS. Never
 * committed: `npm start`, the test run (test/support/global-setup.ts), the bench and `sst deploy`
 * (infra/console.ts) each call `ensureConsoleBuilt()` first, which builds only when the inputs
 * changed since the last build.
 *
 * Besides Vite's output, each file gets precompressed `.br` and `.gz` siblings (when smaller) and
 * one `console-manifest.json` says, per file served, its content type, ETag, size, whether its
 * name is content-hashed (cached for a year) and which encodings exist, plus the hash of the
 * inputs the build came from. The new build appears at once: it is made in a folder of its own
 * and renamed into place, so a reader never sees half a build.
 *
 *   node bin/launch.cjs console/build.ts [--force]    (npm run console:build)
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import {
  type ConsoleManifest,
  MANIFEST_FILE,
  type ManifestEntry,
} from "../functions/console/console-assets.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CONSOLE = join(ROOT, "console");
/** What the console's Lambda serves. */
export const CONSOLE_DIST = join(CONSOLE, "dist");
/** Builds in progress and replaced builds, on the same file system as dist/ (renames are atomic). */
const WORK = join(ROOT, "node_modules", ".cache", "whatsapp-usernames-console");

/** Source files outside console/src that the bundle includes. */
const SHARED_SOURCES = ["functions/core/validation/username-format.ts"];
/** Packages whose version changes the output. */
const BUILD_PACKAGES = ["vite", "preact", "openapi-fetch"];

export interface BuildOutcome {
  dir: string;
  manifest: ConsoleManifest;
  /** False when an up-to-date build was already there. */
  built: boolean;
  ms: number;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/** The hash of everything the build reads: console sources and config, shared modules, package versions. */
export async function inputsHash(): Promise<string> {
  const hash = createHash("sha256");
  const sources = [
    "console/index.html",
    "console/vite.config.ts",
    "console/build.ts",
    ...(await filesUnder(join(CONSOLE, "src"))).map((file) => `console/src/${file}`),
    ...SHARED_SOURCES,
  ];
  for (const file of sources) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(ROOT, file)));
    hash.update("\0");
  }
  for (const name of BUILD_PACKAGES) {
    const pkg = JSON.parse(await readFile(join(ROOT, "node_modules", name, "package.json"), "utf8"));
    hash.update(`${name}@${(pkg as { version: string }).version}\0`);
  }
  return hash.digest("base64url");
}

/** The manifest of the build in `dir`, or undefined when there is none (or it is unreadable). */
export async function readManifest(dir = CONSOLE_DIST): Promise<ConsoleManifest | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST_FILE), "utf8")) as ConsoleManifest;
  } catch {
    return undefined;
  }
}

function contentType(file: string): string {
  const dot = file.lastIndexOf(".");
  return CONTENT_TYPES[dot >= 0 ? file.slice(dot) : ""] ?? "application/octet-stream";
}

/** Adds the compressed siblings and writes the manifest of the Vite output in `dir`. */
async function finish(dir: string, inputs: string): Promise<ConsoleManifest> {
  const files: Record<string, ManifestEntry> = {};
  for (const file of await filesUnder(dir)) {
    const body = await readFile(join(dir, file));
    const encodings: ManifestEntry["encodings"] = [];
    const type = contentType(file);
    if (/^(text\/|image\/svg|application\/json)/.test(type)) {
      const br = brotliCompressSync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
      });
      if (br.length < body.length) {
        await writeFile(join(dir, `${file}.br`), br);
        encodings.push("br");
      }
      const gz = gzipSync(body, { level: 9 });
      if (gz.length < body.length) {
        await writeFile(join(dir, `${file}.gz`), gz);
        encodings.push("gzip");
      }
    }
    files[file] = {
      type,
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
      bytes: body.length,
      immutable: file.startsWith("assets/"),
      encodings,
    };
  }
  if (!files["index.html"]) throw new Error("the console build has no index.html");
  const manifest: ConsoleManifest = { inputs, files };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Runs Vite into a fresh folder and returns it, finished (compressed siblings, manifest). */
async function viteBuild(inputs: string): Promise<{ dir: string; manifest: ConsoleManifest }> {
  const { build } = await import("vite");
  await mkdir(WORK, { recursive: true });
  const dir = join(WORK, `build-${process.pid}-${randomBytes(4).toString("hex")}`);
  await build({
    configFile: join(CONSOLE, "vite.config.ts"),
    build: { outDir: dir, emptyOutDir: true },
    logLevel: "warn",
  });
  return { dir, manifest: await finish(dir, inputs) };
}

/** Puts the build in `dir` at console/dist; a concurrent builder's identical build may win. */
async function publish(dir: string, inputs: string): Promise<void> {
  const old = join(WORK, `old-${process.pid}-${randomBytes(4).toString("hex")}`);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (existsSync(CONSOLE_DIST)) {
      if ((await readManifest())?.inputs === inputs) {
        // Another process published the same build meanwhile.
        await rm(dir, { recursive: true, force: true });
        return;
      }
      await rename(CONSOLE_DIST, old).catch(() => undefined);
    }
    try {
      await rename(dir, CONSOLE_DIST);
      await rm(old, { recursive: true, force: true });
      return;
    } catch {
      // Someone put a dist/ in place between the two renames: look at it again.
    }
  }
  throw new Error(`could not publish the console build at ${CONSOLE_DIST}`);
}

/**
 * Builds the console into console/dist unless the build there came from the same inputs
 * (`force` builds anyway). Safe to call from several processes at once.
 */
export async function ensureConsoleBuilt(options: { force?: boolean } = {}): Promise<BuildOutcome> {
  const started = performance.now();
  const inputs = await inputsHash();
  const existing = await readManifest();
  if (!options.force && existing?.inputs === inputs) {
    return { dir: CONSOLE_DIST, manifest: existing, built: false, ms: performance.now() - started };
  }
  const { dir, manifest } = await viteBuild(inputs);
  await publish(dir, inputs);
  return { dir: CONSOLE_DIST, manifest, built: true, ms: performance.now() - started };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outcome = await ensureConsoleBuilt({ force: process.argv.includes("--force") });
  const files = Object.keys(outcome.manifest.files).length;
  process.stdout.write(
    `${outcome.built ? "built" : "up to date:"} ${relative(process.cwd(), outcome.dir) || "."} ` +
      `(${files} files, ${(outcome.ms / 1000).toFixed(1)} s)\n`,
  );
}
