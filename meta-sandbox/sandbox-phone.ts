/**
 * A WhatsApp business phone number as the sandbox's Meta knows it: the one record every room
 * shares (phone-store.ts keeps it, username-rules.ts changes it, the control API shows it), what
 * a caller must and may say of a new one, and what a patch may change. Shapes only, importing
 * nothing: the input checks (control-input.ts) and the store that uses them both need these
 * shapes, and neither may import the other's module in a circle.
 */

/** One WhatsApp business phone number as the sandbox's Meta knows it. */
export interface SandboxPhone {
  phoneNumberId: string;
  /** The only token Meta accepts for this phone (tokens are per phone here). */
  accessToken: string;
  wabaId: string;
  /** Business portfolio: decides 147001 (other portfolio) versus 147005 (same portfolio). */
  businessId: string;
  displayPhoneNumber: string;
  /** Source of the username suggestions. */
  displayName: string;
  registered: boolean;
  eligible: boolean;
  facebookLinked: boolean;
  instagramLinked: boolean;
  permitted: boolean;
  approveImmediately: boolean;
  username?: string;
  /** reserved | approved | deleted, or anything a test seeds (Meta may add values). */
  status?: string;
}

/** What a new phone cannot do without: its ids, its token and its display number. */
export type RequiredPhoneKey =
  | "phoneNumberId"
  | "accessToken"
  | "wabaId"
  | "businessId"
  | "displayPhoneNumber";

/** A new phone as a caller gives it; control-input.ts fills in the rest. */
export type SandboxPhoneInput = Pick<SandboxPhone, RequiredPhoneKey> &
  Partial<Omit<SandboxPhone, RequiredPhoneKey>>;

/** `null` clears username / status. The id cannot change: add a new phone instead. */
export type SandboxPhonePatch = Partial<Omit<SandboxPhone, "phoneNumberId" | "username" | "status">> & {
  username?: string | null;
  status?: string | null;
};
