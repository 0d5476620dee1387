/**
 * A number's history item as the state committer writes it (store/state-committer.ts), marshalled
 * for a DynamoDB stream record or a direct write: what the feed's sequencer and appender read,
 * for tests that feed them without going through a change.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { newEventId } from "../../functions/core/event-id.ts";
import { keys } from "../../functions/core/store/keys.ts";

export type Item = Record<string, AttributeValue>;

export interface HistoryItemFields {
  tenantId: string;
  phoneNumberId: string;
  /** The number's history version (1, 2, …). */
  version: number;
  username: string;
  status: string;
  /** `outside`: learned from Meta's webhook; `this_service`: the answer to our own request. */
  origin: "outside" | "this_service";
}

/** The item, with a fresh event id; its WABA id and display number derived from the phone number id. */
export function historyItem(fields: HistoryItemFields): Item {
  const { tenantId, phoneNumberId, version, username, status, origin } = fields;
  return marshall(
    {
      ...keys.history(phoneNumberId, version),
      type: "history",
      eventId: newEventId(),
      tenantId,
      phoneNumberId,
      wabaId: `1${phoneNumberId.slice(1)}`,
      displayPhoneNumber: `3${phoneNumberId.slice(1, 12)}`,
      version,
      at: new Date().toISOString(),
      source: origin === "outside" ? "webhook" : "api",
      username,
      status,
      origin,
    },
    { removeUndefinedValues: true },
  );
}
