/**
 * `GET /v1/phone_numbers/{phone_number_id}/username_history`: the number's changes, newest first,
 * as the same event objects the change feed and the webhooks carry. The number's record is read
 * first and decides ownership (a foreign number is answered exactly like an unknown one, at the
 * same cost: its history is never read), then one Query per page.
 */

import { historyPage } from "../store/tenant-reads.ts";
import { usernameChangeEvent } from "../tenant-webhooks/username-change-event.ts";
import type { HistoryEvent, PhoneRecord } from "../username-state/records.ts";
import { envelope, integerPosition, parsePageRequest } from "./paging.ts";
import { ownedPhone } from "./phone-numbers.ts";
import type { TenantRequest } from "./tenant-request.ts";

/**
 * History items written before events existed lack the event's fields: they are taken from the
 * number's record, and the id is derived from the number and version (stable across reads).
 */
function completed(history: HistoryEvent, phone: PhoneRecord): HistoryEvent {
  return {
    ...history,
    eventId: history.eventId ?? `evt_v${history.version}_${phone.phoneNumberId}`,
    tenantId: history.tenantId ?? phone.tenantId,
    phoneNumberId: history.phoneNumberId ?? phone.phoneNumberId,
    wabaId: history.wabaId ?? phone.wabaId,
    displayPhoneNumber: history.displayPhoneNumber ?? phone.displayPhoneNumber,
  };
}

export async function listUsernameHistory({
  caller,
  path,
  event,
}: TenantRequest<{ phone_number_id: string }>) {
  const of = { listing: "username_history", scope: path.phone_number_id } as const;
  const page = parsePageRequest(event, of, integerPosition(1, 999_999_999_999));
  // Ownership first: another tenant's number costs exactly what an unknown one does (one read),
  // so neither the answer nor its timing tells whether the number exists.
  const phone = await ownedPhone(caller.tenantId, path.phone_number_id);
  // The number's own id: the path may have named it by its WhatsApp Account id.
  const { items, more, cursorHeld } = await historyPage(phone.phoneNumberId, page);
  const towardsNewer = page.before !== undefined;
  return envelope({
    event,
    of,
    limit: page.limit,
    data: items.map((history) => usernameChangeEvent(completed(history, phone))),
    first: items[0]?.version,
    last: items.at(-1)?.version,
    hasNext: towardsNewer ? cursorHeld : more,
    hasPrevious: towardsNewer ? more : cursorHeld,
  });
}
