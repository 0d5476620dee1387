/**
 * What GET /health reports as the deployed build: package.json `version` and the git commit.
 * infra/api.ts passes both to the health function as SERVICE_VERSION and SERVICE_COMMIT at
 * deploy time, and `npm start` sets them in its own process, so both show the checkout they run.
 * No SST import (dev/ uses it too).
 */
import { execFileSync } from "node:child_process";
import packageJson from "../package.json" with { type: "json" };

export interface BuildInfo {
  version: string;
  /** The commit's full hash, `-dirty` appended when tracked files differ from it; `unknown` outside git. */
  commit: string;
}

function git(args: string[], cwd: string | undefined): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
}

/**
 * The build of the checkout at `cwd` (default: the working directory). `SERVICE_COMMIT` in the
 * environment wins over git: a CI that deploys from an archive without `.git` sets it (e.g. to
 * `$GITHUB_SHA`).
 */
export function buildInfo(cwd?: string): BuildInfo {
  const fromEnvironment = process.env.SERVICE_COMMIT?.trim();
  if (fromEnvironment) return { version: packageJson.version, commit: fromEnvironment };
  try {
    const commit = git(["rev-parse", "HEAD"], cwd);
    const dirty = git(["status", "--porcelain", "--untracked-files=no"], cwd) !== "";
    return { version: packageJson.version, commit: dirty ? `${commit}-dirty` : commit };
  } catch {
    return { version: packageJson.version, commit: "unknown" };
  }
}
