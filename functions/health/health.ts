import { checkHealth } from "../core/health/health-check.ts";
import { httpHandler } from "../core/http/http-handler.ts";
import { jsonResponse } from "../core/http/response.ts";

/** GET /health (no authentication): 200 when the store answers and every required secret is set, 503 otherwise. */
export const handler = httpHandler(async () => {
  const { healthy, report } = await checkHealth();
  return jsonResponse(healthy ? 200 : 503, report);
});
