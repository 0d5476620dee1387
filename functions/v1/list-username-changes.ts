import { tenantRoute } from "../core/http/tenant-route.ts";
import { listUsernameChanges } from "../core/tenant-api/username-changes.ts";

/** GET /v1/username_changes */
export const handler = tenantRoute(listUsernameChanges);
