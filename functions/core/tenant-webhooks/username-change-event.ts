/**
 * The tenant event of a username change, built from the change's history item (its outbox
 * record: store/state-committer.ts writes it in the same transaction as the state). One
 * builder, so the change feed, the history route and the webhooks carry the very same object.
 */
import type { HistoryEvent } from "../username-state/records.ts";
import {
  inSchemaOrder,
  USERNAME_CHANGE_EVENT_TYPE,
  type UsernameChangeEvent,
} from "../validation/tenant-api.ts";

/** Absent fields are left out of the JSON, never `null`. */
export function usernameChangeEvent(history: HistoryEvent): UsernameChangeEvent {
  return inSchemaOrder({
    id: history.eventId,
    type: USERNAME_CHANGE_EVENT_TYPE,
    created_time: history.at,
    data: {
      phone_number_id: history.phoneNumberId,
      waba_id: history.wabaId,
      display_phone_number: history.displayPhoneNumber,
      username: history.username,
      status: history.status,
      previous: { username: history.previousUsername, status: history.previousStatus },
      source: history.source,
      origin: history.origin ?? "unknown",
      requested_by: history.requestedBy,
      context: history.context,
      transferred_to: history.transferredTo,
      transferred_from: history.transferredFrom,
    },
  });
}

/** Whether a history item carries what an event needs (items written before events existed do not). */
export function isEventSource(history: Partial<HistoryEvent>): history is HistoryEvent {
  return (
    typeof history.eventId === "string" &&
    typeof history.tenantId === "string" &&
    typeof history.phoneNumberId === "string" &&
    typeof history.wabaId === "string" &&
    typeof history.displayPhoneNumber === "string" &&
    typeof history.at === "string" &&
    typeof history.source === "string"
  );
}
