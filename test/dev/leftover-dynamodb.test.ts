/**
 * The pid file of `npm start`'s DynamoDB Local (dev/leftover-dynamodb.ts): a DynamoDB Local is
 * stopped only when the `npm start` that started it is gone (killed with SIGKILL, crashed); while
 * that npm start still runs, a second one on the same data folder is refused with one line and
 * the first one's DynamoDB Local, and its pid file, are left alone. Processes posing as DynamoDB
 * Local (a sleeping `node` whose arguments name DynamoDBLocal and its port) stand in for Java.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { processAlive, recordDynamoDbLocal, stopLeftoverDynamoDbLocal } from "../../dev/leftover-dynamodb.ts";

const children: ChildProcess[] = [];
const folders: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function pidFile(): string {
  const folder = mkdtempSync(join(tmpdir(), "wau-leftover-"));
  folders.push(folder);
  return join(folder, "dynamodb-local.pid");
}

/** A process whose command line is a DynamoDB Local's on `port` (what the pid file check reads). */
async function fakeDynamoDbLocal(port: number): Promise<number> {
  const child = spawn(
    process.execPath,
    ["-e", "setInterval(() => {}, 1e6)", "--", "-jar", "DynamoDBLocal.jar", "-port", String(port)],
    { stdio: "ignore" },
  );
  children.push(child);
  await new Promise((resolve) => child.once("spawn", resolve));
  return child.pid as number;
}

/** The pid of a process that has ended (an npm start killed with SIGKILL). */
async function endedProcess(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid as number;
}

describe("the DynamoDB Local a pid file names", () => {
  it("is stopped when the npm start that started it is gone", async () => {
    const file = pidFile();
    const java = await fakeDynamoDbLocal(8123);
    writeFileSync(file, `${JSON.stringify({ pid: java, port: 8123, owner: await endedProcess() })}\n`);
    expect(await stopLeftoverDynamoDbLocal(file)).toBe(java);
    expect(processAlive(java)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it("is left running, and the start refused in one line, while its npm start still runs", async () => {
    const file = pidFile();
    const java = await fakeDynamoDbLocal(8124);
    // Recorded by this process: the owner is alive (as the first npm start is).
    recordDynamoDbLocal(file, { pid: java, port: 8124 });
    const recorded = readFileSync(file, "utf8");
    await expect(stopLeftoverDynamoDbLocal(file)).rejects.toThrow(
      `another npm start is using this data directory (pid ${process.pid}, DynamoDB Local on port 8124): ` +
        "stop it, or set DATA_DIR to another folder",
    );
    expect(processAlive(java)).toBe(true);
    // Its record stays: the running npm start forgets it when it stops.
    expect(readFileSync(file, "utf8")).toBe(recorded);
  });

  it("is stopped when the owner's pid now belongs to another process (started at another time)", async () => {
    const file = pidFile();
    const java = await fakeDynamoDbLocal(8125);
    recordDynamoDbLocal(file, { pid: java, port: 8125 });
    const record = JSON.parse(readFileSync(file, "utf8")) as { ownerStarted?: number };
    expect(record.ownerStarted, "the owner's start time is recorded on Linux").toBeTypeOf("number");
    writeFileSync(file, JSON.stringify({ ...record, ownerStarted: (record.ownerStarted ?? 0) + 1 }));
    expect(await stopLeftoverDynamoDbLocal(file)).toBe(java);
    expect(processAlive(java)).toBe(false);
  });

  it("is never a process that is not DynamoDB Local on the recorded port", async () => {
    const file = pidFile();
    const java = await fakeDynamoDbLocal(8126);
    writeFileSync(file, JSON.stringify({ pid: java, port: 9999, owner: await endedProcess() }));
    expect(await stopLeftoverDynamoDbLocal(file)).toBeUndefined();
    expect(processAlive(java)).toBe(true);
  });
});
