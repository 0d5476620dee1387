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
