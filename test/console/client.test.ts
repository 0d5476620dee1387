/**
 * The console's logic without a browser: its API client (the key in a header, never a URL; the
 * exact bodies of the contract; Graph errors turned into what a person reads), the advice table,
 * the format check (the service's own rules), the holder of a name in a force transfer, the key's
 * storage for the tab, the hash routes, and a change's origin and requester in words.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createConsoleApi, type PhoneNumber, type UsernameChangeData } from "../../console/src/api/client.ts";
import { ApiError, adviceFor, GRAPH_ADVICE } from "../../console/src/api/errors.ts";
import { requesterLabel, tenantApiKeys } from "../../console/src/api-keys.ts";
import { originLabel } from "../../console/src/format.ts";
import { parseRoute } from "../../console/src/routes.ts";
import { API_KEY_PATTERN, SESSION_STORAGE_ENTRY, tabKeyStore } from "../../console/src/session.ts";
import {
  changeDetails,
  findHolder,
  holderLabel,
  statusChanges,
  usernameProblem,
} from "../../console/src/usernames.ts";
import { brokenUsernameRule } from "../../functions/core/validation/username-format.ts";
import { fakeFetch, json } from "./fake-fetch.ts";

const KEY = `wau_${"k".repeat(32)}`;
const BASE = "http://console.test";

const number = (id: string, username?: string, status?: string): PhoneNumber => ({
  id,
  display_phone_number: `1555${id.slice(-7)}`,
  waba_id: "200000000000001",
  business_id: "300000000000001",
  ...(username ? { username } : {}),
  ...(status ? { username_status: status } : {}),
});

describe("the console's API client", () => {
  it("sends the key as X-API-Key only, and the contract's exact bodies", async () => {
    const { sent, fetch } = fakeFetch((request) =>
      request.method === "DELETE"
        ? json(200, { success: true })
        : request.url.pathname.endsWith("/username")
          ? json(200, { status: "reserved" })
          : json(200, { data: [], paging: { cursors: {} } }),
    );
    const api = createConsoleApi(KEY, { baseUrl: BASE, fetch });
    await api.listPhoneNumbers({ after: "abc" }, 10);
    expect(await api.claimUsername("100000000000001", "lucky_shrub", "force_transfer")).toEqual({
      status: "reserved",
    });
    expect(await api.deleteUsername("100000000000001")).toBe(true);
    expect(sent.map((s) => `${s.method} ${s.url.pathname}${s.url.search}`)).toEqual([
      "GET /v1/phone_numbers?limit=10&after=abc",
      "POST /meta/whatsapp/v24.0/100000000000001/username",
      "DELETE /meta/whatsapp/v24.0/100000000000001/username",
    ]);
    expect(JSON.parse(sent[1]?.body ?? "")).toEqual({
      username: "lucky_shrub",
      transfer_action: "force_transfer",
    });
    for (const request of sent) {
      expect(request.headers.get("x-api-key")).toBe(KEY);
      expect(request.url.href).not.toContain(KEY);
      expect(request.headers.get("authorization")).toBeNull();
    }
  });

  it("flattens Meta's suggestions", async () => {
    const { fetch } = fakeFetch(() =>
      json(200, { data: [{ username_suggestions: ["a_1", "a_2"] }, { username_suggestions: ["a_3"] }] }),
    );
    expect(await createConsoleApi(KEY, { baseUrl: BASE, fetch }).usernameSuggestions("1")).toEqual([
      "a_1",
      "a_2",
      "a_3",
    ]);
  });

  it("turns a Graph error envelope into an ApiError with its code, trace id and retry-after", async () => {
    const { fetch } = fakeFetch(() =>
      json(
        429,
        { error: { message: "(#4) Too many calls", type: "OAuthException", code: 4, fbtrace_id: "Abc123" } },
        { "retry-after": "17" },
      ),
    );
    const failure = await createConsoleApi(KEY, { baseUrl: BASE, fetch })
      .usernameSuggestions("1")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({
      status: 429,
      code: 4,
      traceId: "Abc123",
      retryAfterSeconds: 17,
      transient: true,
    });
    expect(adviceFor(failure as ApiError)).toBe(
      "Too many requests to Meta for your business. Wait 17 seconds, then try again.",
    );
  });

  it("says whose limit a 429 is: the service's on its own routes (/v1), Meta's only on the username routes", async () => {
    const { fetch } = fakeFetch(() =>
      json(
        429,
        {
          error: {
            message: "(#4) Application request limit reached",
            type: "OAuthException",
            code: 4,
            is_transient: true,
            error_data: {
              messaging_product: "whatsapp",
              details: "at most 300 requests to /v1 per minute per tenant",
            },
          },
        },
        { "retry-after": "17" },
      ),
    );
    const api = createConsoleApi(KEY, { baseUrl: BASE, fetch });
    const failure = (call: Promise<unknown>) => call.catch((error: unknown) => error) as Promise<ApiError>;
    const reads = [api.getPhoneNumber("1"), api.listUsernameHistory("1"), api.listPhoneNumbers()].map(
      failure,
    );
    for (const read of reads) {
      expect(adviceFor(await read)).toBe(
        "Too many requests to the service for your business. Wait 17 seconds, then try again.",
      );
    }
    const metaCalls = [api.claimUsername("1", "a_b", "none"), api.deleteUsername("1")].map(failure);
    for (const metaCall of metaCalls) {
      expect(adviceFor(await metaCall)).toBe(
        "Too many requests to Meta for your business. Wait 17 seconds, then try again.",
      );
    }
  });

  it("says so when no answer arrives, and when the answer is not an envelope", async () => {
    const down = createConsoleApi(KEY, {
      baseUrl: BASE,
      fetch: (async () => {
        throw new TypeError("fetch failed");
      }) as typeof globalThis.fetch,
    });
    const failure = (await down.getPhoneNumber("1").catch((error: unknown) => error)) as ApiError;
    expect(failure).toMatchObject({ status: 0, transient: true });
    expect(adviceFor(failure)).toMatch(/connection/);
    const { fetch } = fakeFetch(() => new Response("<html>bad gateway</html>", { status: 502 }));
    const garbled = (await createConsoleApi(KEY, { baseUrl: BASE, fetch })
      .getPhoneNumber("1")
      .catch((error: unknown) => error)) as ApiError;
    expect(garbled).toMatchObject({ status: 502, code: undefined, transient: true });
    expect(adviceFor(garbled)).toBe(GRAPH_ADVICE[2]);
  });
});

describe("advice for Graph codes", () => {
  it.each([100, 147001, 147002, 147003, 147004, 147005, 33, 190, 4, 2, 1])(
    "has its own for code %i",
    (code) => {
      const advice = adviceFor(new ApiError({ status: 400, message: "x", code }));
      expect(advice).toBe(GRAPH_ADVICE[code]);
      expect(advice.length).toBeGreaterThan(20);
    },
  );

  it("says what to do about HTTP 429 without a code, and about a code it does not know", () => {
    expect(adviceFor(new ApiError({ status: 429, message: "x" }))).toBe(GRAPH_ADVICE[4]);
    expect(adviceFor(new ApiError({ status: 400, message: "x", code: 131009 }))).toMatch(/Meta's own/);
  });
});

describe("the format check before sending", () => {
  it("refuses exactly what the service's own rule module refuses, naming the rule (property)", () => {
    const alphabet = fc.constantFrom(..."abcXYZ019._-w.@ é".split(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 40 })), (name) => {
        const rule = brokenUsernameRule(name);
        expect(usernameProblem(name)).toBe(rule ? `The username ${rule.message}.` : undefined);
      }),
    );
    expect(usernameProblem("lucky_shrub")).toBeUndefined();
    expect(usernameProblem("www.lucky")).toMatch(/must not start with www/);
  });
});

describe("the holder of a name in a force transfer", () => {
  it("is found on any page of the tenant's numbers, by name without case, never the number itself", async () => {
    const pages = [
      {
        data: [number("1", "lucky_shrub", "approved"), number("2")],
        paging: { cursors: { after: "p2" }, next: "x" },
      },
      { data: [number("3", "Other"), number("4", "LUCKY_SHRUB", "approved")], paging: { cursors: {} } },
    ];
    const api = {
      listPhoneNumbers: async (cursor?: { after?: string }) => (cursor?.after === "p2" ? pages[1] : pages[0]),
    } as Parameters<typeof findHolder>[0];
    expect((await findHolder(api, "lucky_shrub", "1"))?.id).toBe("4");
    expect(await findHolder(api, "nobody", "1")).toBeUndefined();
    expect(holderLabel(number("4000000"))).toBe("+15554000000 (id 4000000)");
    expect(holderLabel(undefined)).toBe("another number of your business portfolio");
  });

  it("announces what changed between two loads", () => {
    expect(
      statusChanges(
        [number("1", "a_b", "reserved"), number("2")],
        [number("1", "a_b", "approved"), number("2")],
      ),
    ).toEqual(["+15551: a_b is now approved."]);
  });
});

describe("who made a change, in the history", () => {
  it("says the origin in words, a change from before origins were recorded as not recorded", () => {
    expect(originLabel("this_service")).toBe("Through this service");
    expect(originLabel("outside")).toBe("Outside this service (someone else or Meta)");
    expect(originLabel("unknown")).toBe("Not recorded");
    // A value the service adds later is shown as it is, rather than hidden.
    expect(originLabel("partner_api")).toBe("partner_api");
  });

  it("names the key that asked by its name where the tenant's key list knows it, else by its id", () => {
    const keys = [
      { id: "key_71e3aa", name: "billing service", created_time: "", status: "active" as const },
      { id: "key_0000bb", created_time: "", status: "revoked" as const },
    ];
    expect(requesterLabel("key_71e3aa", keys)).toBe("billing service (key_71e3aa)");
    expect(requesterLabel("key_0000bb", keys)).toBe("key_0000bb");
    expect(requesterLabel("key_ffffff", keys)).toBe("key_ffffff");
    expect(requesterLabel("key_71e3aa", undefined)).toBe("key_71e3aa");
  });

  it("names the other number of a transfer by its id, saying it is an id (the event has no display number for it)", () => {
    const change = (over: Partial<UsernameChangeData>): UsernameChangeData => ({
      phone_number_id: "100000000000001",
      waba_id: "200000000000001",
      display_phone_number: "15550100001",
      previous: {},
      source: "transfer",
      origin: "this_service",
      ...over,
    });
    expect(changeDetails(change({ transferred_to: "100000000000002" }), undefined)).toContainEqual([
      "Moved to",
      "phone number id 100000000000002",
    ]);
    expect(
      changeDetails(change({ username: "lucky_shrub", transferred_from: "100000000000002" }), undefined),
    ).toContainEqual(["Taken from", "phone number id 100000000000002"]);
    expect(changeDetails(change({ source: "api", requested_by: "key_71e3aa" }), undefined)).toEqual([
      ["Origin", "Through this service"],
      ["Requested by", "key_71e3aa"],
    ]);
  });

  it("reads the tenant's keys page by page, 100 at a time, up to a limit", async () => {
    const { sent, fetch } = fakeFetch((request) => {
      const after = Number(request.url.searchParams.get("after") ?? "0");
      return json(200, {
        data: [{ id: `key_${after}`, created_time: "", status: "active" }],
        paging: { cursors: { after: String(after + 1) }, next: `${BASE}/v1/api_keys?after=${after + 1}` },
      });
    });
    const api = createConsoleApi(KEY, { baseUrl: BASE, fetch });
    expect((await tenantApiKeys(api, 3)).map((key) => key.id)).toEqual(["key_0", "key_1", "key_2"]);
    expect(sent.map((request) => request.url.searchParams.get("limit"))).toEqual(["100", "100", "100"]);
  });
});

describe("the key's place", () => {
  /** A Storage of its own (this tab's sessionStorage in the browser). */
  function memoryStorage(): Storage & { entries: Map<string, string> } {
    const entries = new Map<string, string>();
    return {
      entries,
      get length() {
        return entries.size;
      },
      clear: () => entries.clear(),
      getItem: (key) => entries.get(key) ?? null,
      key: (i) => [...entries.keys()][i] ?? null,
      removeItem: (key) => void entries.delete(key),
      setItem: (key, value) => void entries.set(key, value),
    };
  }

  it("is the tab's storage: kept across a reload of the tab, forgotten on sign out", () => {
    const storage = memoryStorage();
    const store = tabKeyStore(storage);
    expect(store.get()).toBeUndefined();
    store.set(KEY);
    expect([...storage.entries]).toEqual([[SESSION_STORAGE_ENTRY, KEY]]);
    expect(tabKeyStore(storage).get()).toBe(KEY);
    store.clear();
    expect(storage.length).toBe(0);
    expect(store.get()).toBeUndefined();
  });

  it("stays in memory when the browser refuses storage", () => {
    const refusing = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    } as unknown as Storage;
    const store = tabKeyStore(refusing);
    store.set(KEY);
    expect(store.get()).toBe(KEY);
    store.clear();
    expect(store.get()).toBeUndefined();
  });

  it("accepts only the service's key format", () => {
    expect(API_KEY_PATTERN.test(KEY)).toBe(true);
    expect(API_KEY_PATTERN.test(`${KEY}x`)).toBe(false);
    expect(API_KEY_PATTERN.test("wau_short")).toBe(false);
  });
});

describe("hash routes", () => {
  it("name a section and what is under it; anything else is the first section", () => {
    const sections = ["numbers", "webhooks"];
    expect(parseRoute("#/numbers/100000000000001", sections)).toEqual({
      section: "numbers",
      rest: ["100000000000001"],
    });
    expect(parseRoute("#/webhooks", sections)).toEqual({ section: "webhooks", rest: [] });
    expect(parseRoute("", sections)).toEqual({ section: "numbers", rest: [] });
    expect(parseRoute("#/main", sections)).toEqual({ section: "numbers", rest: [] });
    expect(parseRoute("#/numbers/%E0%A4%A", sections).rest).toEqual(["%E0%A4%A"]);
  });
});

describe("the console's sources", () => {
  it("never write HTML from a string, and load nothing from another origin", async () => {
    const root = fileURLToPath(new URL("../../console/", import.meta.url));
    const sources = (await readdir(join(root, "src"), { recursive: true }))
      .filter((file) => /\.(tsx?|css|html)$/.test(file) && !file.endsWith(".d.ts"))
      .map((file) => join(root, "src", file));
    expect(sources.length).toBeGreaterThan(10);
    for (const file of [...sources, join(root, "index.html")]) {
      const text = await readFile(file, "utf8");
      expect(text, file).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|dangerouslySetInnerHTML/,
      );
      expect(text, file).not.toMatch(
        /(src|href)\s*=\s*["']?(https?:)?\/\/|@import|url\(\s*["']?(https?:)?\/\//,
      );
      expect(text, file).not.toMatch(/\blocalStorage\s*[.[]/);
    }
  });
});
