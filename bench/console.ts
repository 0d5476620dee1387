/**
 * 9. Console. The tenant console's weight and first render:
 *
 * - its JavaScript and CSS as built (console/build.ts, Vite): bytes, and gzip-compressed bytes
 *   (level 9, as the precompressed `.gz` the console's function sends; brotli beside it). Budget:
 *   the JavaScript ≤ 100 KB gzipped;
 * - its first render in Debian's Chromium (test/console/chromium.ts): a fresh page load of
 *   `/console/` from the local gateway (the console's own function, as in AWS), cache disabled
 *   (a first visit), until the app has rendered (the `console:first-render` mark of
 *   console/src/main.tsx), and the first contentful paint. Median over the runs.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ensureConsoleBuilt } from "../console/build.ts";
import { startLocalGateway } from "../dev/local-gateway.ts";
import { routes } from "../infra/routes.ts";
import { launchChromium } from "../test/console/chromium.ts";
import { type Section, table } from "./section.ts";
import { spread, summarize } from "./stats.ts";

/** The console's JavaScript, gzipped (decimal kilobytes, as the Lambda bundle budget). */
export const CONSOLE_JS_GZIP_LIMIT_BYTES = 100_000;
/** First render of the sign-in page, cold cache, loopback: a generous ceiling for a shared machine. */
export const FIRST_RENDER_LIMIT_MS = 1_000;

interface Weighed {
  kind: string;
  files: number;
  bytes: number;
  gzip: number;
  brotli: number;
}

async function weigh(dir: string, files: string[], kind: string): Promise<Weighed> {
  let bytes = 0;
  let gzip = 0;
  let brotli = 0;
  for (const file of files) {
    const body = await readFile(join(dir, file));
    bytes += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
    brotli += (await readFile(join(dir, `${file}.br`)).catch(() => body)).length;
  }
  return { kind, files: files.length, bytes, gzip, brotli };
}

/** The Performance entries a run reads, in ms from the navigation's start. */
interface RenderTimes {
  firstRender: number;
  firstContentfulPaint: number;
  domContentLoaded: number;
}

/** Section 8: the console's weight (budget: JS ≤ 100 KB gzipped) and first render (median of `runs` loads). */
export async function consoleBench(options: { runs: number }): Promise<Section> {
  const { dir, manifest } = await ensureConsoleBuilt();
  const names = Object.keys(manifest.files);
  const js = await weigh(
    dir,
    names.filter((n) => n.endsWith(".js")),
    "JavaScript",
  );
  const css = await weigh(
    dir,
    names.filter((n) => n.endsWith(".css")),
    "CSS",
  );
  const html = await weigh(dir, ["index.html"], "HTML");

  const consoleRoutes = routes.filter((route) => route.audience === "console");
  const gateway = await startLocalGateway({ routes: consoleRoutes, log: false });
  const browser = await launchChromium();
  const samples: RenderTimes[] = [];
  try {
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    // One discarded load: the gateway's first import of the handler and Chromium's own warm-up.
    for (let run = -1; run < options.runs; run++) {
      await page.goto("about:blank");
      await page.goto(`${gateway.url}/console/`);
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      const times = await page.evaluate(() => {
        const at = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? Number.NaN;
        // The page's Performance API (this file is typed for Node's, which has no navigation entries).
        const byType = performance.getEntriesByType as (type: string) => unknown[];
        const navigation = byType.call(performance, "navigation")[0] as
          | { domContentLoadedEventEnd: number }
          | undefined;
        return {
          firstRender: at("console:first-render"),
          firstContentfulPaint: at("first-contentful-paint"),
          domContentLoaded: navigation?.domContentLoadedEventEnd ?? Number.NaN,
        };
      });
      if (run >= 0) samples.push(times);
    }
  } finally {
    await browser.close();
    await gateway.close();
  }
  const firstRender = summarize(samples.map((s) => s.firstRender));
  const paint = summarize(samples.map((s) => s.firstContentfulPaint));
  const loaded = summarize(samples.map((s) => s.domContentLoaded));
  const kb = (bytes: number) => (bytes / 1000).toFixed(1);
  return {
    title: "9. Console",
    lines: [
      "The tenant console as built (`console/build.ts`: Vite, Preact, openapi-fetch) and as its function sends it " +
        "(precompressed `.br`/`.gz`). *gzip* is level 9, as the `.gz` served; KB are 1000 bytes.",
      "",
      ...table(
        ["files", "n", "bytes", "gzip bytes", "brotli bytes"],
        [js, css, html].map((w) => [
          w.kind,
          String(w.files),
          String(w.bytes),
          String(w.gzip),
          String(w.brotli),
        ]),
      ),
      "",
      `First render in Debian's Chromium (headless), ${options.runs} fresh loads of \`/console/\` from the ` +
        "local gateway (the console's own function) with the browser cache disabled, after one discarded load; " +
        "ms from the navigation's start, median (min–max).",
      "",
      ...table(
        ["measure", "ms"],
        [
          ["the app rendered (`console:first-render` mark)", spread(firstRender)],
          ["first contentful paint", spread(paint)],
          ["DOMContentLoaded", spread(loaded)],
        ],
      ),
    ],
    budgets: [
      {
        name: `console JavaScript ≤ ${CONSOLE_JS_GZIP_LIMIT_BYTES / 1000} KB gzipped`,
        measured: `${kb(js.gzip)} KB (${kb(js.bytes)} KB raw, ${kb(js.brotli)} KB brotli)`,
        limit: `${CONSOLE_JS_GZIP_LIMIT_BYTES / 1000} KB`,
        pass: js.gzip <= CONSOLE_JS_GZIP_LIMIT_BYTES,
      },
      {
        name: `console first render ≤ ${FIRST_RENDER_LIMIT_MS} ms (median, cold cache)`,
        measured: `${firstRender.median.toFixed(0)} ms`,
        limit: `${FIRST_RENDER_LIMIT_MS} ms`,
        pass: firstRender.median <= FIRST_RENDER_LIMIT_MS,
      },
    ],
  };
}
