/**
 * The records of a number's username state, as the domain sees them: the phone record (its Meta
 * ids, sealed token and current state) and the history item of one change. Plain types, no I/O:
 * the store maps them to and from DynamoDB items (store/phones.ts), the planner computes them
 * (username-state/planner.ts).
 */
import type { ChangeSource, UsernameState } from "./state.ts";

/** A phone number as stored: its Meta ids, its encrypted token and its current username state. */
export interface PhoneRecord extends UsernameState {
  phoneNumberId: string;
  tenantId: string;
  wabaId: string;
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
   * within the same second (store/username-changes.ts).
   */
  stateEvent?: string;
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
}

export type NewPhone = Omit<
  PhoneRecord,
  | "version"
  | "createdAt"
  | keyof UsernameState
  | "updatedAt"
  | "source"
  | "context"
  | "stateEpoch"
  | "stateSentAt"
  | "stateReceivedAt"
  | "stateEvent"
>;
