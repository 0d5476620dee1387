/**
 * The admin CLI as a function: argv in, output through `io`, exit code out (0 success,
 * 1 failure, 2 usage). `cli/admin.ts` wraps it for the shell; tests call it in-process.
 * With --json, stdout carries exactly one JSON document, errors included.
 */
import { parseArgs } from "node:util";
import type { Command, CommandResult } from "./command.ts";
import { keyCommands } from "./commands/keys.ts";
import { phoneCommands } from "./commands/phones.ts";
import { tenantCommands } from "./commands/tenants.ts";
import { webhookCommands } from "./commands/webhooks.ts";
import { shown, UsageError, withoutSecrets } from "./errors.ts";
import { describeFailure } from "./failure-message.ts";
import { commandHelp, generalHelp, INVOCATION, VERSION } from "./help.ts";
import type { AdminIo } from "./io.ts";
import { connectStore, type StoreConnection } from "./store-environment.ts";
import { escapeJsonText, escapeTerminal, escapeTerminalLines } from "./terminal-text.ts";

export const commands: readonly Command[] = [
  ...tenantCommands,
  ...keyCommands,
  ...phoneCommands,
  ...webhookCommands,
];

const HELP_FLAGS = new Set(["--help", "-h"]);

type Parsed =
  | { help: string }
  | { version: string }
  | {
      command: Command;
      options: Record<string, string | undefined>;
      flags: Record<string, boolean>;
      positionals: string[];
    };

/** Finds the command named by the first two words, then parses the rest with its flags. */
function parse(argv: string[]): Parsed {
  // `--version` alone (with --json at most): a command's flags never include it.
  if (argv.includes("--version") && argv.every((arg) => arg === "--version" || arg === "--json")) {
    return { version: VERSION };
  }
  const words = argv.filter((arg) => !arg.startsWith("-")).slice(0, 2);
  const wantsHelp = argv.some((arg) => HELP_FLAGS.has(arg)) || words[0] === "help";
  const named = words[0] === "help" ? argv.filter((a) => !a.startsWith("-")).slice(1, 3) : words;
  const command = commands.find((c) => c.name === named.join(" "));
  if (wantsHelp) return { help: command ? commandHelp(command) : generalHelp(matching(named[0])) };
  if (named.length === 0) throw new UsageError("no command given");
  if (!command) {
    const group = commands.filter((c) => c.name.startsWith(`${named[0]} `));
    if (group.length === 0) throw new UsageError(`unknown command '${named.join(" ")}'`);
    const choices = group.map((c) => c.name).join(", ");
    throw new UsageError(
      named.length === 1
        ? `'${named[0]}' needs a command: ${choices}`
        : `unknown command '${named.join(" ")}'; try ${choices}`,
      named[0],
    );
  }
  // The command words come first (after a leading --json at most); the rest belongs to the command.
  const start = argv[0] === "--json" ? 1 : 0;
  if (`${argv[start]} ${argv[start + 1]}` !== command.name) {
    throw new UsageError(`put the command first: ${INVOCATION} ${command.name} ...`, command.name);
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv.slice(0, start), ...argv.slice(start + 2)],
      options: {
        json: { type: "boolean" },
        ...Object.fromEntries(
          Object.entries(command.options ?? {}).map(([name, spec]) => [
            name,
            { type: spec.flag ? ("boolean" as const) : ("string" as const) },
          ]),
        ),
        ...Object.fromEntries(
          Object.keys(command.flags ?? {}).map((name) => [name, { type: "boolean" as const }]),
        ),
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    // Node's message is long-winded about '--'; its first sentence says what is wrong.
    throw new UsageError((error as Error).message.split(". ")[0] ?? "bad arguments", command.name);
  }
  const expected = command.arguments ?? [];
  const required = expected.filter((argument) => !argument.optional).length;
  if (positionals.length < required || positionals.length > expected.length) {
    throw new UsageError(
      positionals.length < required
        ? `missing <${expected[positionals.length]?.name}>`
        : `unexpected argument ${shown(positionals[expected.length] ?? "")}`,
      command.name,
    );
  }
  const options: Record<string, string | undefined> = {};
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    const value = values[name];
    if (typeof value === "string") options[name] = value;
    else if (value === true) options[name] = "true";
    else if (spec.required) throw new UsageError(`missing --${name} <${spec.valueName}>`, command.name);
  }
  const flags = Object.fromEntries(
    Object.keys(command.flags ?? {}).map((name) => [name, values[name] === true]),
  );
  return { command, options, flags, positionals };
}

/** Commands of one group (`key` -> key create, key list, ...); all of them when there is no such group. */
function matching(group: string | undefined): readonly Command[] {
  const found = commands.filter((c) => c.name.startsWith(`${group} `));
  return found.length ? found : commands;
}

/** One JSON document; DEL, C1 and bidirectional characters escaped too (the parsed value is the same). */
function jsonText(value: unknown): string {
  return `${escapeJsonText(JSON.stringify(value, null, 2))}\n`;
}

export async function runAdmin(argv: readonly string[], io: AdminIo): Promise<number> {
  const args = [...argv];
  const json = args.includes("--json");
  // Text from outside (Meta's fields, URLs, answers) never reaches the terminal as control sequences.
  const emit = (result: CommandResult) =>
    io.stdout(json ? jsonText(result.json) : `${escapeTerminalLines(result.text)}\n`);
  let store: StoreConnection | undefined;
  try {
    const parsed = parse(args);
    if ("help" in parsed) {
      emit({ json: { help: parsed.help }, text: parsed.help });
      return 0;
    }
    if ("version" in parsed) {
      emit({ json: { version: parsed.version }, text: `wau-admin ${parsed.version}` });
      return 0;
    }
    store = connectStore();
    emit(
      await parsed.command.run({
        options: parsed.options,
        flags: parsed.flags,
        positionals: parsed.positionals,
        io,
      }),
    );
    return 0;
  } catch (error) {
    const described = describeFailure(error, store);
    // No secret the operator typed in the wrong place is printed back, whatever the error says.
    const failure = { ...described, message: withoutSecrets(described.message) };
    const pointer =
      failure.kind === "usage"
        ? `\nRun '${INVOCATION} ${failure.command ?? ""}${failure.command ? " " : ""}--help' for usage.`
        : "";
    io.stderr(`error: ${escapeTerminal(failure.message)}${pointer}\n`);
    if (json) io.stdout(jsonText({ error: { kind: failure.kind, message: failure.message } }));
    return failure.exitCode;
  } finally {
    store?.close();
  }
}
