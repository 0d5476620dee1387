/**
 * Vite's configuration of the console (console/build.ts runs it; no dev server is used: the
 * console is always served by the service's own route, same origin as the API).
 *
 * - `base: "/console/"`: asset URLs are absolute, so the page works at `/console` and `/console/`.
 * - JSX through Vite's own transformer (oxc) with Preact's automatic runtime: no Babel preset.
 * - Nothing inlined: the icon stays a file (`assetsInlineLimit: 0`), as the Content-Security-Policy
 *   allows images from the console's own origin only, never `data:` URLs.
 * - No module-preload polyfill: there are no dynamic imports, and all of it is our own script.
 */
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  root: import.meta.dirname,
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
    emptyOutDir: true,
  },
});
