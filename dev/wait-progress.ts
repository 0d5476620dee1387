/**
 * Progress while something starts: on a terminal one line rewritten in place
 * ("waiting for DynamoDB Local… 1.2 s"), elsewhere (CI logs, a parent process) one line a second.
 */
export function waitProgress(what: string, stream: NodeJS.WriteStream = process.stdout) {
  let lastLine = -1;
  let drawn = false;
  return {
    onWait(elapsedMs: number): void {
      const text = `waiting for ${what}… ${(elapsedMs / 1000).toFixed(1)} s`;
      if (stream.isTTY) {
        stream.write(`\r${text}`);
        drawn = true;
      } else if (Math.floor(elapsedMs / 1000) > lastLine) {
        lastLine = Math.floor(elapsedMs / 1000);
        stream.write(`${text}\n`);
      }
    },
    /** Ends the rewritten line so the next output starts on its own. */
    done(): void {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}
