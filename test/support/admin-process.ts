/**
 * The admin CLI as an operator runs it: a separate `node cli/admin.ts` process against this test
 * file's table in DynamoDB Local (its own client, so it cannot disturb the event pipeline running
 * in the test's process), with `--json`.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Run } from "./admin-cli.ts";
import { parsed } from "./admin-cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function adminProcess(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["cli/admin.ts", ...args, "--json"],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT,
          TABLE_NAME: process.env.TABLE_NAME,
          TOKEN_ENCRYPTION_KEY: process.env.TOKEN_ENCRYPTION_KEY,
          WEBHOOK_RETRY_DELAYS: process.env.WEBHOOK_RETRY_DELAYS,
          POWERTOOLS_LOG_LEVEL: "SILENT",
        },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, json: parsed(stdout) });
      },
    );
  });
}
