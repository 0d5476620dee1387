/** The shape of one admin command: its flags and arguments (for parsing and --help) and its action. */
import type { AdminIo } from "./io.ts";

export interface OptionSpec {
  /** Shown in help as `--flag <valueName>` (ignored for a `flag`). */
  valueName: string;
  /** A switch without a value (`--failed`); the command sees it as "true" when given. */
  flag?: true;
  description: string;
  required?: boolean;
}

export interface FlagSpec {
  description: string;
}

export interface CommandInput {
  options: Record<string, string | undefined>;
  /** Boolean flags, by name: true when given. */
  flags: Record<string, boolean>;
  positionals: string[];
  io: AdminIo;
}

/** What a command prints: `json` with --json, `text` otherwise. */
export interface CommandResult {
  json: unknown;
  text: string;
}

export interface Command {
  /** Group and action, e.g. "key create". */
  name: string;
  summary: string;
  /** Longer explanation for --help. */
  description?: string;
  /** Flags, by name without the dashes: string-valued unless marked `flag`. */
  options?: Record<string, OptionSpec>;
  /** Boolean flags, by name without the dashes (`--all`). */
  flags?: Record<string, FlagSpec>;
  /** Positional arguments, in order; optional ones come last. */
  arguments?: ReadonlyArray<{ name: string; description: string; optional?: boolean }>;
  run(input: CommandInput): Promise<CommandResult>;
}
