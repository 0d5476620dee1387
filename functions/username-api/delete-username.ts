import { usernameRoute } from "../core/http/username-route.ts";
import { deleteUsername } from "../core/usernames/username-service.ts";

/** DELETE /meta/whatsapp/{version}/{phone_number_id}/username */
export const handler = usernameRoute(deleteUsername, { idempotent: true });
