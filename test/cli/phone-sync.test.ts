/**
 * Drift repair and the one-record rule through the admin CLI, against DynamoDB Local and the Meta
 * sandbox over HTTP: `phone sync <id>` and `phone sync --all` record Meta's state with source
 * `reconcile` where it differs, with progress on stderr; `phone add` refuses a WABA id + display
 * number another record has, without naming that record's tenant.
 */
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin-cli.ts";
import { seedPhone, seedTenant, storedState, uniqueDigits, useWorld } from "../support/world.ts";

const world = useWorld();

let counter = 0;
const uniqueName = () => `sync_${++counter}_${uniqueDigits(6)}`;

describe("phone sync", () => {
  it("<id>: records Meta's state where it differs, then finds nothing to do", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const name = uniqueName();
    world.sandbox.updatePhone(phone.phoneNumberId, { username: name, status: "approved" });

    const first = await admin(["phone", "sync", phone.phoneNumberId, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({
      phoneNumberId: phone.phoneNumberId,
      result: "recorded",
      drift: { recorded: {}, actual: { username: name, status: "approved" } },
    });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: name, status: "approved", source: "reconcile" });
    expect(history).toHaveLength(1);

    const again = await admin(["phone", "sync", phone.phoneNumberId]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("matches Meta");
    expect((await storedState(phone.phoneNumberId)).history).toHaveLength(1);
  });

  it("--all: every number, paced, with progress on stderr and one JSON document on stdout", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all(Array.from({ length: 3 }, () => seedPhone(world, tenant)));
    const drifted = phones[1];
    world.sandbox.updatePhone(drifted?.phoneNumberId ?? "", { username: uniqueName(), status: "reserved" });

    const started = Date.now();
    const run = await admin(["phone", "sync", "--all", "--rate", "20", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.phones).toBeGreaterThanOrEqual(3);
    expect(run.json.failed).toEqual([]);
    expect(run.json.recorded).toBeGreaterThanOrEqual(1);
    // 20 per second at most: n numbers take at least (n - 1) / 20 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(((run.json.phones - 1) / 20) * 1000 - 50);
    expect(run.stderr).toMatch(
      new RegExp(`\\[\\d+/${run.json.phones}\\] ${drifted?.phoneNumberId}: was \\(none\\)`),
    );
    for (const phone of phones) {
      const meta = world.sandbox.getPhone(phone.phoneNumberId);
      expect((await storedState(phone.phoneNumberId)).phone?.username).toBe(meta?.username);
    }
  });

  it("refuses both or neither of <id> and --all, and a bad --rate (usage, exit 2)", async () => {
    for (const args of [
      ["phone", "sync"],
      ["phone", "sync", "123456", "--all"],
      ["phone", "sync", "--all", "--rate", "0"],
    ]) {
      const run = await admin(args);
      expect(run.code, args.join(" ")).toBe(2);
    }
  });

  it("fails (exit 1) when Meta cannot be read, and says why", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    world.sandbox.injectFault({ mode: "status", status: 500, path: phone.phoneNumberId, count: 10 });
    const run = await admin(["phone", "sync", phone.phoneNumberId]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`could not sync ${phone.phoneNumberId}`);
  });

  it("names the upstream it could not reach (origin only) and where that URL comes from", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const configured = process.env.META_GRAPH_URL;
    // Nothing listens on port 9 (discard) on loopback.
    process.env.META_GRAPH_URL = "http://127.0.0.1:9";
    try {
      const run = await admin(["phone", "sync", phone.phoneNumberId]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `could not sync ${phone.phoneNumberId}: code 2 (Meta at http://127.0.0.1:9 `,
      );
      expect(run.stderr).toContain("META_SANDBOX_PORT");
      expect(run.stderr).toContain("META_GRAPH_URL");
      expect(run.stderr).not.toContain(phone.accessToken);
    } finally {
      if (configured === undefined) delete process.env.META_GRAPH_URL;
      else process.env.META_GRAPH_URL = configured;
    }
  });
});

describe("phone add: one Meta number, one record", () => {
  it("refuses a WABA id + display number another record has, without naming its tenant", async () => {
    const owner = await seedTenant();
    const phone = await seedPhone(world, owner);
    const other = await seedTenant();
    const run = await admin(
      [
        "phone",
        "add",
        "--tenant",
        other.tenantId,
        "--phone-number-id",
        uniqueDigits(15),
        "--waba-id",
        phone.wabaId,
        "--business-id",
        uniqueDigits(15),
        "--display-phone-number",
        `+${phone.displayPhoneNumber.slice(0, 1)} ${phone.displayPhoneNumber.slice(1)}`,
      ],
      { stdin: "EAAG-other-token" },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("already registered under another phone number id");
    expect(run.stderr).not.toContain(owner.tenantId);
    expect(run.stderr).not.toContain(phone.phoneNumberId);
  });
});
