/**
 * Where a command gets a Meta access token, in order: `--access-token`, `META_ACCESS_TOKEN`,
 * stdin when something is piped, a no-echo prompt on a terminal. The last three keep the
 * token out of shell history.
 */
import { UsageError } from "./errors.ts";
import type { AdminIo } from "./io.ts";
import { accessToken } from "./validate.ts";

export async function readAccessToken(
  flag: string | undefined,
  io: AdminIo,
  command: string,
): Promise<string> {
  const fromEnv = process.env.META_ACCESS_TOKEN;
  const raw =
    flag ??
    (fromEnv ? fromEnv : undefined) ??
    (await io.readStdin()) ??
    (io.promptSecret ? await io.promptSecret("Meta access token (not echoed): ") : undefined);
  if (raw === undefined) {
    throw new UsageError(
      "no access token: pipe it on stdin, set META_ACCESS_TOKEN, or pass --access-token",
      command,
    );
  }
  return accessToken(raw, command);
}
