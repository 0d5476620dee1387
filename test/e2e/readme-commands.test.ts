/**
 * The README's commands, run as written against a local stack (what `npm start` runs, started
 * in-process with the demo seeded): every shell line of its ```sh blocks that can run on this
 * machine without AWS is run with bash, in order, and the JSON a line's comment shows
 * (`# {"status":"reserved"}`) must be what it printed; where the comment abbreviates values with
 * `…` (`"id":"ep_…"`, `[…]`), the answer must have exactly its fields, each value matching. The
 * only rewrite is the ports: the README's 3000 and 4000 become this stack's free ports. A line
 * that sets a variable (`EP=$(curl …)`) runs once, as in the reader's shell, and the later lines
 * see its value. Lines that cannot run here are named with the reason (AWS, a placeholder the
 * reader fills in, the set-up itself), and their count is bounded, so a new README command is run
 * unless it says why not; the `/v1` self-service block has no placeholder at all.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../dev/local-stack.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";
import { useTestTable } from "../support/test-table.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const run = promisify(execFile);

interface Command {
  /** The shell text, continuation lines joined. */
  text: string;
  /** The JSON its following comment line says it prints, if any (`…` abbreviating values). */
  expected?: unknown;
}

/** What `…` stands for in a comment's JSON: any value, or any text where a string holds it. */
const ELIDED = "…";

/**
 * The JSON a comment shows (`{"status":"reserved"}`, perhaps followed by words), with `[…]` read
 * as any value; undefined when the comment shows no JSON.
 */
function commentJson(comment: string): unknown {
  const text = comment.replaceAll(`[${ELIDED}]`, `"${ELIDED}"`);
  // The longest prefix that is JSON: the comment may go on in words after it.
  for (let end = text.length; end > 0; end--) {
    if (text[end - 1] !== "}" && text[end - 1] !== "]") continue;
    try {
      return JSON.parse(text.slice(0, end));
    } catch {
      // a shorter prefix, then
    }
  }
  return undefined;
}

/** Whether `printed` is what `expected` shows: equal, where `…` in a string matches any text. */
function matches(expected: unknown, printed: unknown): boolean {
  if (expected === ELIDED) return true;
  if (typeof expected === "string" && expected.includes(ELIDED)) {
    const pattern = expected
      .split(ELIDED)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    return typeof printed === "string" && new RegExp(`^${pattern}$`, "s").test(printed);
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(printed) &&
      printed.length === expected.length &&
      expected.every((item, i) => matches(item, printed[i]))
    );
  }
  if (expected !== null && typeof expected === "object") {
    if (printed === null || typeof printed !== "object" || Array.isArray(printed)) return false;
    const keys = Object.keys(expected);
    return (
      JSON.stringify([...keys].sort()) === JSON.stringify(Object.keys(printed).sort()) &&
      keys.every((key) =>
        matches((expected as Record<string, unknown>)[key], (printed as Record<string, unknown>)[key]),
      )
    );
  }
  return expected === printed;
}

/** Every command of the README's ```sh blocks, in order. */
function readmeCommands(): Command[] {
  const commands: Command[] = [];
  for (const [, block] of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = (block ?? "").split("\n");
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i] ?? "";
      if (line.trim() === "" || line.trim().startsWith("#")) {
        const json = /^#\s*([[{].*)$/.exec(line.trim())?.[1];
        const previous = commands.at(-1);
        if (json && previous && previous.expected === undefined) previous.expected = commentJson(json);
        continue;
      }
      while (line.trimEnd().endsWith("\\") && i + 1 < lines.length) {
        line = `${line.trimEnd().slice(0, -1)} ${(lines[++i] ?? "").trim()}`;
      }
      commands.push({ text: line.trim() });
    }
  }
  return commands;
}

/** Why a command is not run here; undefined: it is run. */
function notRunHere(text: string): string | undefined {
  if (/^(npx )?sst |npx sst /.test(text)) return "AWS (sst)";
  if (/^openssl /.test(text)) return "a secret for AWS";
  if (/^(source|nvm|npm (install|ci|start|test|run)|bash \.ci)/.test(text)) return "the set-up itself";
  if (/^export API_KEY=/.test(text)) return "the key npm start printed (given here)";
  if (text.includes("…") || /<[a-z][^>]*>/i.test(text)) return "a placeholder the reader fills in";
  // Registering a made-up host is fine (nothing is sent to it while the README runs); calling one is not.
  if (/\.example\b/.test(text) && !/webhook add|webhook_endpoints/.test(text)) return "a made-up host";
  if (/^rm -rf \.data/.test(text)) return "it deletes the developer's data";
  return undefined;
}

let stack: LocalStack;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const { tableName, endpoint } = await useTestTable();
  const secrets = randomLocalSecrets();
  const { startLocalStack } = await import("../../dev/local-stack.ts");
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  stack = await startLocalStack({
    env: {
      ...secrets,
      DYNAMODB_ENDPOINT: endpoint,
      TABLE_NAME: tableName,
      PORT: "0",
      META_SANDBOX_PORT: "0",
      RECONCILE_INTERVAL_SECONDS: "0",
    },
    dataDir: mkdtempSync(join(tmpdir(), "wau-readme-")),
    print: () => undefined,
    gatewayLog: false,
  });
  env = {
    ...process.env,
    ...secrets,
    API_KEY: stack.seeded?.apiKey,
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: tableName,
    META_SANDBOX_PORT: new URL(stack.sandbox?.url ?? "http://x:1").port,
    META_ACCESS_TOKEN: "EAAGreadme0123456789",
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The command with this stack's ports in place of the README's. */
function localised(text: string): string {
  const gateway = new URL(stack.url).port;
  const sandbox = new URL(stack.sandbox?.url ?? "").port;
  return text
    .replaceAll("127.0.0.1:3000", `127.0.0.1:${gateway}`)
    .replaceAll("127.0.0.1:4000", `127.0.0.1:${sandbox}`);
}

describe("the README's commands", { timeout: 300_000 }, () => {
  it("run as written, and print what their comments say", async () => {
    const commands = readmeCommands();
    const skipped: string[] = [];
    const ran: string[] = [];
    const problems: string[] = [];
    // One shell session's variables (BASE=…, AFTER=…), carried from line to line.
    let prelude = "";
    for (const command of commands) {
      const reason = notRunHere(command.text);
      if (reason) {
        skipped.push(`${reason}: ${command.text}`);
        continue;
      }
      const assigned = /^([A-Z_][A-Z0-9_]*)=/.exec(command.text)?.[1];
      // A variable's line runs once, as in the reader's shell, and prints the value it set.
      const script = `set -o pipefail\n${prelude}\n${localised(command.text)}${assigned ? `\nprintf %s "$${assigned}"` : ""}`;
      const result = await run("bash", ["-c", script], { cwd: ROOT, env, timeout: 60_000 }).then(
        (out) => ({ code: 0, stdout: out.stdout, stderr: out.stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({
          code: error.code,
          stdout: error.stdout,
          stderr: error.stderr,
        }),
      );
      ran.push(command.text);
      // Later lines see the value it set (not the command again: a POST would run twice).
      if (assigned) prelude += `\n${assigned}='${result.stdout.replaceAll("'", "'\\''")}'`;
      if (result.code !== 0) {
        problems.push(`exit ${result.code}: ${command.text}\n${result.stderr.slice(0, 500)}`);
        continue;
      }
      if (command.expected !== undefined) {
        let printed: unknown;
        try {
          printed = JSON.parse(result.stdout);
        } catch {
          printed = result.stdout;
        }
        if (!matches(command.expected, printed)) {
          problems.push(
            `${command.text}\n  printed ${result.stdout.slice(0, 300)}\n  README says ${JSON.stringify(command.expected)}`,
          );
        }
      }
      // The sandbox delivers its webhook after an approval: give it a moment before the next GET.
      if (/\/approve$/.test(command.text)) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(problems).toEqual([]);
    expect(ran.length).toBeGreaterThan(20);
    // The tenant's self-service block runs whole: every value it needs comes from an earlier answer.
    expect(skipped.filter((line) => line.includes("$BASE"))).toEqual([]);
    expect(ran.filter((line) => line.includes("$BASE")).length).toBeGreaterThan(6);
    // Everything else says why; a new kind of command not run here must be added on purpose.
    expect(skipped.length, skipped.join("\n")).toBeLessThan(25);
  });
});
