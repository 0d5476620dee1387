/**
 * Debian's Chromium (`apt-get install chromium`, /usr/bin/chromium) driven by playwright-core,
 * for the console's browser test and the bench's first-render figure. Playwright's own browser
 * download is not used: the package is only the driver. Each launch gets a fresh profile
 * (`--user-data-dir` in a temporary folder, removed on close) and the flags that keep Chromium
 * from reaching any network but loopback on its own.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Where Debian's package puts it; `CHROMIUM_PATH` names another. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Starts Chromium with a fresh profile; fails with the install command when it is missing. */
export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get update && apt-get install -y chromium), ` +
        "as .ci/run does, or set CHROMIUM_PATH",
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "wau-chromium-"));
  // Playwright passes the profile as --user-data-dir itself (a persistent context).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1100, height: 860 },
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
