/**
 * The pages of the tenant read API (`/v1`): each page is ONE Query, asking for one item more
 * than the page holds so it knows whether another page follows, and starting AT the cursor's own
 * item (a key condition, inclusive) so it also knows whether anything lies on the cursor's other
 * side: the cursor's item is there, or (a made-up cursor, a number removed since) not.
 */
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { HistoryEvent, PhoneRecord } from "../username-state/records.ts";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";
import { phoneFromItem } from "./phones.ts";

export interface PageRange<C> {
  /** Exclusive cursors; `after` continues in the listing's order, `before` goes back. */
  after?: C;
  before?: C;
  limit: number;
}

export interface Page<T> {
  /** In the listing's order, whichever way the page was read. */
  items: T[];
  /** More items lie beyond the page in the direction it was read. */
  more: boolean;
  /** The cursor's own item exists (so something lies behind the page); false without a cursor. */
  cursorHeld: boolean;
}

const LAST_VERSION = 999_999_999_999;

/** The page from a Query that may start with the cursor's own item (`isCursor`), which it leaves out. */
function pageOf<T>(read: T[], limit: number, backwards: boolean, isCursor?: (item: T) => boolean): Page<T> {
  const cursorHeld = isCursor !== undefined && read[0] !== undefined && isCursor(read[0]);
  const items = cursorHeld ? read.slice(1) : read;
  const page = items.slice(0, limit);
  return { items: backwards ? page.reverse() : page, more: items.length > limit, cursorHeld };
}

/**
 * The tenant's phone numbers ordered by id, through the byTenant index (eventually consistent:
 * a number registered a moment ago may show up a moment later).
 */
export async function phonesPage(tenantId: string, range: PageRange<string>): Promise<Page<PhoneRecord>> {
  const cursor = range.before ?? range.after;
  const backwards = range.before !== undefined;
  // "PHONE$" sorts right after every "PHONE#..." key.
  const bounds =
    cursor === undefined
      ? { from: "PHONE#", to: "PHONE$" }
      : backwards
        ? { from: "PHONE#", to: `PHONE#${cursor}` }
        : { from: `PHONE#${cursor}`, to: "PHONE$" };
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: "byTenant",
      KeyConditionExpression: "gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": keys.byTenant(tenantId), ":from": bounds.from, ":to": bounds.to },
      ScanIndexForward: !backwards,
      Limit: range.limit + (cursor === undefined ? 1 : 2),
    }),
  );
  const phones = Items.map(phoneFromItem);
  return pageOf(
    phones,
    range.limit,
    backwards,
    cursor === undefined ? undefined : (phone) => phone.phoneNumberId === cursor,
  );
}

/** A number's history, newest first (strongly consistent); cursors are versions. */
export async function historyPage(
  phoneNumberId: string,
  range: PageRange<number>,
): Promise<Page<HistoryEvent>> {
  const cursor = range.before ?? range.after;
  // Newest first: `after` reads towards older versions, `before` towards newer ones.
  const towardsNewer = range.before !== undefined;
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
      ExpressionAttributeValues: {
        ":pk": keys.phone(phoneNumberId).pk,
        ":first": keys.history(phoneNumberId, towardsNewer ? (cursor as number) : 0).sk,
        ":last": keys.history(phoneNumberId, towardsNewer ? LAST_VERSION : (cursor ?? LAST_VERSION)).sk,
      },
      ScanIndexForward: towardsNewer,
      ConsistentRead: true,
      Limit: range.limit + (cursor === undefined ? 1 : 2),
    }),
  );
  const history = Items.map(
    ({ pk: _pk, sk: _sk, type: _type, ...event }) => event as unknown as HistoryEvent,
  );
  return pageOf(
    history,
    range.limit,
    towardsNewer,
    cursor === undefined ? undefined : (item) => item.version === cursor,
  );
}
