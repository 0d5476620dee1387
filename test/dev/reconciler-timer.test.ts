/**
 * Under `npm start` the scheduled reconciler runs on a timer (dev/reconciler-timer.ts): an
 * intent left unresolved by a failed state write is settled without anyone asking, and a run in
 * progress is never doubled or left running after stop().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { resolveLocalConfig } from "../../dev/local-config.ts";
import { startReconcilerTimer } from "../../dev/reconciler-timer.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { injectStorageFaults, storageError, writeKind } from "../support/storage-faults.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { seedPhone, seedTenant, storedState, uniqueDigits, useWorld } from "../support/world.ts";

const world = useWorld();

describe("the reconciler timer of npm start", () => {
  it("settles an unresolved number by itself", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const name = `timer_${uniqueDigits(6)}`;
    const restore = injectStorageFaults((command, _, input) =>
      writeKind(command, input) === "state" ? storageError("ServiceUnavailable") : undefined,
    );
    try {
      const answer = await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: name },
      });
      expect(answer.status).toBe(200);
    } finally {
      restore();
    }
    expect(await getIntent(phone.phoneNumberId)).toMatchObject({ unresolved: true });

    const lines: string[] = [];
    const timer = startReconcilerTimer(100, (line) => lines.push(line));
    try {
      await vi.waitFor(
        async () => expect((await storedState(phone.phoneNumberId)).phone?.username).toBe(name),
        {
          timeout: 10_000,
        },
      );
    } finally {
      await timer.stop();
    }
    expect((await getIntent(phone.phoneNumberId))?.unresolved).toBeUndefined();
    expect(lines.some((line) => line.startsWith("reconciler:"))).toBe(true);
  });

  it("counts in its line what its log lines say: a number Meta could not be read for is failed, not settled", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    // Meta accepts the claim; recording its answer fails: Meta may have acted unrecorded.
    const restore = injectStorageFaults((command, _n, input) =>
      writeKind(command, input) === "state" ? storageError("ServiceUnavailable") : undefined,
    );
    try {
      const answer = await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username: `failing_${uniqueDigits(6)}` },
      });
      expect(answer.status).toBe(200);
    } finally {
      restore();
    }
    // Meta answers the reconciler's read with a 500 every time: the number stays due.
    world.sandbox.injectFault({ mode: "status", status: 500, count: 50 });
    const lines: string[] = [];
    const timer = startReconcilerTimer(100, (line) => lines.push(line));
    try {
      await vi.waitFor(() => expect(lines.some((line) => line.startsWith("reconciler:"))).toBe(true), {
        timeout: 10_000,
      });
    } finally {
      await timer.stop();
      world.sandbox.clearFaults();
    }
    const line = lines.find((l) => l.startsWith("reconciler:")) ?? "";
    expect(line).toMatch(
      /^reconciler: 0 of \d+ due number\(s\) settled, \d+ failed \(Meta could not be read/,
    );
    expect(line).not.toMatch(/ [1-9]\d* of \d+ due number\(s\) settled/);
    expect(await getIntent(phone.phoneNumberId)).toMatchObject({ unresolved: true });
  });

  it("runs every RECONCILE_INTERVAL_SECONDS (60 by default, 0 turns it off)", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "wau-config-"));
    try {
      expect(resolveLocalConfig({}, dataDir).reconcileIntervalMs).toBe(60_000);
      expect(resolveLocalConfig({ RECONCILE_INTERVAL_SECONDS: "0" }, dataDir).reconcileIntervalMs).toBe(0);
      expect(() => resolveLocalConfig({ RECONCILE_INTERVAL_SECONDS: "soon" }, dataDir)).toThrow(
        /RECONCILE_INTERVAL_SECONDS/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
