/** The admin CLI run in-process, as tests see it: exit code, both streams, parsed --json output. */
import { runAdmin } from "../../cli/run-admin.ts";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: parsed CLI output, asserted field by field.
  json: any;
}

export function parsed(stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
}

/** runAdmin in-process; `stdin` is what a pipe would hold (undefined: a terminal, no prompt). */
export async function admin(args: string[], options: { stdin?: string } = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await runAdmin(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    readStdin: async () => options.stdin,
  });
  return { code, stdout, stderr, json: parsed(stdout) };
}
