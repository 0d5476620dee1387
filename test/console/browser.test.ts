/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * local stack: `npm start`'s own parts (dev/local-stack.ts: gateway, Meta sandbox, event
 * pipeline, demo tenant) on this run's DynamoDB Local. A person's way through it, by keyboard
 * where it matters: a wrong key, signing in, the demo numbers, a name the format rules refuse
 * before anything is sent, Meta's suggestions, a claim that Meta (the sandbox) then approves while
 * the page is open, the history (who asked for each change, by the key's name), Meta's refusals
 * shown with their code and what to do, a force transfer confirmed by naming the number that loses
 * the name, 375 px, an axe-core pass; then the self-service pages: a webhook endpoint added (its
 * secret shown once, copied), a username change delivered to a receiver this test runs and shown
 * in the endpoint's delivery log, redelivered with the same webhook-id, the secret rotated (both
 * secrets verify during the overlap, only the new one after "stop the old secret now"), an
 * endpoint removed after a confirmation; API keys created (shown once), revoked, the last one
 * refused, this tab's own key revoked (signs out); those pages at 375 px with axe-core too; an unknown number's page (its refusal once, nothing to
 * act on); a username deleted after a confirmation; sign out. Every dialog gives the keyboard focus
 * back to what opened it (or, when the action removed that, to the page's heading, the list or the
 * outcome), and a completed action is announced once.
 *
 * Screenshots: written to docs/console.png, docs/console-375.png and docs/console-webhooks.png with
 * UPDATE_SCREENSHOTS=1 (commit them), else to a temporary folder.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page, Request } from "playwright-core";
import { WebhookVerificationError } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../dev/local-stack.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";
import {
  type ReceivedWebhook,
  startTenantEndpoint,
  type TenantEndpoint,
  verifiedEvent,
} from "../support/tenant-endpoint.ts";
import { type LaunchedBrowser, launchChromium } from "./chromium.ts";

/**
 * What functions evaluated in the page use of its globals (this file is compiled for Node, without
 * the DOM's types; the functions are sent to the page and run there).
 */
interface PageElement {
  id: string;
  textContent: string | null;
}
interface PageGlobals {
  document: {
    activeElement: PageElement | null;
    body: PageElement;
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): { length: number };
    documentElement: { scrollWidth: number; clientWidth: number };
  };
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIRST = "100000000000001";
const SECOND = "100000000000002";
/** Long enough for the page's 2 s poll on a loaded machine. */
const SEEN_WITHIN_MS = 20_000;

let stack: LocalStack;
let browser: LaunchedBrowser;
let page: Page;
let apiKey: string;
let screenshots: string;
/** The tenant's webhook receiver: a loopback HTTP server of this test (the local store takes http there). */
let receiver: TenantEndpoint;
const requests: Request[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    env: {
      ...randomLocalSecrets(),
      DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
      TABLE_NAME: `console-${Date.now().toString(36)}`,
      PORT: "0",
      META_SANDBOX_PORT: "0",
      RECONCILE_INTERVAL_SECONDS: "0",
    },
    dataDir: await mkdtemp(join(tmpdir(), "wau-console-data-")),
    print: () => undefined,
    gatewayLog: false,
  });
  if (!stack.seeded) throw new Error("the local stack did not seed the demo tenant");
  apiKey = stack.seeded.apiKey;
  screenshots = process.env.UPDATE_SCREENSHOTS
    ? join(ROOT, "docs")
    : await mkdtemp(join(tmpdir(), "wau-shots-"));
  receiver = await startTenantEndpoint("/hooks/console");
  receiver.answerWith(() => ({ status: 200, body: "received, thanks" }));
  browser = await launchChromium();
  // The copy buttons write to the clipboard; the test reads it back from the page.
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(SEEN_WITHIN_MS);
  page.on("request", (request) => requests.push(request));
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // Chromium reports a refused resource or inline code on the console (a 401 answer it logs too,
  // which is the page working as meant).
  page.on("console", (message) => {
    if (/Content Security Policy|Trusted Type|Refused to/i.test(message.text()))
      pageErrors.push(message.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await stack?.stop();
});

function sandbox(path: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.sandbox?.url}/__sandbox${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
}

/** The requests the page sent to the API since `from` (an index into `requests`). */
function apiRequestsSince(from: number, path: RegExp): Request[] {
  return requests.slice(from).filter((r) => path.test(new URL(r.url()).pathname));
}

/** axe-core in the page as it is: no serious or critical violation. */
async function expectAccessible(what: string): Promise<void> {
  const source = await readFile(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<unknown> } }
    ).axe;
    const result = (await axe.run((globalThis as unknown as PageGlobals).document, {
      resultTypes: ["violations"],
    })) as {
      violations: { id: string; impact: string; help: string; nodes: { html: string }[] }[];
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      node: v.nodes[0]?.html,
    }));
  });
  expect(
    violations.filter((v) => v.impact === "serious" || v.impact === "critical"),
    what,
  ).toEqual([]);
}

/** The receiver's requests of one event (its `webhook-id`). */
function deliveriesOf(eventId: string): ReceivedWebhook[] {
  return receiver.received().filter((request) => request.headers["webhook-id"] === eventId);
}

/** Whether `secret` verifies the request's signature (Standard Webhooks, as a tenant checks it). */
function verifies(secret: string, request: ReceivedWebhook | undefined): boolean {
  if (!request) throw new Error("no request to verify");
  try {
    verifiedEvent(secret, request);
    return true;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return false;
  }
}

/** The first request the receiver got whose event, verified with `secret`, gives a number `username`. */
function deliveryNaming(username: string, secret: string): ReceivedWebhook | undefined {
  return receiver
    .received()
    .find(
      (request) =>
        verifies(secret, request) &&
        (verifiedEvent(secret, request) as { data: { username?: string } }).data.username === username,
    );
}

/** The text of what the page has on the clipboard (written by a copy button). */
function clipboardText(): Promise<string> {
  return page.evaluate(() =>
    (
      globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
    ).navigator.clipboard.readText(),
  );
}

/** No sideways scrolling: the page is no wider than the viewport. */
async function expectNoSidewaysScroll(what: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    page: (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth,
    view: (globalThis as unknown as PageGlobals).document.documentElement.clientWidth,
  }));
  expect(widths.page, what).toBeLessThanOrEqual(widths.view);
}

/** The text of what has the keyboard focus ("<body>" for the page's body). */
function focusedText(): Promise<string> {
  return page.evaluate(() => {
    const { activeElement, body } = (globalThis as unknown as PageGlobals).document;
    if (activeElement === null) return "";
    if (activeElement === body) return "<body>";
    return (activeElement.textContent ?? "").trim();
  });
}

/** How many live regions (status, alert, aria-live) say `text` now: a screen reader reads each. */
function liveRegionsSaying(text: string): Promise<number> {
  return page.evaluate(
    (wanted) =>
      Array.from(
        (globalThis as unknown as PageGlobals).document.querySelectorAll(
          "[role=status], [role=alert], [aria-live]",
        ) as unknown as PageElement[],
      ).filter((region) => (region.textContent ?? "").includes(wanted)).length,
    text,
  );
}

/** What the API answers `key` on a read: 200 while it works, 401 once revoked. */
async function statusWithKey(key: string): Promise<number> {
  const answer = await fetch(`${stack.url}/v1/phone_numbers?limit=1`, { headers: { "x-api-key": key } });
  await answer.arrayBuffer();
  return answer.status;
}

describe("the console in Chromium, against npm start's stack", () => {
  it("loads from the API's own origin with its security headers, and no script error or CSP violation", async () => {
    const response = await page.goto(`${stack.url}/console/`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(headers["content-security-policy"]).toMatch(/frame-ancestors 'none'/);
    expect(headers["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["cache-control"]).toBe("no-cache");
    // Every file of the page came from this origin.
    for (const request of requests) expect(new URL(request.url()).origin).toBe(stack.url);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await expectAccessible("sign-in page");
    expect(pageErrors).toEqual([]);
  });

  it("refuses a malformed key before sending it, and shows the service's 190 for an unknown one", async () => {
    const before = requests.length;
    const input = page.getByLabel("API key");
    await input.fill("not-a-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("An API key is wau_ followed by 32").waitFor();
    expect(apiRequestsSince(before, /^\/v1\//)).toEqual([]);

    const unknown = `wau_${"A".repeat(32)}`;
    await input.fill(unknown);
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("This API key was not accepted").waitFor();
    expect(await alert.textContent()).toMatch(/Code 190/);
    expect(await alert.textContent()).toMatch(/unknown or was revoked/);
    const sent = apiRequestsSince(before, /^\/v1\//);
    expect(sent).toHaveLength(1);
    expect(await sent[0]?.headerValue("x-api-key")).toBe(unknown);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it("signs in by keyboard alone; the key stays out of URLs and localStorage", async () => {
    await page.goto(`${stack.url}/console/`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    // The heading has the focus; the key field is the next stop.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe(
      "api-key",
    );
    // Focus is visible: the focused field has an outline of its own.
    const outline = await page.evaluate(() => {
      const focused = (globalThis as unknown as PageGlobals).document.activeElement;
      const style = (
        globalThis as unknown as {
          getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string };
        }
      ).getComputedStyle(focused);
      return `${style.outlineStyle} ${style.outlineWidth}`;
    });
    expect(outline).toMatch(/^solid [1-9]/);
    await page.keyboard.type(apiKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Phone numbers" }).waitFor();
    for (const id of [FIRST, SECOND]) await page.locator(`tr[data-phone-number-id="${id}"]`).waitFor();
    expect(await page.locator(`tr[data-phone-number-id="${FIRST}"]`).textContent()).toContain("+15550100001");
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(["wau-console:api-key"]);
    for (const request of requests) expect(request.url()).not.toContain(apiKey);
    expect(page.url()).not.toContain(apiKey);
    await expectAccessible("numbers page");
  });

  it("checks the service's own username rules before sending, and shows the rule that failed", async () => {
    await page.getByRole("link", { name: "Manage +15550100001" }).click();
    await page.getByRole("heading", { name: "+15550100001" }).waitFor();
    const before = requests.length;
    const input = page.getByLabel("New username");
    for (const [name, rule] of [
      ["www.lucky_shrub", "must not start with www"],
      ["lucky_shrub.com", "must not end with a domain suffix"],
      ["lucky..shrub", "must not contain two periods in a row"],
      ["ab", "must be 3 to 35 characters long"],
    ] as const) {
      await input.fill(name);
      await input.press("Enter");
      await page.locator("#username-problem").getByText(rule).waitFor();
      expect(await input.getAttribute("aria-invalid")).toBe("true");
    }
    expect(apiRequestsSince(before, /\/username$/)).toEqual([]);
  });

  it("offers Meta's suggestions one click away, saying so while Meta is slow", async () => {
    // Meta answers slowly: the wait is shown, in a live region, and the buttons wait with it.
    expect((await sandbox("/delay", { ms: 1_500 })).status).toBeLessThan(300);
    await page.getByRole("button", { name: "Suggest names" }).click();
    await page
      .locator(".action-status[aria-live=polite]", { hasText: "Asking Meta for suggestions…" })
      .waitFor();
    expect(await page.getByRole("button", { name: "Claim username" }).isDisabled()).toBe(true);
    expect((await sandbox("/delay", { ms: 0 })).status).toBeLessThan(300);
    const suggestion = page.getByRole("button", { name: /^Use / }).first();
    await suggestion.waitFor();
    const name = ((await suggestion.textContent()) ?? "").replace(/^Use /, "");
    await suggestion.click();
    expect(await page.getByLabel("New username").inputValue()).toBe(name);
  });

  it("claims a name, and shows Meta's approval when the sandbox's Meta gives it, without a reload", async () => {
    const input = page.getByLabel("New username");
    await input.fill("lucky_shrub");
    await page.getByRole("button", { name: "Claim username" }).click();
    await page.locator(".notice-ok", { hasText: "Meta reserved lucky_shrub for this number." }).waitFor();
    await page.locator(".current-status .badge", { hasText: "reserved" }).waitFor();
    expect(await page.locator(".current-username").textContent()).toBe("lucky_shrub");

    const navigations = requests.filter((r) => r.isNavigationRequest()).length;
    expect((await sandbox(`/phones/${FIRST}/approve`)).status).toBe(200);
    await page.locator(".current-status .badge", { hasText: "approved" }).waitFor();
    await page.locator("#announcer", { hasText: "lucky_shrub is now approved" }).waitFor();
    // What the claim said of the pending name is no longer true: it goes with the approval.
    await page.locator(".notice-ok", { hasText: "Meta reserved lucky_shrub" }).waitFor({ state: "detached" });
    expect(requests.filter((r) => r.isNavigationRequest()).length).toBe(navigations);

    // A new attempt clears the outcome of the last one: no "reserved" beside a newer refusal.
    await input.fill("ab");
    await input.press("Enter");
    await page.locator("#username-problem").getByText("must be 3 to 35 characters long").waitFor();
    expect(await page.locator(".notice-ok").count()).toBe(0);
  });

  it("reads the history, newest first, with where each change came from", async () => {
    const rows = page.locator("table.history tbody tr");
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document.querySelectorAll("table.history tbody tr").length >=
        2,
    );
    const sources = await page
      .locator("table.history td.source")
      .evaluateAll((cells) => cells.map((cell) => cell.getAttribute("data-source")));
    expect(sources.slice(0, 2)).toEqual(["webhook", "api"]);
    expect(await rows.nth(0).textContent()).toMatch(/lucky_shrub → lucky_shrub.*approved.*Meta \(webhook\)/);
    expect(await rows.nth(1).textContent()).toMatch(/none → lucky_shrub.*reserved.*API request/);
    // Who made each change, in words; the key that asked by its name from the tenant's key list.
    const claimed = rows.nth(1).locator('td[data-label="Details"]');
    await claimed.getByText("Requested by: npm start demo (key_").waitFor();
    expect(await claimed.textContent()).toContain("Origin: Through this service");
    const table = (await page.locator("table.history").textContent()) ?? "";
    expect(table).not.toMatch(/this_service|Requested by: key_/);
  });

  it("shows Meta's refusals with their code and what to do", async () => {
    expect((await sandbox("/taken", { username: "taken_by_others" })).status).toBeLessThan(300);
    const input = page.getByLabel("New username");
    await input.fill("taken_by_others");
    await page.getByRole("button", { name: "Claim username" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("Claiming the username failed").waitFor();
    expect(await alert.textContent()).toMatch(/Code 147001/);
    expect(await alert.textContent()).toMatch(/Another business already uses this username/);

    // Meta down for one answer: the service's 502/503 envelope, code 2, "try again".
    expect((await sandbox("/faults", { mode: "status", status: 503, count: 1 })).status).toBeLessThan(300);
    await input.fill("lucky_shrub_two");
    await page.getByRole("button", { name: "Claim username" }).click();
    await alert.getByText(/Code (2|1)\b|HTTP 503/).waitFor();
    expect(await alert.textContent()).toMatch(/Try again/);
    await expectAccessible("number page with an error");
  });

  it("moves a name from another number of the portfolio only after a confirmation naming that number", async () => {
    await page.getByRole("link", { name: "All phone numbers" }).click();
    await page.getByRole("link", { name: "Manage +15550100002" }).click();
    await page.getByRole("heading", { name: "+15550100002" }).waitFor();
    await page.getByLabel("New username").fill("lucky_shrub");
    await page.getByRole("button", { name: "Claim username" }).click();
    const dialog = page.getByRole("dialog", { name: "Move lucky_shrub to this number?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("+15550100001 (id 100000000000001) holds lucky_shrub now");
    await expectAccessible("force-transfer confirmation");
    // The safe choice has the focus; Escape cancels and nothing is moved.
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent),
    ).toBe("Cancel");
    await page.keyboard.press("Escape");
    await page.locator(".notice-ok", { hasText: "lucky_shrub was not moved." }).waitFor();
    // Closed, the dialog gives the focus back to what opened it.
    expect(await focusedText()).toBe("Claim username");

    await page.getByRole("button", { name: "Claim username" }).click();
    await dialog.waitFor();
    const before = requests.length;
    await dialog.getByRole("button", { name: "Move lucky_shrub here" }).click();
    await page.locator(".current-username", { hasText: "lucky_shrub" }).waitFor();
    expect(await focusedText()).toBe("Claim username");
    const claims = apiRequestsSince(before, /\/username$/).filter((r) => r.method() === "POST");
    expect(claims.map((r) => JSON.parse(r.postData() ?? "{}"))).toEqual([
      { username: "lucky_shrub", transfer_action: "force_transfer" },
    ]);

    await page.getByRole("link", { name: "All phone numbers" }).click();
    const first = `tr[data-phone-number-id="${FIRST}"]`;
    await page.waitForFunction(
      (row) =>
        (globalThis as unknown as PageGlobals).document.querySelector(`${row} .username`)?.textContent ===
        "none",
      first,
    );
    // The number that lost it says why.
    expect(await page.locator(first).textContent()).toContain("Moved to another number");
  });

  it("fits 375 px without sideways scrolling, and is pictured for the README", async () => {
    await page.setViewportSize({ width: 1100, height: 860 });
    await page.locator(`tr[data-phone-number-id="${SECOND}"] .badge`).waitFor();
    await page.screenshot({ path: join(screenshots, "console.png") });
    await page.setViewportSize({ width: 375, height: 812 });
    for (const target of ["#/numbers", `#/numbers/${SECOND}`]) {
      await page.goto(`${stack.url}/console/${target}`);
      await page.locator("h1").waitFor();
      await page.locator(".badge").first().waitFor();
      const widths = await page.evaluate(() => ({
        page: (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth,
        view: (globalThis as unknown as PageGlobals).document.documentElement.clientWidth,
      }));
      expect(widths.page, target).toBeLessThanOrEqual(widths.view);
    }
    await page.screenshot({ path: join(screenshots, "console-375.png"), fullPage: true });
    await expectAccessible("number page at 375 px");
    const png = await readFile(join(screenshots, "console.png"));
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    console.info(`console screenshots in ${screenshots}`);
  });

  // The self-service pages. State one test leaves for the next, as a person's session would.
  let endpointId = "";
  let firstSecret = "";
  let rotatedSecret = "";
  let changeEventId = "";
  let signedInKey = "";

  it("adds a webhook endpoint: the service's refusal shown with its code, then the secret shown once and copied", async () => {
    await page.setViewportSize({ width: 1100, height: 860 });
    signedInKey = apiKey;
    await page
      .getByRole("navigation", { name: "Console sections" })
      .getByRole("link", { name: "Webhook endpoints" })
      .click();
    await page.getByRole("heading", { level: 1, name: "Webhook endpoints" }).waitFor();
    expect(page.url()).toMatch(/#\/webhooks$/);
    await page.getByText("No endpoint yet").waitFor();
    await expectAccessible("webhook endpoints page, empty");

    // What the browser can tell is checked before sending; nothing is sent.
    const before = requests.length;
    const url = page.getByLabel("URL");
    await url.fill("hooks.example.com/no-scheme");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page
      .locator("#endpoint-url-problem")
      .getByText("Enter a whole URL, starting with https://.")
      .waitFor();
    expect(await url.getAttribute("aria-invalid")).toBe("true");
    expect(apiRequestsSince(before, /^\/v1\/webhook_endpoints/).filter((r) => r.method() === "POST")).toEqual(
      [],
    );

    // What only the service knows (a private address) comes back as its code 100, naming the rule.
    await url.fill("https://10.1.2.3/hooks");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const alert = page.getByRole("alert");
    await alert.getByText("The endpoint was not added").waitFor();
    expect(await alert.textContent()).toMatch(/Code 100/);
    expect(await alert.textContent()).toMatch(/url must name a public host/);
    expect(await alert.textContent()).toMatch(/What to do:.*Correct it/);

    // The hint does not claim https only where the service also takes http: on a local stack, loopback.
    expect(await page.locator("#endpoint-url-hint").textContent()).toMatch(
      /local development stack \(npm start\) also takes http to localhost/,
    );
    await url.fill(receiver.url);
    // Every change by default; nothing chosen is refused before sending.
    const everyChange = page.getByRole("checkbox", { name: "Every change" });
    expect(await everyChange.isChecked()).toBe(true);
    expect(await page.getByRole("checkbox", { name: "Changes made outside this service" }).isChecked()).toBe(
      false,
    );
    await everyChange.uncheck();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByText("Choose at least one kind of change to receive.").waitFor();
    expect(
      apiRequestsSince(before, /^\/v1\/webhook_endpoints/).filter((r) => r.method() === "POST"),
    ).toHaveLength(1);
    await everyChange.check();

    const adding = requests.length;
    await page.getByLabel("Description").fill("browser test receiver");
    await page.keyboard.press("Enter");
    const panel = page.getByRole("region", { name: "Signing secret of the new endpoint" });
    await panel.waitFor();
    const [added] = apiRequestsSince(adding, /^\/v1\/webhook_endpoints$/).filter(
      (r) => r.method() === "POST",
    );
    expect(JSON.parse(added?.postData() ?? "{}")).toEqual({
      url: receiver.url,
      description: "browser test receiver",
      event_types: ["username.updated"],
    });
    await panel.getByText("Store it now: it will not be shown again.").waitFor();
    firstSecret = ((await panel.locator("code.secret").textContent()) ?? "").trim();
    expect(firstSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // The panel's heading has the focus: a keyboard or screen reader user lands on the secret.
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent),
    ).toBe("Signing secret of the new endpoint");
    await panel.getByRole("button", { name: "Copy the signing secret" }).click();
    await panel.getByText("Copied the signing secret to the clipboard.").waitFor();
    expect(await clipboardText()).toBe(firstSecret);

    const row = page.locator("tr[data-endpoint-id]", { hasText: "browser test receiver" });
    await row.waitFor();
    endpointId = (await row.getAttribute("data-endpoint-id")) ?? "";
    expect(endpointId).toMatch(/^ep_[0-9a-f]{20}$/);
    expect(await row.textContent()).toContain(receiver.url);
    expect(await row.locator("td.event-types").textContent()).toBe("every change");
    await expectAccessible("webhook endpoints page with a new secret");

    // Shown once: stored nowhere (no storage, no URL), gone once the person says it is stored.
    expect(page.url()).not.toContain(firstSecret);
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }))).not.toContain(
      "whsec_",
    );
    await panel.getByRole("button", { name: "I have stored it" }).click();
    await panel.waitFor({ state: "detached" });
    expect(await page.getByText(firstSecret).count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it("shows a username change delivered in the endpoint's log, and redelivers it with the same webhook-id", async () => {
    // A change of a number's username: the service's event goes to every endpoint of the tenant.
    const claim = await fetch(`${stack.url}/meta/whatsapp/v24.0/${FIRST}/username`, {
      method: "POST",
      headers: { "x-api-key": signedInKey, "content-type": "application/json" },
      body: JSON.stringify({ username: "webhook_shrub" }),
    });
    expect(claim.status).toBe(200);
    await claim.arrayBuffer();
    // It arrives signed with the secret the page showed.
    await expect
      .poll(() => deliveryNaming("webhook_shrub", firstSecret), { timeout: SEEN_WITHIN_MS })
      .toBeDefined();
    const first = deliveryNaming("webhook_shrub", firstSecret);
    changeEventId = first?.headers["webhook-id"] ?? "";
    expect(changeEventId).toMatch(/^evt_/);

    await page.getByRole("link", { name: "Manage browser test receiver" }).click();
    await page.getByRole("heading", { level: 1, name: receiver.url }).waitFor();
    expect(page.url()).toMatch(new RegExp(`#/webhooks/${endpointId}$`));
    const row = page.locator(`tr[data-event-id="${changeEventId}"]`);
    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="delivered"]`).waitFor();
    expect(await row.locator(".badge").textContent()).toBe("delivered");
    expect(await row.locator(".attempts").textContent()).toBe("1");
    expect(await row.textContent()).toMatch(/HTTP 200/);
    expect(await row.textContent()).toMatch(/Answer: received, thanks/);
    expect(await row.textContent()).toContain("username.updated");
    // Which change it was: the number and the username it got.
    expect(await row.getByTestId("delivery-change").textContent()).toMatch(/webhook_shrub/);
    await expectAccessible("webhook endpoint page with its delivery log");

    await row.getByRole("button", { name: `Redeliver event ${changeEventId}` }).click();
    await page.locator(".notice-ok", { hasText: `Event ${changeEventId} is being sent again` }).waitFor();
    // Said once: by the shell's announcer, not also by the notice on the page.
    await expect.poll(() => liveRegionsSaying(`Event ${changeEventId} is being sent again`)).toBe(1);
    await expect.poll(() => deliveriesOf(changeEventId).length, { timeout: SEEN_WITHIN_MS }).toBe(2);
    const [original, again] = deliveriesOf(changeEventId);
    expect(again?.body).toBe(original?.body);
    expect(verifies(firstSecret, again)).toBe(true);
    // The page looks again on its own while the redelivery is in flight, and shows it landed.
    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="delivered"]`).waitFor();
    expect(await row.locator(".attempts").textContent()).toBe("1");
  });

  it('rotates the secret: both verify during the 24 h overlap; after "stop the old secret now" only the new one', async () => {
    const dialog = page.getByRole("dialog", { name: "Rotate the signing secret?" });
    // Cancelled, nothing is rotated and the focus is back on the button that opened the dialog.
    await page.getByRole("button", { name: "Rotate secret…" }).click();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await focusedText()).toBe("Rotate secret…");
    await page.getByRole("button", { name: "Rotate secret…" }).click();
    await dialog.waitFor();
    expect(await dialog.getByLabel("Keep the old secret working for 24 hours").isChecked()).toBe(true);
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent),
    ).toBe("Cancel");
    await expectAccessible("rotation dialog");
    await dialog.getByRole("button", { name: "Rotate secret" }).click();
    const panel = page.getByRole("region", { name: "New signing secret" });
    await panel.waitFor();
    rotatedSecret = ((await panel.locator("code.secret").textContent()) ?? "").trim();
    expect(rotatedSecret).toMatch(/^whsec_/);
    expect(rotatedSecret).not.toBe(firstSecret);
    await panel.getByRole("button", { name: "Copy the signing secret" }).click();
    expect(await clipboardText()).toBe(rotatedSecret);
    expect(await panel.locator(".previous-secret").textContent()).toMatch(
      /previous secret still verifies deliveries until/,
    );
    const until = Date.parse((await panel.locator(".previous-secret time").getAttribute("datetime")) ?? "");
    const day = 24 * 3600 * 1000;
    expect(until).toBeGreaterThan(Date.now() + day - 10 * 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + day);
    // The endpoint's facts say it too, for whoever opens the page after the panel is gone.
    const previous = page.getByTestId("previous-secret");
    await previous.waitFor();
    expect(Date.parse((await previous.locator("time").getAttribute("datetime")) ?? "")).toBe(until);

    const row = page.locator(`tr[data-event-id="${changeEventId}"]`);
    await row.getByRole("button", { name: `Redeliver event ${changeEventId}` }).click();
    await expect.poll(() => deliveriesOf(changeEventId).length, { timeout: SEEN_WITHIN_MS }).toBe(3);
    const duringOverlap = deliveriesOf(changeEventId)[2];
    expect(verifies(rotatedSecret, duringOverlap)).toBe(true);
    expect(verifies(firstSecret, duringOverlap)).toBe(true);

    // The second rotation by keyboard alone: open, choose "stop now" among the radios, confirm.
    await page.getByRole("button", { name: "Rotate secret…" }).focus();
    await page.keyboard.press("Enter");
    await dialog.waitFor();
    const focused = () =>
      page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id);
    await page.keyboard.press("Shift+Tab");
    expect(await focused()).toBe("overlap-default");
    await page.keyboard.press("ArrowDown");
    expect(await focused()).toBe("overlap-none");
    expect(await dialog.getByLabel("Stop the old secret now").isChecked()).toBe(true);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(
      await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.textContent),
    ).toBe("Rotate secret");
    await page.keyboard.press("Enter");
    const second = page.locator(".notice-secret .previous-secret", {
      hasText: "The previous secret stopped at once",
    });
    await second.waitFor();
    const newest = ((await page.locator(".notice-secret code.secret").textContent()) ?? "").trim();
    expect(newest).not.toBe(rotatedSecret);
    await page.getByRole("button", { name: "I have stored it" }).click();

    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="delivered"]`).waitFor();
    await row.getByRole("button", { name: `Redeliver event ${changeEventId}` }).click();
    await expect.poll(() => deliveriesOf(changeEventId).length, { timeout: SEEN_WITHIN_MS }).toBe(4);
    const afterStop = deliveriesOf(changeEventId)[3];
    expect(verifies(newest, afterStop)).toBe(true);
    expect(verifies(rotatedSecret, afterStop)).toBe(false);
    expect(verifies(firstSecret, afterStop)).toBe(false);
    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="delivered"]`).waitFor();
    // The facts say when the secret was last rotated; the secret itself is on the page no more,
    // and no previous secret verifies after "stop the old secret now".
    expect(await page.locator("dl.facts").textContent()).not.toMatch(/never/);
    await expect.poll(() => page.getByTestId("previous-secret").count()).toBe(0);
    expect(await page.getByText("whsec_").count()).toBe(0);
    // Tall enough for the picture to reach the delivery log below the endpoint's settings.
    await page.setViewportSize({ width: 1100, height: 1500 });
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    await page.screenshot({ path: join(screenshots, "console-webhooks.png") });
    await page.setViewportSize({ width: 1100, height: 860 });
  });

  it("chooses what an endpoint receives, and removes one only after a confirmation", async () => {
    await page.getByRole("link", { name: "All webhook endpoints" }).click();
    await page.getByRole("heading", { level: 1, name: "Webhook endpoints" }).waitFor();
    await page.getByLabel("URL").fill(`${receiver.url}/second`);
    await page.getByRole("checkbox", { name: "Every change" }).uncheck();
    await page.getByRole("checkbox", { name: "Changes made outside this service" }).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByRole("region", { name: "Signing secret of the new endpoint" }).waitFor();
    const second = page.locator("tr[data-endpoint-id]", { hasText: `${receiver.url}/second` });
    await second.waitFor();
    expect(await second.locator("td.event-types").getAttribute("data-event-types")).toBe(
      "username.changed_outside",
    );
    expect(await second.locator("td.event-types").textContent()).toBe("changes made outside this service");
    const secondId = (await second.getAttribute("data-endpoint-id")) ?? "";
    await second.getByRole("link", { name: /^Manage/ }).click();
    await page.getByRole("heading", { level: 1, name: `${receiver.url}/second` }).waitFor();

    // The change this test made went through this service: not what this endpoint receives.
    const notReceived = page.locator(`tr[data-event-id="${changeEventId}"]`);
    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="not_subscribed"]`).waitFor();
    expect(await notReceived.locator(".badge").textContent()).toBe("not subscribed");
    expect(await notReceived.getByRole("button", { name: /Redeliver/ }).count()).toBe(0);

    const saving = requests.length;
    await page.getByRole("checkbox", { name: "Every change" }).check();
    await page.getByRole("button", { name: "Save what it receives" }).click();
    await page.locator(".notice-ok", { hasText: "This endpoint now receives every change" }).waitFor();
    await page.locator("dl.facts .event-types", { hasText: "every change" }).waitFor();
    // The log is read again: the event is one this endpoint receives now, and may be redelivered.
    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="not_attempted"]`).waitFor();
    await notReceived.getByRole("button", { name: `Redeliver event ${changeEventId}` }).waitFor();
    const [saved] = apiRequestsSince(saving, new RegExp(`^/v1/webhook_endpoints/${secondId}$`)).filter(
      (r) => r.method() === "POST",
    );
    expect(JSON.parse(saved?.postData() ?? "{}")).toEqual({
      event_types: ["username.updated", "username.changed_outside"],
    });
    await expectAccessible("an endpoint's page after choosing what it receives");

    // Changed elsewhere (another tab, the API) while this page shows the old types: the service
    // refuses the redelivery, and the page reads the endpoint and its log again, so what it offers
    // is what the endpoint receives now.
    const elsewhere = await fetch(`${stack.url}/v1/webhook_endpoints/${secondId}`, {
      method: "POST",
      headers: { "x-api-key": signedInKey, "content-type": "application/json" },
      body: JSON.stringify({ event_types: ["username.changed_outside"] }),
    });
    expect(elsewhere.status).toBe(200);
    await notReceived.getByRole("button", { name: `Redeliver event ${changeEventId}` }).click();
    await page.locator(".notice-error", { hasText: "was not sent again" }).waitFor();
    await page.locator("dl.facts .event-types", { hasText: "changes made outside this service" }).waitFor();
    await page.locator(`tr[data-event-id="${changeEventId}"][data-status="not_subscribed"]`).waitFor();
    expect(await notReceived.getByRole("button", { name: /Redeliver/ }).count()).toBe(0);

    await page.getByRole("button", { name: "Remove endpoint…" }).click();
    const dialog = page.getByRole("dialog", { name: "Remove this endpoint?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`${receiver.url}/second`);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await focusedText()).toBe("Remove endpoint…");
    const before = requests.length;
    await page.getByRole("button", { name: "Remove endpoint…" }).click();
    await dialog.getByRole("button", { name: "Remove endpoint" }).click();
    await page.locator("main").getByText("Endpoint removed: nothing more is sent to it").waitFor();
    // The button that opened the dialog is gone with the endpoint: the focus is on the page's heading.
    expect(await focusedText()).toBe(`${receiver.url}/second`);
    expect(
      apiRequestsSince(before, /^\/v1\/webhook_endpoints\//).map(
        (r) => `${r.method()} ${new URL(r.url()).pathname}`,
      ),
    ).toContain(`DELETE /v1/webhook_endpoints/${secondId}`);

    await page.getByRole("link", { name: "Back to your endpoints" }).click();
    await page.locator(`tr[data-endpoint-id="${endpointId}"]`).waitFor();
    expect(await page.locator(`tr[data-endpoint-id="${secondId}"]`).count()).toBe(0);
    // Its address now names nothing of this tenant: the service's code 33, and nothing else to do there.
    await page.goto(`${stack.url}/console/#/webhooks/${secondId}`);
    const alert = page.getByRole("alert");
    await alert.getByText("This endpoint could not be loaded").waitFor();
    expect(await alert.textContent()).toMatch(/Code 33/);
    expect(await alert.textContent()).toMatch(/It no longer exists/);
    expect(await page.getByRole("heading", { name: "Delivery log" }).count()).toBe(0);
  });

  it("creates an API key (shown once, copied) and revokes it; the service's refusal of the last key is shown", async () => {
    await page
      .getByRole("navigation", { name: "Console sections" })
      .getByRole("link", { name: "API keys" })
      .click();
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    const demo = page.locator("tr[data-key-id]", { hasText: "npm start demo" });
    await demo.waitFor();
    expect(await demo.getAttribute("data-status")).toBe("active");
    await expectAccessible("API keys page");

    // By keyboard: type the name, Enter; the panel's heading takes the focus, Tab reaches "Copy".
    await page.getByLabel("Name").focus();
    await page.keyboard.type("browser test key");
    await page.keyboard.press("Enter");
    const panel = page.getByRole("region", { name: "New API key: browser test key" });
    await panel.waitFor();
    const created = ((await panel.locator("code.secret").textContent()) ?? "").trim();
    expect(created).toMatch(/^wau_[A-Za-z0-9_-]{32}$/);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await panel.getByText("Copied the API key to the clipboard.").waitFor();
    expect(await clipboardText()).toBe(created);
    expect(await statusWithKey(created)).toBe(200);
    const row = page.locator("tr[data-key-id]", { hasText: "browser test key" });
    await row.waitFor();
    expect(await row.getAttribute("data-status")).toBe("active");
    expect(await row.locator('td[data-label="Last used"]').textContent()).toBe("not recorded");
    // Never a key in the list: only the panel shows it, and only until it is put away.
    expect(await page.locator("table.api-keys").textContent()).not.toContain("wau_");
    await panel.getByRole("button", { name: "I have stored it" }).click();
    expect(await page.getByText(created).count()).toBe(0);

    await row.getByRole("button", { name: /^Revoke…/ }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke browser test key?" });
    await dialog.waitFor();
    await expectAccessible("revocation dialog");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await focusedText()).toMatch(/^Revoke… browser test key \(key_/);
    await row.getByRole("button", { name: /^Revoke…/ }).click();
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await page.locator('tr[data-key-id][data-status="revoked"]', { hasText: "browser test key" }).waitFor();
    await page.locator(".notice-ok", { hasText: "is revoked" }).waitFor();
    // Its row's button went with the key's activity: the focus is on the list it was in.
    expect(await focusedText()).toBe("Your keys");
    expect(await statusWithKey(created)).toBe(401);
    // Still signed in: the key revoked was not this tab's.
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();

    // The demo key is the tenant's last active one now: the service refuses, and the page says so.
    await demo.getByRole("button", { name: /^Revoke…/ }).click();
    await page
      .getByRole("dialog", { name: "Revoke npm start demo?" })
      .getByRole("button", { name: "Revoke key" })
      .click();
    const alert = page.getByRole("alert");
    await alert.getByText("was not revoked").waitFor();
    const refusal = (await alert.textContent()) ?? "";
    expect(refusal).toMatch(/Code 100/);
    expect(refusal).toMatch(/Cannot revoke the tenant's last active API key: create another key first/);
    expect(refusal).toMatch(/What to do:.*always keeps one active key/);
    expect(await demo.getAttribute("data-status")).toBe("active");
    // Refused, the key's button is still there, and still has the focus.
    expect(await focusedText()).toMatch(/^Revoke… npm start demo/);
    expect(await statusWithKey(signedInKey)).toBe(200);

    // A key revoked while its panel is still open: the panel, which says it works, goes with it.
    await page.getByLabel("Name").fill("short-lived key");
    await page.getByRole("button", { name: "Create key" }).click();
    const shortLived = page.getByRole("region", { name: "New API key: short-lived key" });
    await shortLived.waitFor();
    await page
      .locator("tr[data-key-id]", { hasText: "short-lived key" })
      .getByRole("button", { name: /^Revoke…/ })
      .click();
    await page
      .getByRole("dialog", { name: "Revoke short-lived key?" })
      .getByRole("button", { name: "Revoke key" })
      .click();
    await page.locator('tr[data-key-id][data-status="revoked"]', { hasText: "short-lived key" }).waitFor();
    await shortLived.waitFor({ state: "detached" });
    expect(await page.getByText("It works at once").count()).toBe(0);
    expect(await focusedText()).toBe("Your keys");
  });

  it("signs out, saying why, when the key revoked is the one this tab is signed in with", async () => {
    await page.getByLabel("Name").fill("replacement");
    await page.getByRole("button", { name: "Create key" }).click();
    const panel = page.getByRole("region", { name: "New API key: replacement" });
    await panel.waitFor();
    const replacement = ((await panel.locator("code.secret").textContent()) ?? "").trim();
    await panel.getByRole("button", { name: "I have stored it" }).click();

    const demo = page.locator("tr[data-key-id]", { hasText: "npm start demo" });
    const replacementRow = page.locator("tr[data-key-id]", { hasText: "replacement" });
    // The service marks the key this tab's requests carry; the page says so on its row only.
    await demo.getByText("this tab is signed in with it").waitFor();
    await replacementRow.waitFor();
    expect(await replacementRow.getByText("this tab is signed in with it").count()).toBe(0);
    await demo.getByRole("button", { name: /^Revoke…/ }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke npm start demo?" });
    await dialog.getByText("This tab is signed in with this key").waitFor();
    await dialog.getByRole("button", { name: "Revoke key" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.locator("main").getByText("You revoked the API key this tab was signed in with").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await statusWithKey(signedInKey)).toBe(401);

    await page.getByLabel("API key").fill(replacement);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Signed in again, the tab is back where it was, and the list says what happened.
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.locator('tr[data-key-id][data-status="revoked"]', { hasText: "npm start demo" }).waitFor();
    await page.locator('tr[data-key-id][data-status="active"]', { hasText: "replacement" }).waitFor();
    await replacementRow.getByText("this tab is signed in with it").waitFor();
    signedInKey = replacement;
    expect(pageErrors).toEqual([]);
  });

  it("fits the self-service pages into 375 px without sideways scrolling, and passes axe-core there", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    for (const [target, ready] of [
      ["#/webhooks", `tr[data-endpoint-id="${endpointId}"]`],
      [`#/webhooks/${endpointId}`, `tr[data-event-id="${changeEventId}"] .badge`],
      ["#/api-keys", 'tr[data-key-id][data-status="revoked"]'],
    ] as const) {
      await page.goto(`${stack.url}/console/${target}`);
      await page.locator(ready).first().waitFor();
      await expectNoSidewaysScroll(target);
      await expectAccessible(`${target} at 375 px`);
    }
    // A secret shown once is one long word: it wraps rather than widen the page.
    await page.getByLabel("Name").fill("narrow screen");
    await page.getByRole("button", { name: "Create key" }).click();
    const panel = page.getByRole("region", { name: "New API key: narrow screen" });
    await panel.waitFor();
    await expectNoSidewaysScroll("a new key's panel at 375 px");
    await panel.getByRole("button", { name: "I have stored it" }).click();
    // The navigation reaches every section at this width too.
    for (const label of ["Phone numbers", "Webhook endpoints", "API keys"]) {
      expect(
        await page
          .getByRole("navigation", { name: "Console sections" })
          .getByRole("link", { name: label })
          .isVisible(),
      ).toBe(true);
    }
    await page.setViewportSize({ width: 1100, height: 860 });
  });

  it("shows an unknown number's refusal once, with nothing to act on below it", async () => {
    await page.setViewportSize({ width: 1100, height: 860 });
    const before = requests.length;
    await page.goto(`${stack.url}/console/#/numbers/999999999999999`);
    const alert = page.getByRole("alert");
    await alert.getByText("This phone number could not be loaded").waitFor();
    expect(await alert.textContent()).toMatch(/Code 33/);
    // The history's own refusal (asked for at the same time) would only repeat it: it is not shown.
    await expect.poll(() => apiRequestsSince(before, /\/username_history$/).length).toBeGreaterThan(0);
    await Promise.all(apiRequestsSince(before, /\/username_history$/).map((r) => r.response()));
    await page.locator("h1").waitFor();
    expect(await page.getByRole("alert").count()).toBe(1);
    for (const name of ["Claim or change the username", "Delete the username", "History"]) {
      expect(await page.getByRole("heading", { name }).count(), name).toBe(0);
    }
    expect(await page.getByRole("button", { name: "Suggest names" }).count()).toBe(0);
    expect(apiRequestsSince(before, /\/username$/)).toEqual([]);
    await page.getByRole("link", { name: "All phone numbers" }).waitFor();
  });

  it("says a number is loading, and offers no action until it is loaded; after a failure, its error and Refresh", async () => {
    const route = `**/v1/phone_numbers/${SECOND}`;
    const actions = () =>
      Promise.all(
        ["Claim username", "Suggest names", "Delete username…"].map((name) =>
          page.getByRole("button", { name }).count(),
        ),
      );
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(route, async (request) => {
      await held;
      await request.continue();
    });
    await page.goto(`${stack.url}/console/#/numbers/${SECOND}`);
    await page.getByRole("status").filter({ hasText: "Loading the phone number…" }).waitFor();
    expect(await actions()).toEqual([0, 0, 0]);
    release();
    await page.getByRole("button", { name: "Claim username" }).waitFor();
    expect(await actions()).toEqual([1, 1, 1]);
    await page.unroute(route);

    await page.route(route, (request) =>
      request.fulfill({
        status: 500,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            message: "An unexpected error occurred",
            type: "OAuthException",
            code: 1,
            is_transient: true,
          },
        }),
      }),
    );
    await page.goto(`${stack.url}/console/#/numbers`);
    await page.getByRole("heading", { level: 1, name: "Phone numbers" }).waitFor();
    await page.goto(`${stack.url}/console/#/numbers/${SECOND}`);
    const alert = page.getByRole("alert");
    await alert.getByText("This phone number could not be loaded").waitFor();
    expect(await actions()).toEqual([0, 0, 0]);
    await expectAccessible("a number that could not be loaded");
    await page.unroute(route);
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.getByRole("button", { name: "Claim username" }).waitFor();
    expect(await page.getByText("This phone number could not be loaded").count()).toBe(0);
  });

  it("deletes a username only after a confirmation, the focus back where it was or on the outcome", async () => {
    await page.goto(`${stack.url}/console/#/numbers/${FIRST}`);
    await page.locator(".current-username", { hasText: "webhook_shrub" }).waitFor();
    const open = page.getByRole("button", { name: "Delete username…" });
    const dialog = page.getByRole("dialog", { name: "Delete webhook_shrub?" });
    await open.click();
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await focusedText()).toBe("Delete username…");
    await open.click();
    await dialog.getByRole("button", { name: "Delete the username" }).click();
    await page.locator(".current-username", { hasText: "none" }).waitFor();
    // Nothing is left to delete (its button is disabled): the focus is on what happened.
    await expect.poll(focusedText).toBe("Meta deleted the username of this number.");
  });

  it("signs out: the key leaves the tab", async () => {
    await page.setViewportSize({ width: 1100, height: 860 });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // Everything the page ever loaded or called came from the API's own origin.
    expect(new Set(requests.map((r) => new URL(r.url()).origin))).toEqual(new Set([stack.url]));
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
