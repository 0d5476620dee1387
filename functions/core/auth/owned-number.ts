/**
 * Which of the caller's numbers a path's id names (docs/spec.md, "Meta's account split"): a phone
 * number id, or the WhatsApp Account id (`phone set-account-id`) of one of the tenant's numbers.
 * An unknown id and another tenant's (number or alias) get the same answer after the same reads,
 * the number's record and then the alias item, so neither the answer nor its timing tells a
 * tenant whether an id exists. Used by the username routes' reads and by `/v1`.
 */
import { getPhone, phoneAlias } from "../store/phones.ts";
import type { PhoneRecord } from "../username-state/records.ts";

export interface OwnedNumberOptions {
  /** Strongly consistent reads (the `/v1` routes). */
  consistent?: boolean;
  /** The number's record already read with the API key (null: read and not there). */
  prefetched?: PhoneRecord | null;
}

/** The caller's number the id names, or undefined (unknown, or another tenant's). */
export async function ownedNumber(
  tenantId: string,
  id: string,
  options: OwnedNumberOptions = {},
): Promise<PhoneRecord | undefined> {
  const phone =
    options.prefetched === undefined
      ? await getPhone(id, options.consistent)
      : (options.prefetched ?? undefined);
  if (phone && phone.tenantId === tenantId) return phone;
  const alias = await ownedAlias(tenantId, id);
  if (!alias) return undefined;
  const aliased = await getPhone(alias, options.consistent);
  return aliased && aliased.tenantId === tenantId ? aliased : undefined;
}

/**
 * The phone number id of the caller's number whose WhatsApp Account id `id` is (one read), or
 * undefined: no alias, or another tenant's.
 */
export async function ownedAlias(tenantId: string, id: string): Promise<string | undefined> {
  const alias = await phoneAlias(id);
  if (!alias || (alias.tenantId !== undefined && alias.tenantId !== tenantId)) return undefined;
  return alias.phoneNumberId;
}
