/** Entry point of the admin CLI: `npm run admin -- <command>` (see cli/run-admin.ts). */
import { processIo } from "./io.ts";
import { runAdmin } from "./run-admin.ts";

process.exitCode = await runAdmin(process.argv.slice(2), processIo());
