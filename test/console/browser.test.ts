/**
 * The console in a real browser (Debian's Chromium, driven by playwright-core) against the real
 * local stack: `npm start`'s own parts (dev/local-stack.ts: gateway, Meta sandbox, event
 * pipeline, demo tenant) on this run's DynamoDB Local. A person's way through it, by keyboard
 * where it matters: a wrong key, signing in, the demo numbers, a name the format rules refuse
 * before anything is sent, Meta's suggestions, a claim that Meta (the sandbox) then approves while
 * the page is open, the history, Meta's refusals shown with their code and what to do, a force
 * transfer confirmed by naming the number that loses the name, 375 px, an axe-core pass, sign out.
 *
 * Screenshots: written to docs/console.png and docs/console-375.png with UPDATE_SCREENSHOTS=1
 * (commit them), else to a temporary folder.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../dev/local-stack.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";
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
  browser = await launchChromium();
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
    expect(requests.filter((r) => r.isNavigationRequest()).length).toBe(navigations);
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

    await page.getByRole("button", { name: "Claim username" }).click();
    await dialog.waitFor();
    const before = requests.length;
    await dialog.getByRole("button", { name: "Move lucky_shrub here" }).click();
    await page.locator(".current-username", { hasText: "lucky_shrub" }).waitFor();
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
