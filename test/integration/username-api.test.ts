import { describe, expect, it } from "vitest";
import { callUsernameApi } from "../support/username-client.ts";
import { seedPhone, seedTenant, storedState, useWorld } from "../support/world.ts";

const world = useWorld();

describe("GET /{phone_number_id}/username", () => {
  it("passes Meta's answer through and records it as the current state with a history event", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant, { username: "lucky_shrub", status: "reserved" });

    const answer = await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ username: "lucky_shrub", status: "reserved" });
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    const [request] = world.sandbox.requests();
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe(`/v24.0/${phone.phoneNumberId}/username`);
    expect(request?.headers.authorization).toBe(`Bearer ${phone.accessToken}`);

    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: "lucky_shrub", status: "reserved", source: "api", version: 1 });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      source: "api",
      username: "lucky_shrub",
      status: "reserved",
      version: 1,
    });
    expect(history[0]?.previousUsername).toBeUndefined();
  });

  it("adds no history when Meta's answer equals the stored state", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant, { username: "same_name", status: "approved" });
    await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    const { history } = await storedState(phone.phoneNumberId);
    expect(history).toHaveLength(1);
  });

  it("clears the stored username when Meta answers without one", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant, { username: "going_away", status: "approved" });
    await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });
    world.sandbox.updatePhone(phone.phoneNumberId, { username: null, status: null });

    const answer = await callUsernameApi("get", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expect(answer.json).toEqual({});
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.username).toBeUndefined();
    expect(stored?.status).toBeUndefined();
    expect(history.map((e) => [e.previousUsername, e.username])).toEqual([
      [undefined, "going_away"],
      ["going_away", undefined],
    ]);
  });

  it("accepts the key as Authorization: Bearer and forwards the version unchanged", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const answer = await callUsernameApi("get", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      bearer: true,
      version: "v23.0",
    });
    expect(answer.status).toBe(200);
    expect(world.sandbox.requests()[0]?.path).toBe(`/v23.0/${phone.phoneNumberId}/username`);
    // The tenant's API key never travels to Meta: only the phone's own token does.
    expect(world.sandbox.requests()[0]?.headers.authorization).toBe(`Bearer ${phone.accessToken}`);
  });
});

describe("GET /{phone_number_id}/username_suggestions", () => {
  it("passes Meta's suggestions through byte for byte and records nothing", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const answer = await callUsernameApi("suggestions", phone.phoneNumberId, { apiKey: tenant.apiKey });
    expect(answer.status).toBe(200);
    expect(answer.json.data[0].username_suggestions.length).toBeGreaterThan(0);
    expect(world.sandbox.requests()[0]?.path).toBe(`/v24.0/${phone.phoneNumberId}/username_suggestions`);
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.version).toBe(0);
    expect(history).toEqual([]);
  });
});

describe("POST /{phone_number_id}/username", () => {
  it("forwards only username and transfer_action, and records the requested name with Meta's status", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);

    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: "Shrub_Claims", transfer_action: "none", extra: "dropped", access_token: "nope" },
    });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "reserved" });
    const [request] = world.sandbox.requests();
    expect(request?.method).toBe("POST");
    expect(JSON.parse(request?.body ?? "")).toEqual({ username: "Shrub_Claims", transfer_action: "none" });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: "Shrub_Claims", status: "reserved", source: "api" });
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ username: "Shrub_Claims", status: "reserved", source: "api" });
    expect(history[0]?.requestId).toEqual(expect.any(String));
  });

  it("records approved when Meta approves at once, and the old name as previous on a change", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant, { approveImmediately: true });
    await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: "first_name" },
    });
    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: "second_name" },
    });
    expect(answer.json).toEqual({ status: "approved" });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored).toMatchObject({ username: "second_name", status: "approved", version: 2 });
    expect(history[1]).toMatchObject({
      previousUsername: "first_name",
      previousStatus: "approved",
      username: "second_name",
      status: "approved",
    });
  });
});

describe("DELETE /{phone_number_id}/username", () => {
  it("records deleted and clears the name when Meta answers success:true", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: "short_lived" },
    });

    const answer = await callUsernameApi("delete", phone.phoneNumberId, { apiKey: tenant.apiKey });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ success: true });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.username).toBeUndefined();
    expect(stored?.status).toBe("deleted");
    expect(history.at(-1)).toMatchObject({
      previousUsername: "short_lived",
      previousStatus: "reserved",
      status: "deleted",
      source: "api",
    });
    expect(history.at(-1)?.username).toBeUndefined();
  });

  it("changes nothing when Meta answers success:false", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const answer = await callUsernameApi("delete", phone.phoneNumberId, { apiKey: tenant.apiKey });
    expect(answer.json).toEqual({ success: false });
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(stored?.version).toBe(0);
    expect(history).toEqual([]);
  });
});

describe("concurrent requests", () => {
  it("never lose an update: every success is in history, versions are contiguous, state = newest event", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const names = Array.from({ length: 12 }, (_, i) => `race_name_${i}`);

    const answers = await Promise.all(
      names.map((username) =>
        // What is checked is that no update is lost, not how fast 12 turns pass on a loaded
        // machine: each request may wait for its turn as long as it needs.
        callUsernameApi("claim", phone.phoneNumberId, {
          apiKey: tenant.apiKey,
          body: { username },
          remainingMs: 120_000,
        }),
      ),
    );

    expect(answers.map((a) => a.status)).toEqual(names.map(() => 200));
    const { phone: stored, history } = await storedState(phone.phoneNumberId);
    expect(history.map((e) => e.version)).toEqual(names.map((_, i) => i + 1));
    expect(new Set(history.map((e) => e.username))).toEqual(new Set(names));
    for (let i = 1; i < history.length; i++) {
      expect(history[i]?.previousUsername).toBe(history[i - 1]?.username);
    }
    expect(stored?.username).toBe(history.at(-1)?.username);
    expect(stored?.version).toBe(names.length);
  });
});
