/**
 * The pages of the tenant read API (`/v1`): each page is ONE Query, asking for one item more
 * than the page holds so it knows whether another page follows. Positions are DynamoDB keys
 * built from the cursor (`ExclusiveStartKey`), so a page never re-reads what came before it.
 */
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";
import { type HistoryEvent, type PhoneRecord, phoneFromItem } from "./phones.ts";

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
}

const LAST_VERSION = 999_999_999_999;

function pageOf<T>(items: T[], limit: number, backwards: boolean): Page<T> {
  const page = items.slice(0, limit);
  return { items: backwards ? page.reverse() : page, more: items.length > limit };
}

/**
 * The tenant's phone numbers ordered by id, through the byTenant index (eventually consistent:
 * a number registered a moment ago may show up a moment later).
 */
export async function phonesPage(tenantId: string, range: PageRange<string>): Promise<Page<PhoneRecord>> {
  const cursor = range.before ?? range.after;
  const backwards = range.before !== undefined;
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: "byTenant",
      KeyConditionExpression: "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
      ExpressionAttributeValues: { ":pk": keys.byTenant(tenantId), ":prefix": "PHONE#" },
      ScanIndexForward: !backwards,
      Limit: range.limit + 1,
      ...(cursor === undefined
        ? {}
        : {
            ExclusiveStartKey: {
              ...keys.phone(cursor),
              gsi2pk: keys.byTenant(tenantId),
              gsi2sk: `PHONE#${cursor}`,
            },
          }),
    }),
  );
  return pageOf(Items.map(phoneFromItem), range.limit, backwards);
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
        ":first": keys.history(phoneNumberId, 0).sk,
        ":last": keys.history(phoneNumberId, LAST_VERSION).sk,
      },
      ScanIndexForward: towardsNewer,
      ConsistentRead: true,
      Limit: range.limit + 1,
      ...(cursor === undefined ? {} : { ExclusiveStartKey: keys.history(phoneNumberId, cursor) }),
    }),
  );
  const history = Items.map(
    ({ pk: _pk, sk: _sk, type: _type, ...event }) => event as unknown as HistoryEvent,
  );
  return pageOf(history, range.limit, towardsNewer);
}
