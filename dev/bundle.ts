/**
 * Bundles one Lambda entry point the way SST v4 does for a Node function, so tests and
 * benchmarks measure what AWS runs: ESM, minified, everything (the AWS SDK included) in one
 * file, with the banner SST prepends so bundled CommonJS code can still `require` built-ins.
 * SST's options (sst/sst pkg/runtime/node/build.go): platform node, format esm, target ES2024
 * for nodejs24.x, mainFields module,main, keepNames, minify outside `sst dev`, sharp and
 * pg-native external, `.mjs` output. SST also writes a linked source map, which it uploads
 * apart from the function code; it is left out here since it is not part of what Lambda loads.
 */
import { stat } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { build, type Metafile } from "esbuild";

/** The banner SST puts on every ESM bundle (its function builds and its config builds alike). */
export const SST_ESM_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
].join("\n");

export interface Bundle {
  /** Absolute path of the bundled `.mjs` file. */
  outfile: string;
  bytes: number;
  /** esbuild's account of which inputs the bundle holds, for size breakdowns. */
  metafile: Metafile;
}

/**
 * Bundles `entry` (a path to a `.ts` handler file) into `outdir`/<name>.mjs. `alias` swaps a
 * package for another file (esbuild's alias), for benchmarks that weigh one library against none.
 */
export async function bundleFunction(
  entry: string,
  outdir: string,
  alias?: Record<string, string>,
): Promise<Bundle> {
  const outfile = resolve(outdir, `${basename(entry, extname(entry))}.mjs`);
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    // SST's target for the nodejs24.x runtime the functions deploy to.
    target: "es2024",
    mainFields: ["module", "main"],
    external: ["sharp", "pg-native"],
    keepNames: true,
    minify: true,
    banner: { js: SST_ESM_BANNER },
    metafile: true,
    logLevel: "silent",
    ...(alias ? { alias } : {}),
  });
  return { outfile, bytes: (await stat(outfile)).size, metafile: result.metafile };
}
