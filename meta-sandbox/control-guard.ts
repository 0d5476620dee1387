/**
 * Who may drive the sandbox's control API (`/__sandbox/...`): programs on this machine (curl,
 * tests, the CLI), never a web page. A page can send requests to loopback from the developer's
 * browser, so a control request is refused (403) when the browser says it comes from elsewhere
 * (`Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` other than the sandbox's
 * own), when its `Host` is not a loopback name (DNS rebinding), and (415) when it has a body
 * that is not `application/json` (the content types a page may send without a CORS preflight).
 */
import type { IncomingMessage } from "node:http";
import { SandboxError } from "./control-input.ts";

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

function loopbackHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(`http://${host}`);
    return LOOPBACK_HOSTS.has(url.hostname) && (url.port === "" ? 80 : Number(url.port)) === port;
  } catch {
    return false;
  }
}

function sameOrigin(origin: string, port: number): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === "http:" && url.origin === origin && loopbackHost(url.host, port);
  } catch {
    // "null" (a sandboxed frame, a file) and anything unparsable.
    return false;
  }
}

/** Throws a SandboxError (403 or 415) when `req` may not use the control API of the sandbox on `port`. */
export function checkControlRequest(req: IncomingMessage, port: number, body: string): void {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw new SandboxError(403, `the control API refuses cross-origin requests (Sec-Fetch-Site: ${site})`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !sameOrigin(origin, port)) {
    throw new SandboxError(403, "the control API refuses cross-origin requests (Origin)");
  }
  if (!loopbackHost(req.headers.host, port)) {
    throw new SandboxError(403, "the control API answers only requests addressed to a loopback host");
  }
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (body !== "" && type !== "application/json") {
    throw new SandboxError(415, "control request bodies must be application/json");
  }
}
