/**
 * What the console decides about usernames, apart from how it shows it (plain TypeScript, tested
 * in Node: test/console/client.test.ts): the format check before sending, who holds a name in a
 * force transfer, what changed between two loads of the numbers, and what a change of the history
 * says beside its names.
 */
import type { ApiKey, ConsoleApi, PageCursor, PhoneNumber, UsernameChangeData } from "./api/client.ts";
import { requesterLabel } from "./api-keys.ts";
import { originLabel, phoneLabel } from "./format.ts";
import { brokenUsernameRule } from "./username-rules.ts";

/** Meta's answer when another number of the same business portfolio holds the name. */
export const SAME_PORTFOLIO_HOLDER = 147005;

/** The broken format rule of `name`, as a sentence, or undefined for a well-formed name. */
export function usernameProblem(name: string): string | undefined {
  const rule = brokenUsernameRule(name);
  return rule ? `The username ${rule.message}.` : undefined;
}

/**
 * The tenant's number (other than `exceptId`) that holds `username` (compared without case, as
 * Meta compares names), from its numbers list read page by page, at most `maxPages` pages of 100;
 * undefined when none of them shows it.
 */
export async function findHolder(
  api: Pick<ConsoleApi, "listPhoneNumbers">,
  username: string,
  exceptId: string,
  maxPages = 20,
): Promise<PhoneNumber | undefined> {
  const wanted = username.toLowerCase();
  let cursor: PageCursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await api.listPhoneNumbers(cursor, 100);
    const found = page.data.find((n) => n.id !== exceptId && n.username?.toLowerCase() === wanted);
    if (found) return found;
    const after = page.paging.cursors.after;
    if (!page.paging.next || !after) return undefined;
    cursor = { after };
  }
  return undefined;
}

/** Who loses the name in a force transfer, in words. */
export function holderLabel(holder: PhoneNumber | undefined): string {
  return holder
    ? `${phoneLabel(holder.display_phone_number)} (id ${holder.id})`
    : "another number of your business portfolio";
}

/** One sentence per number whose username or status differs between two loads of the same list. */
export function statusChanges(before: readonly PhoneNumber[], after: readonly PhoneNumber[]): string[] {
  const old = new Map(before.map((n) => [n.id, n]));
  const messages: string[] = [];
  for (const number of after) {
    const was = old.get(number.id);
    if (!was) continue;
    if (was.username_status !== number.username_status || was.username !== number.username) {
      messages.push(
        number.username
          ? `${phoneLabel(number.display_phone_number)}: ${number.username} is now ${number.username_status ?? "without status"}.`
          : `${phoneLabel(number.display_phone_number)} has no username now.`,
      );
    }
  }
  return messages;
}

/**
 * What a change of the history says beside its names, as label and value: its origin in words, the
 * key that asked (by its name, when `keys` knows it), Meta's context, transfers. A transfer names
 * the other number by its id only (the change carries no display number of it): said to be an id,
 * so it is not read as a phone number.
 */
export function changeDetails(
  data: UsernameChangeData,
  keys: readonly ApiKey[] | undefined,
): [string, string][] {
  const rows: [string, string][] = [["Origin", originLabel(data.origin)]];
  if (data.requested_by) rows.push(["Requested by", requesterLabel(data.requested_by, keys)]);
  if (data.context) rows.push(["Meta's context", data.context]);
  if (data.transferred_to) rows.push(["Moved to", `phone number id ${data.transferred_to}`]);
  if (data.transferred_from) rows.push(["Taken from", `phone number id ${data.transferred_from}`]);
  return rows;
}
