/**
 * The OpenAPI document for GET /openapi.json, built by openapi/document.ts when that module exists
 * (it is optional to the gateway: without it the path answers 404 like any unknown one).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const OPENAPI_MODULE = new URL("../../openapi/document.ts", import.meta.url);

let cached: Promise<unknown> | undefined;

export function loadOpenApiDocument(): Promise<unknown> {
  if (!existsSync(fileURLToPath(OPENAPI_MODULE))) return Promise.resolve(undefined);
  cached ??= import(OPENAPI_MODULE.href).then((module: { buildOpenApiDocument?: () => unknown }) =>
    typeof module.buildOpenApiDocument === "function" ? module.buildOpenApiDocument() : undefined,
  );
  // A failed build is not kept: the next request tries again.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
