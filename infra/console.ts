/**
 * The tenant console in AWS: served by its own small function on the API's routes
 * (`GET /console`, `GET /console/assets/{asset}` in infra/routes.ts), so it shares the API's
 * origin by construction (no CORS), its headers are set by our own code (functions/console/),
 * and the public API and webhook URLs stay as they are. Why not `sst.aws.StaticSite` behind
 * `sst.aws.Router`: docs/architecture.md, "The console".
 *
 * The built files are never committed. `sst deploy` builds them here, while the app is
 * evaluated and before SST packages the function (console/build.ts: a no-op when console/dist
 * is up to date), and the function's package gets console/dist at the same relative place it
 * has in the repository, where the handler looks for it (`../../console/dist/` from
 * functions/console/serve-console.mjs).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

/** The build, relative to the app's root; copied to the same path inside the function's package. */
export const CONSOLE_DIST = "console/dist";

let built = false;

/**
 * Builds the console once per run of the app (the Node.js on PATH, as `npm run console:build`)
 * and returns the function arguments that package the build with the console's function.
 */
export function consoleFunctionArgs(): Pick<sst.aws.FunctionArgs, "copyFiles"> {
  if (!built) {
    const root = $cli.paths.root;
    execFileSync("node", [join(root, "bin", "launch.cjs"), join(root, "console", "build.ts")], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    built = true;
  }
  return { copyFiles: [{ from: CONSOLE_DIST, to: CONSOLE_DIST }] };
}
