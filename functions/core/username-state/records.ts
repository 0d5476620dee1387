/**
 * The records of a number's username state, as the domain sees them: the phone record (its Meta
 * ids, sealed token and current state) and the history item of one change. Plain types, no I/O:
 * the store maps them to and from DynamoDB items (store/phones.ts), the planner computes them
 * (username-state/planner.ts).
 */
import type { ChangeOrigin, ChangeSource, RequestOperation, UsernameState } from "./state.ts";

/** A phone number as stored: its Meta ids, its encrypted token and its current username state. */
export interface PhoneRecord extends UsernameState {
  phoneNumberId: string;
  tenantId: string;
  /** The first Meta account id the number was registered with (a WABA id, or a Messaging Account id). */
  wabaId: string;
  /**
   * Every Meta account id the number is under besides `wabaId` (Meta's account split: a number
   * may belong to several Messaging Accounts, and a delivery names any of them). Each (account,
   * display number) pair has its own lookup item.
   */
  accountIds?: string[];
  /** The WhatsApp Account id Meta gives the number (its later phase): accepted in paths for the phone number id. */
  whatsappAccountId?: string;
  businessId: string;
  /** Digits only. */
  displayPhoneNumber: string;
  /** AES-256-GCM ciphertext (see core/crypto/token-cipher.ts); never the token itself. */
  accessTokenEncrypted: string;
  createdAt: string;
  /** ISO time of the last username change. */
  updatedAt?: string;
  source?: ChangeSource;
  context?: string;
  /** Epoch seconds the current state is as of (a webhook's entry.time, or when the answer's call was sent); never moves back. */
  stateEpoch?: number;
  /**
   * Set when an answer of Meta (not a webhook) set the state: epoch ms when its call was sent and
   * answered, the window within which Meta made it (username-state/ordering.ts).
   */
  stateSentAt?: number;
  stateReceivedAt?: number;
  /**
   * The webhook event the state is as of (its de-duplication marker's sort key); absent when an
   * API change or a transfer set it. Its marker is written only if a change replaces the state
   * within the same second (the planner, planner.ts).
   */
  stateEvent?: string;
  /**
   * The last change asked for through this service (a POST or DELETE that took the number's turn),
   * until a change from outside supersedes it: what explains Meta's later changes as ours
   * (docs/reliability.md, "Who changed it").
   */
  requestedOperation?: RequestOperation;
  /** The name a `claim` asked for. */
  requestedUsername?: string;
  /** The API key id whose request it was (never the key). */
  requestedBy?: string;
  /** ISO time the request took its turn. */
  requestedAt?: string;
  /**
   * A request through this service that took its turn and whose answer is not recorded yet (in
   * flight, or Meta's answer was lost): what it asks for explains Meta's changes as ours too.
   * Recorded with the turn; the answer's write moves it to `requested*`; a refusal forgets it.
   */
  pendingOperation?: RequestOperation;
  pendingUsername?: string;
  pendingBy?: string;
  pendingAt?: string;
  /** Incremented by every change; every write is conditional on it. */
  version: number;
}

/**
 * One change of a number's username state. The history item is also the change's outbox
 * record: it carries everything a tenant event needs (its stable `eventId`, tenant, the
 * number's Meta ids), written in the same transaction as the state it describes.
 */
export interface HistoryEvent {
  /** Stable, unique id of the change (`evt_` + 26 characters), the tenant event's `id`. */
  eventId: string;
  tenantId: string;
  phoneNumberId: string;
  wabaId: string;
  /** Digits only. */
  displayPhoneNumber: string;
  version: number;
  at: string;
  source: ChangeSource;
  username?: string;
  status?: string;
  previousUsername?: string;
  previousStatus?: string;
  requestId?: string;
  context?: string;
  /** The webhook's `entry.time` (epoch seconds), for webhook events. */
  eventTime?: number;
  /** Set when this number lost its name because Meta moved it to that number of the portfolio. */
  transferredTo?: string;
  /** Set when this number took its name from that number of the portfolio. */
  transferredFrom?: string;
  /**
   * Who made the change: `this_service` when a request through this service explains it,
   * `outside` otherwise. Absent on changes recorded before origins were (read as unknown).
   */
  origin?: ChangeOrigin;
  /** The API key id whose request it was, for `this_service`. */
  requestedBy?: string;
}

export type NewPhone = Omit<
  PhoneRecord,
  | "version"
  | "accountIds"
  | "whatsappAccountId"
  | "createdAt"
  | keyof UsernameState
  | "updatedAt"
  | "source"
  | "context"
  | "stateEpoch"
  | "stateSentAt"
  | "stateReceivedAt"
  | "stateEvent"
  | "requestedOperation"
  | "requestedUsername"
  | "requestedBy"
  | "requestedAt"
  | "pendingOperation"
  | "pendingUsername"
  | "pendingBy"
  | "pendingAt"
>;
