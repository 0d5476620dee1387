/**
 * DynamoDB Local left running by an earlier `npm start` that was killed without a chance to stop
 * it (`kill -9`, a crash): `npm start` writes the Java process's id and port to
 * `.data/dynamodb-local.pid` once it answers, removes the file when it stops, and on the next
 * start stops a process the file still names, if it is still that DynamoDB Local, before taking
 * the port. A port held by anything else is never touched: the message says what to do.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";

export interface PidRecord {
  pid: number;
  port: number;
}

/** Records the running DynamoDB Local (pid and port) in `file`. */
export function recordDynamoDbLocal(file: string, record: PidRecord): void {
  writeFileSync(file, `${JSON.stringify(record)}\n`);
}

/** Forgets the record (its process stopped). */
export function forgetDynamoDbLocal(file: string): void {
  rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether `pid` is still a DynamoDB Local on `port`: on Linux read from /proc (a pid reused by
 * another program is left alone); elsewhere, that a process with the id is alive.
 */
function isDynamoDbLocal(pid: number, port: number): boolean {
  if (!alive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return process.platform !== "linux";
  const args = readFileSync(cmdline, "utf8").split("\0");
  const portIndex = args.indexOf("-port");
  return args.some((arg) => arg.includes("DynamoDBLocal")) && args[portIndex + 1] === String(port);
}

/**
 * Stops the DynamoDB Local that `file` names, if it still runs (SIGTERM, then SIGKILL after 3 s),
 * and forgets it. Returns the pid it stopped, or undefined when there was none.
 */
export async function stopLeftoverDynamoDbLocal(file: string): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  let record: PidRecord | undefined;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as PidRecord;
  } catch {
    record = undefined;
  }
  forgetDynamoDbLocal(file);
  if (!record || !Number.isInteger(record.pid) || !isDynamoDbLocal(record.pid, record.port)) return undefined;
  process.kill(record.pid, "SIGTERM");
  const deadline = Date.now() + 3_000;
  while (alive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(record.pid)) process.kill(record.pid, "SIGKILL");
  while (alive(record.pid)) await new Promise((r) => setTimeout(r, 50));
  return record.pid;
}
