/**
 * The console's API types (console/src/api/openapi.d.ts) are what openapi-typescript makes of
 * docs/openapi.json as committed: a route or schema changed without `npm run openapi` (which
 * regenerates both) fails here.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { API_TYPES_FILE, generateApiTypes } from "../../console/generate-api-types.ts";
import { buildOpenApiDocument } from "../../openapi/document.ts";

describe("the console's API types", () => {
  it("are generated from the committed OpenAPI document, which is itself current", async () => {
    const committed = await readFile(API_TYPES_FILE, "utf8");
    const generated = await generateApiTypes();
    expect(committed, "console/src/api/openapi.d.ts is stale: run npm run openapi").toBe(generated);
    // From the document the routes build now, too (the OpenAPI unit test checks the file against it).
    expect(await generateApiTypes(buildOpenApiDocument())).toBe(committed);
  });

  it("describe the routes the console calls, and would change if the contract did", async () => {
    const committed = await readFile(API_TYPES_FILE, "utf8");
    for (const path of [
      "/v1/phone_numbers",
      "/v1/phone_numbers/{phone_number_id}",
      "/v1/phone_numbers/{phone_number_id}/username_history",
      "/meta/whatsapp/{version}/{phone_number_id}/username",
      "/meta/whatsapp/{version}/{phone_number_id}/username_suggestions",
    ]) {
      expect(committed).toContain(`"${path}": {`);
    }
    const document = buildOpenApiDocument() as { paths: Record<string, unknown> };
    const changed = { ...document, paths: { ...document.paths, "/v1/webhook_endpoints": {} } };
    expect(await generateApiTypes(changed)).not.toBe(committed);
  });
});
