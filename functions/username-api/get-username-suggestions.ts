import { usernameRoute } from "../core/http/username-route.ts";
import { getUsernameSuggestions } from "../core/usernames/username-service.ts";

/** GET /meta/whatsapp/{version}/{phone_number_id}/username_suggestions */
export const handler = usernameRoute(getUsernameSuggestions);
