/** `npm run openapi`: writes docs/openapi.json from openapi/document.ts. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { openApiJson } from "./document.ts";

export const OPENAPI_FILE = fileURLToPath(new URL("../docs/openapi.json", import.meta.url));

mkdirSync(dirname(OPENAPI_FILE), { recursive: true });
writeFileSync(OPENAPI_FILE, openApiJson());
process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
