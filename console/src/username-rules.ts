/**
 * The username format rules of the service itself (docs/spec.md, "Username format"), bundled into
 * the console from the very module the API checks with, so the console refuses exactly what the
 * service would refuse (400 code 100) before anything is sent. The module is plain TypeScript
 * without imports; the one line below is the only place the console names its path.
 */
export {
  brokenUsernameRule,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  USERNAME_RULES,
  type UsernameRule,
} from "../../functions/core/validation/username-format.ts";
