import { usernameRoute } from "../core/http/username-route.ts";
import { claimUsername, deleteUsername, getUsername } from "../core/usernames/username-service.ts";
import { claimUsernameBodySchema } from "../core/validation/username-request.ts";

/**
 * POST /meta/whatsapp/{version}/{phone_number_id}/username (with `method=delete`: the DELETE; with
 * `method=get`: the GET, as Graph answers clients that send every call as a POST)
 */
export const handler = usernameRoute(claimUsername, {
  body: claimUsernameBodySchema,
  idempotent: true,
  deleteOverride: deleteUsername,
  getOverride: getUsername,
});
