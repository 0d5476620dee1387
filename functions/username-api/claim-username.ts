import { usernameRoute } from "../core/http/username-route.ts";
import { claimUsername, deleteUsername } from "../core/usernames/username-service.ts";
import { claimUsernameBodySchema } from "../core/validation/username-request.ts";

/** POST /meta/whatsapp/{version}/{phone_number_id}/username (with `method=delete`: the DELETE) */
export const handler = usernameRoute(claimUsername, {
  body: claimUsernameBodySchema,
  idempotent: true,
  deleteOverride: deleteUsername,
});
