/**
 * The phone numbers the sandbox's Meta knows, and the names "another business" holds. The store
 * keeps one invariant of its own, for names set by hand (a seeded phone, a patch): a name is held
 * by at most one number, and by none while it is marked taken (409 otherwise). How names move
 * between numbers through Meta (claim, transfer, release, approve, revoke) is username-rules.ts,
 * which changes the records `find` and `mustFind` hand it; every other caller gets copies, so
 * nothing changes a phone behind those rules' back.
 */
import { parsePhoneInput, parsePhonePatch, parseTakenName, SandboxError } from "./control-input.ts";
import type { SandboxPhone } from "./sandbox-phone.ts";

const copy = (phone: SandboxPhone): SandboxPhone => ({ ...phone });

/** The numbers and taken names of one sandbox; see the module comment for who may change what. */
export class PhoneStore {
  #phones = new Map<string, SandboxPhone>();
  /** Lower-cased names held by "some other business" (always 147001). */
  #taken = new Set<string>();

  /**
   * Adds a phone, or replaces the one with its id: `SandboxPhoneInput` (unchecked) → a copy of
   * the stored `SandboxPhone`, defaults filled (control-input.ts). 400 for bad input, 409 when its
   * `username` is another number's or marked taken.
   */
  add(input: unknown): SandboxPhone {
    const phone = parsePhoneInput(input);
    if (phone.username !== undefined) this.#assertFree(phone.username, phone.phoneNumberId);
    this.#phones.set(phone.phoneNumberId, phone);
    return copy(phone);
  }

  /**
   * Changes a phone: `SandboxPhonePatch` (unchecked; `null` clears `username`/`status`) → a copy
   * of the changed `SandboxPhone`. 404 for an unknown id, whatever the patch says; then 400 for a
   * bad patch, 409 for a name held elsewhere or marked taken.
   */
  update(id: string, patch: unknown): SandboxPhone {
    const phone = this.mustFind(id);
    const changes = parsePhonePatch(patch);
    if (typeof changes.username === "string") this.#assertFree(changes.username, id);
    const { username, status, ...rest } = changes;
    Object.assign(phone, rest);
    if (username === null) delete phone.username;
    else if (username !== undefined) phone.username = username;
    if (status === null) delete phone.status;
    else if (status !== undefined) phone.status = status;
    return copy(phone);
  }

  /** A copy of the phone with this id, or undefined. */
  get(id: string): SandboxPhone | undefined {
    const phone = this.#phones.get(id);
    return phone && copy(phone);
  }

  /** Copies of every phone, oldest first (a replaced phone keeps its place). */
  list(): SandboxPhone[] {
    return [...this.#phones.values()].map(copy);
  }

  /** Forgets a phone (and so frees its name); false when there was none. */
  remove(id: string): boolean {
    return this.#phones.delete(id);
  }

  /** The name (a non-empty string, any case) belongs to another business: claims of it get 147001. */
  markTaken(username: unknown): void {
    this.#taken.add(parseTakenName(username).toLowerCase());
  }

  /** Forgets every phone and every taken name. */
  reset(): void {
    this.#phones.clear();
    this.#taken.clear();
  }

  // --- for Meta's rules: the stored records themselves ---------------------------------------

  /** The stored record with this id (not a copy: the rules change it), or undefined. */
  find(id: string): SandboxPhone | undefined {
    return this.#phones.get(id);
  }

  /** The stored record with this id (not a copy); 404 when there is none. */
  mustFind(id: string): SandboxPhone {
    const phone = this.#phones.get(id);
    if (!phone) throw new SandboxError(404, `no sandbox phone ${id}`);
    return phone;
  }

  /** The stored number holding this lower-cased name, if any. */
  holderOf(lowerName: string): SandboxPhone | undefined {
    for (const phone of this.#phones.values()) {
      if (phone.username?.toLowerCase() === lowerName) return phone;
    }
    return undefined;
  }

  /** Whether this lower-cased name is marked taken by another business. */
  isTaken(lowerName: string): boolean {
    return this.#taken.has(lowerName);
  }

  /** Whether any number has this access token. */
  knowsToken(token: string): boolean {
    return [...this.#phones.values()].some((p) => p.accessToken === token);
  }

  #assertFree(username: string, forId: string): void {
    const key = username.toLowerCase();
    const holder = this.holderOf(key);
    if (holder && holder.phoneNumberId !== forId) {
      throw new SandboxError(409, `username ${username} is already held by phone ${holder.phoneNumberId}`);
    }
    if (this.#taken.has(key)) throw new SandboxError(409, `username ${username} is marked taken`);
  }
}
