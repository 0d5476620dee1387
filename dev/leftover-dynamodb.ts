/**
 * DynamoDB Local left running by an earlier `npm start` that was killed without a chance to stop
 * it (`kill -9`, a crash): `npm start` writes the Java process's id and port, and its own process
 * id and start time (the owner), to `.data/dynamodb-local.pid` once it answers, removes the file
 * when it stops, and on the next start stops a process the file still names, if it is still that
 * DynamoDB Local and its owner is gone, before taking the port. While the owner still runs (a
 * second `npm start` in the same checkout, or on the same DATA_DIR), its DynamoDB Local is in use,
 * not left over: the second start is refused with one line and nothing is stopped. A port held by
 * anything else is never touched: the message says what to do.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { LocalConfigError } from "./local-config.ts";

export interface PidRecord {
  /** DynamoDB Local's (Java's) process id. */
  pid: number;
  /** The port it listens on. */
  port: number;
  /** The process id of the `npm start` that started it (absent in files of older checkouts). */
  owner?: number;
  /**
   * When the owner started (Linux: /proc's clock ticks since boot), so that an owner's pid taken
   * by another process after it died is not taken for the owner. Absent where /proc is not.
   */
  ownerStarted?: number;
}

/**
 * Records the running DynamoDB Local (pid and port) in `file`, with this process as its owner:
 * the record means "in use" for as long as this process runs.
 */
export function recordDynamoDbLocal(file: string, record: PidRecord): void {
  const owner = record.owner ?? process.pid;
  const ownerStarted = record.owner === undefined ? startTimeOf(owner) : record.ownerStarted;
  const full: PidRecord = { ...record, owner, ...(ownerStarted !== undefined ? { ownerStarted } : {}) };
  writeFileSync(file, `${JSON.stringify(full)}\n`);
}

/** Forgets the record (its process stopped). */
export function forgetDynamoDbLocal(file: string): void {
  rmSync(file, { force: true });
}

/** Whether `pid` runs: it exists (EPERM: someone else's, still running) and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // A zombie (ended, not yet reaped by its parent) runs nothing any more.
  return startFields(pid)?.[0] !== "Z";
}

/** /proc/<pid>/stat's fields from the third (state) on; undefined without /proc or the process. */
function startFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (second field) may hold spaces and parentheses: fields follow its last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** When `pid` started (field 22 of /proc/<pid>/stat), or undefined where that cannot be read. */
function startTimeOf(pid: number): number | undefined {
  const value = Number(startFields(pid)?.[19]);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Whether the `npm start` that recorded `record` still runs: its pid is alive and, where the start
 * time can be read, the process with that pid started when the owner did (not a reuse of its id).
 */
function ownerRuns(record: PidRecord): boolean {
  if (!Number.isInteger(record.owner) || record.owner === undefined) return false;
  if (!processAlive(record.owner)) return false;
  if (record.ownerStarted === undefined) return true;
  const started = startTimeOf(record.owner);
  return started === undefined || started === record.ownerStarted;
}

/**
 * Whether `pid` is still a DynamoDB Local on `port`: on Linux read from /proc (a pid reused by
 * another program is left alone); elsewhere, that a process with the id is alive.
 */
function isDynamoDbLocal(pid: number, port: number): boolean {
  if (!processAlive(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return process.platform !== "linux";
  const args = readFileSync(cmdline, "utf8").split("\0");
  const portIndex = args.indexOf("-port");
  return args.some((arg) => arg.includes("DynamoDBLocal")) && args[portIndex + 1] === String(port);
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

/**
 * Stops the DynamoDB Local that `file` names, if it still runs and the `npm start` that started it
 * does not (SIGTERM, then SIGKILL after 3 s), and forgets it. Returns the pid it stopped, or
 * undefined when there was none. Throws a LocalConfigError, stopping nothing and keeping the file,
 * while that npm start runs: its DynamoDB Local and data folder are in use.
 */
export async function stopLeftoverDynamoDbLocal(file: string): Promise<number | undefined> {
  if (!existsSync(file)) return undefined;
  let record: PidRecord | undefined;
  try {
    record = JSON.parse(readFileSync(file, "utf8")) as PidRecord;
  } catch {
    record = undefined;
  }
  if (record && ownerRuns(record)) {
    throw new LocalConfigError(
      `another npm start is using this data directory (pid ${record.owner}, DynamoDB Local on port ` +
        `${record.port}): stop it, or set DATA_DIR to another folder (now ${shown(dirname(file))})`,
    );
  }
  forgetDynamoDbLocal(file);
  if (!record || !Number.isInteger(record.pid) || !isDynamoDbLocal(record.pid, record.port)) return undefined;
  process.kill(record.pid, "SIGTERM");
  const deadline = Date.now() + 3_000;
  while (processAlive(record.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (processAlive(record.pid)) process.kill(record.pid, "SIGKILL");
  while (processAlive(record.pid)) await new Promise((r) => setTimeout(r, 50));
  return record.pid;
}
