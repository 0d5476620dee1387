import { consoleHandler } from "./console-assets.ts";

/** GET /console, GET /console/assets/{asset}: the console's page and its files (infra/routes.ts). */
export const handler = consoleHandler();
