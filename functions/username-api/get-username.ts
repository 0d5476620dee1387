import { usernameRoute } from "../core/http/username-route.ts";
import { getUsername } from "../core/usernames/username-service.ts";

/** GET /meta/whatsapp/{version}/{phone_number_id}/username */
export const handler = usernameRoute(getUsername);
