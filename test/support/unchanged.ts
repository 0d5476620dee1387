/**
 * "A failure changes nothing": snapshot the stored record and history of some phone numbers
 * (strongly consistent reads), then assert after the failing call that both are exactly as before.
 */
import { expect } from "vitest";
import { storedState } from "./world.ts";

export type StoredSnapshot = Map<string, Awaited<ReturnType<typeof storedState>>>;

export async function snapshotState(...phoneNumberIds: string[]): Promise<StoredSnapshot> {
  const snapshot: StoredSnapshot = new Map();
  for (const id of phoneNumberIds) snapshot.set(id, await storedState(id));
  return snapshot;
}

export async function expectStateUnchanged(snapshot: StoredSnapshot): Promise<void> {
  for (const [id, before] of snapshot) {
    expect(await storedState(id), `stored state of ${id}`).toEqual(before);
  }
}
