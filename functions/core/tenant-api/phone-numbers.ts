/**
 * `GET /v1/phone_numbers` and `GET /v1/phone_numbers/{phone_number_id}`: the caller's numbers and
 * their recorded username state, from DynamoDB only. Another tenant's number is answered exactly
 * like an unknown one (400 code 33), so ids cannot be probed.
 */

import { ownedNumber } from "../auth/owned-number.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { phonesPage } from "../store/tenant-reads.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import type { PhoneNumber } from "../validation/tenant-api.ts";
import { PHONE_NUMBER_ID_PATTERN } from "../validation/username-request.ts";
import { envelope, parsePageRequest } from "./paging.ts";
import type { TenantRequest } from "./tenant-request.ts";

export function phoneNumberView(phone: PhoneRecord): PhoneNumber {
  return {
    id: phone.phoneNumberId,
    display_phone_number: phone.displayPhoneNumber,
    waba_id: phone.wabaId,
    business_id: phone.businessId,
    ...(phone.username ? { username: phone.username } : {}),
    ...(phone.status ? { username_status: phone.status } : {}),
    ...(phone.updatedAt ? { username_updated_time: phone.updatedAt } : {}),
    ...(phone.source ? { username_source: phone.source } : {}),
  };
}

const phonePosition = (position: string) => (PHONE_NUMBER_ID_PATTERN.test(position) ? position : undefined);

export async function listPhoneNumbers({ caller, event }: TenantRequest<unknown>) {
  const of = { listing: "phone_numbers", scope: caller.tenantId } as const;
  const page = parsePageRequest(event, of, phonePosition);
  const { items, more, cursorHeld } = await phonesPage(caller.tenantId, page);
  const backwards = page.before !== undefined;
  return envelope({
    event,
    of,
    limit: page.limit,
    data: items.map(phoneNumberView),
    first: items[0]?.phoneNumberId,
    last: items.at(-1)?.phoneNumberId,
    // Behind the page lies the cursor's own number, if it (still) exists.
    hasNext: backwards ? cursorHeld : more,
    hasPrevious: backwards ? more : cursorHeld,
  });
}

/**
 * The caller's own number (strongly consistent) by its phone number id or its WhatsApp Account
 * id, or the error an unknown number gets (auth/owned-number.ts: the same reads either way).
 */
export async function ownedPhone(tenantId: string, phoneNumberId: string): Promise<PhoneRecord> {
  const phone = await ownedNumber(tenantId, phoneNumberId, { consistent: true });
  if (!phone) throw graphErrors.phoneNumberNotAccessible(phoneNumberId);
  return phone;
}

export async function getPhoneNumber({ caller, path }: TenantRequest<{ phone_number_id: string }>) {
  return phoneNumberView(await ownedPhone(caller.tenantId, path.phone_number_id));
}
