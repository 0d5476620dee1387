/**
 * Everything the admin CLI exchanges with the outside world, so commands run in-process in
 * tests with captured output and scripted stdin, and for real through `processIo()`.
 */
import { UsageError } from "./errors.ts";

export interface AdminIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin when something is piped in; undefined when stdin is a terminal. */
  readStdin(): Promise<string | undefined>;
  /** Asks for a secret on the terminal without echoing it; absent when there is no terminal. */
  promptSecret?(question: string): Promise<string>;
}

export function processIo(): AdminIo {
  const stdin = process.stdin;
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      if (stdin.isTTY) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
      return Buffer.concat(chunks).toString("utf8");
    },
    ...(stdin.isTTY && process.stderr.isTTY ? { promptSecret } : {}),
  };
}

/** Raw-mode terminal input: characters are collected but never echoed. */
function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n" || char === "\u0004") return finish();
        if (char === "\u0003") return finish(new UsageError("cancelled"));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}
