/**
 * Entry point of the admin CLI, started by the `wau-admin` command (bin/wau-admin.cjs checks the
 * Node.js version first): `npx wau-admin <command>`. See cli/run-admin.ts.
 */
import "./without-metrics.ts";
import { processIo } from "./io.ts";
import { runAdmin } from "./run-admin.ts";

process.exitCode = await runAdmin(process.argv.slice(2), processIo());
