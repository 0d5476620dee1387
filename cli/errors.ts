/** The two ways a command fails, by exit code: 2 the command line was wrong, 1 the operation failed. */

export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
  /** The command whose help the message points at, e.g. "key create". */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** An expected failure with a message fit for the operator (unknown id, unreachable store, ...). */
export class CommandFailure extends Error {
  override name = "CommandFailure";
  readonly exitCode = 1;
}

/** Values that are secrets by their shape: webhook secrets, API keys, Meta access tokens. */
const SECRET_SHAPES = /whsec_[A-Za-z0-9+/=]*|wau_[A-Za-z0-9_-]*|EAA[A-Za-z0-9]{10,}/g;
/** Any long run of key-like characters (a random key, a hex or base64 secret): 32 or more. */
const LONG_RUN = /[A-Za-z0-9+/=]{32,}/g;
/** Longest value quoted back to the operator as typed. */
const MAX_SHOWN = 40;

/**
 * An operator's value as an error message shows it: quoted when it cannot be a secret, else
 * only its length, so a secret typed in the wrong place (`webhook rotate-secret whsec_…`) is
 * never printed back (to a terminal, a log, a CI transcript).
 */
/** Whether a value has the shape of a secret (an API key, a webhook secret, a Meta token, a long random run). */
export function looksSecret(value: string): boolean {
  return new RegExp(SECRET_SHAPES.source).test(value) || new RegExp(LONG_RUN.source).test(value);
}

export function shown(value: string): string {
  const clean = value.replace(SECRET_SHAPES, "").replace(LONG_RUN, "");
  if (clean !== value || value.length > MAX_SHOWN) return `a value of ${value.length} characters (not shown)`;
  return `'${value}'`;
}

/** The message with anything shaped like a secret replaced by `[not shown]`: the last guard of every error printed. */
export function withoutSecrets(message: string): string {
  return message.replace(SECRET_SHAPES, "[not shown]").replace(LONG_RUN, "[not shown]");
}
