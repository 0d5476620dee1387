/**
 * Operator actions on phone numbers (admin CLI, local seeding, tests): register, replace or
 * re-seal a token, show, list, remove. The CLI reaches the store only through these and the
 * other services. Never reachable from the HTTP API.
 */
import { decryptToken, encryptToken, sealedUnderCurrentKey } from "../crypto/token-cipher.ts";
import {
  addAccount,
  createPhone,
  getPhone,
  listHistory,
  listPhones,
  listTenants,
  PhoneExistsError,
  phoneAlias,
  releaseBusiness,
  removeAccount,
  removePhone,
  setPhoneToken,
  setWhatsAppAccountId,
  WhatsAppAccountTakenError,
} from "../store/phones.ts";
import { releaseHolderOfRemoved } from "../store/state-committer.ts";
import type { HistoryEvent, NewPhone, PhoneRecord } from "../username-state/records.ts";

export {
  BusinessTakenError,
  LastAccountError,
  MetaNumberTakenError,
  PhoneExistsError,
  WhatsAppAccountTakenError,
} from "../store/phones.ts";

/** The phone number id is another number's WhatsApp Account id (paths take either). */
export class PhoneIdIsAliasError extends PhoneExistsError {
  override name = "PhoneIdIsAliasError";
}

export interface PhoneRegistration extends Omit<NewPhone, "accessTokenEncrypted"> {
  /** The Meta access token, sealed before it is stored (never stored or logged in plain text). */
  accessToken: string;
}

/**
 * Registers a number with its Meta ids and sealed token. Throws PhoneExistsError (the id is
 * taken) or MetaNumberTakenError (its WABA id + display number belong to another record).
 */
export async function registerPhone({ accessToken, ...phone }: PhoneRegistration): Promise<PhoneRecord> {
  // Paths take either id, so one may not be both a number's and another's alias (an operator's typo).
  if (await phoneAlias(phone.phoneNumberId)) {
    throw new PhoneIdIsAliasError(
      `phone number id ${phone.phoneNumberId} is another number's WhatsApp Account id: paths could not tell them apart`,
    );
  }
  return createPhone({ ...phone, accessTokenEncrypted: encryptToken(accessToken, phone.phoneNumberId) });
}

/** Seals and stores a new Meta token; false when there is no such number. */
export function replacePhoneToken(phoneNumberId: string, accessToken: string): Promise<boolean> {
  return setPhoneToken(phoneNumberId, encryptToken(accessToken, phoneNumberId));
}

/**
 * Puts the number under one more Meta account (a Messaging Account of Meta's account split), so a
 * delivery under that account finds it. False when there is no such number; MetaNumberTakenError
 * when that account + display number is another record's.
 */
export function addNumberAccount(phoneNumberId: string, accountId: string): Promise<boolean> {
  return addAccount(phoneNumberId, accountId);
}

/** Takes an account off the number; LastAccountError for its only one. False when it is not under it. */
export function removeNumberAccount(phoneNumberId: string, accountId: string): Promise<boolean> {
  return removeAccount(phoneNumberId, accountId);
}

/**
 * Records the WhatsApp Account id Meta gives the number, accepted in paths for its phone number
 * id; WhatsAppAccountTakenError when another number has it. False when there is no such number.
 */
export async function setNumberWhatsAppAccountId(
  phoneNumberId: string,
  whatsappAccountId: string,
): Promise<boolean> {
  if (whatsappAccountId !== phoneNumberId && (await getPhone(whatsappAccountId, true))) {
    throw new WhatsAppAccountTakenError(
      `WhatsApp Account id ${whatsappAccountId} is another number's phone number id: paths could not tell them apart`,
    );
  }
  return setWhatsAppAccountId(phoneNumberId, whatsappAccountId);
}

/** A number's record (strongly consistent), or undefined. */
export function findNumber(phoneNumberId: string): Promise<PhoneRecord | undefined> {
  return getPhone(phoneNumberId, true);
}

/** A number's history, oldest first. */
export function numberHistory(phoneNumberId: string): Promise<HistoryEvent[]> {
  return listHistory(phoneNumberId);
}

/** A tenant's numbers, by id. */
export function listNumbers(tenantId: string): Promise<PhoneRecord[]> {
  return listPhones(tenantId);
}

/** Every tenant id a key or number names. */
export function listTenantIds(): Promise<string[]> {
  return listTenants();
}

/**
 * Removes a number with its state, history and markers; its portfolio's claim on its name goes
 * first (if the marker still names it), and the portfolio is freed for other tenants once the
 * tenant has no number left in it. False when there is no such number.
 */
export async function removeNumber(phoneNumberId: string): Promise<boolean> {
  const phone = await getPhone(phoneNumberId, true);
  if (!phone) return false;
  await releaseHolderOfRemoved(phone);
  const removed = await removePhone(phoneNumberId);
  const others = (await listPhones(phone.tenantId)).filter(
    (other) => other.businessId === phone.businessId && other.phoneNumberId !== phoneNumberId,
  );
  if (others.length === 0) await releaseBusiness(phone.businessId, phone.tenantId);
  return removed;
}

export interface ReencryptionReport {
  phones: number;
  reencrypted: string[];
  /** Numbers whose token opens under neither key (or changed meanwhile): fix with `phone set-token`. */
  failed: string[];
}

/**
 * Key rotation, step two (docs/deploy.md): every token not yet sealed under the current key is
 * decrypted (current or previous key) and sealed again under the current one. Idempotent: a
 * second run finds nothing to do.
 */
export async function reencryptAllTokens(): Promise<ReencryptionReport> {
  const report: ReencryptionReport = { phones: 0, reencrypted: [], failed: [] };
  for (const tenantId of await listTenants()) {
    for (const phone of await listPhones(tenantId)) {
      report.phones++;
      const { phoneNumberId, accessTokenEncrypted: sealed } = phone;
      if (sealedUnderCurrentKey(sealed, phoneNumberId)) continue;
      try {
        const resealed = encryptToken(decryptToken(sealed, phoneNumberId), phoneNumberId);
        if (await setPhoneToken(phoneNumberId, resealed, sealed)) report.reencrypted.push(phoneNumberId);
        else report.failed.push(phoneNumberId);
      } catch {
        report.failed.push(phoneNumberId);
      }
    }
  }
  return report;
}
