/** --help texts, generated from the command definitions so they cannot drift from the parser. */
import { ADMIN_COMMAND } from "../dev/local-defaults.ts";
import packageJson from "../package.json" with { type: "json" };
import type { Command } from "./command.ts";
import { textTable } from "./text-table.ts";

/** How the CLI is run: the package's `bin` (bin/wau-admin.cjs), from the repository. */
export const INVOCATION = ADMIN_COMMAND;

/** The product's version (package.json), which `--version` prints. */
export const VERSION: string = packageJson.version;

export function synopsis(command: Command): string {
  const parts = [command.name];
  for (const argument of command.arguments ?? [])
    parts.push(argument.optional ? `[<${argument.name}>]` : `<${argument.name}>`);
  for (const name of Object.keys(command.flags ?? {})) parts.push(`[--${name}]`);
  for (const [name, option] of Object.entries(command.options ?? {})) {
    const flag = option.flag ? `--${name}` : `--${name} <${option.valueName}>`;
    parts.push(option.required ? flag : `[${flag}]`);
  }
  return parts.join(" ");
}

export function commandHelp(command: Command): string {
  const rows = [
    ...(command.arguments ?? []).map((a) => [`  <${a.name}>`, a.description]),
    ...Object.entries(command.flags ?? {}).map(([name, f]) => [`  --${name}`, f.description]),
    ...Object.entries(command.options ?? {}).map(([name, o]) => [
      o.flag ? `  --${name}` : `  --${name} <${o.valueName}>`,
      `${o.description}${o.required ? " (required)" : ""}`,
    ]),
    ["  --json", "print exactly one JSON document on stdout"],
    ["  -h, --help", "show this help"],
  ];
  return [
    `Usage: ${INVOCATION} ${synopsis(command)} [--json]`,
    "",
    wrap(`${command.summary}.${command.description ? ` ${command.description}` : ""}`),
    "",
    textTable(["Arguments and options:", ""], rows),
  ].join("\n");
}

export function generalHelp(commands: readonly Command[]): string {
  return [
    `Usage: ${INVOCATION} <command> [arguments] [--json]`,
    `       ${INVOCATION} --version`,
    "",
    "Manages the tenants, API keys, phone numbers and webhook endpoints of whatsapp-usernames.",
    "",
    "Commands:",
    ...commands.map((c) => `  ${synopsis(c)}`),
    "",
    `Run '${INVOCATION} <command> --help' for details.`,
    "",
    "Output: human-readable, or with --json exactly one JSON document on stdout; errors then are",
    '  {"error":{"kind","message"}} (kind: usage, failed, store-unreachable, internal), also told on stderr.',
    "Exit codes: 0 success, 1 failure (unknown id, store unreachable, ...), 2 usage error.",
    `(npm run admin -- <command> works too, but npm prints its own banner on stdout first: use npx for --json.)`,
    "",
    "Which store:",
    "  Locally (the default) the DynamoDB Local that npm start runs: DYNAMODB_ENDPOINT, else",
    "  http://127.0.0.1:$DYNAMODB_PORT (8000); table TABLE_NAME (whatsapp-usernames); token encryption",
    "  key TOKEN_ENCRYPTION_KEY, else the one npm start keeps in .data/token-encryption-key.",
    `  A deployed stage: npx sst shell --stage <stage> -- ${INVOCATION} <command>`,
  ].join("\n");
}

/** Greedy word wrap for prose in help texts. */
function wrap(text: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join("\n");
}
