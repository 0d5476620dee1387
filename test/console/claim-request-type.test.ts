/**
 * The claim's request body as the console's API types (console/src/api/openapi.d.ts, generated
 * from docs/openapi.json by openapi-typescript) give it to openapi-fetch: an object with the
 * fields the service reads, `username` required unless `method` is a read or a delete. The
 * `@ts-expect-error` lines are checked by `npm run typecheck` (tsc over test/): were the type
 * `unknown` again (as an `anyOf` of `required`-only branches made it), each would be an unused
 * directive and the typecheck would fail. At run time, the document's schema has that shape.
 */
import type createClient from "openapi-fetch";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { components, paths } from "../../console/src/api/openapi.d.ts";
import { buildOpenApiDocument } from "../../openapi/document.ts";

type ClaimRequest = components["schemas"]["ClaimUsernameRequest"];
const CLAIM = "/meta/whatsapp/{version}/{phone_number_id}/username";

/** Never called: what the compiler accepts and refuses of a claim's body. */
function typedCalls(client: ReturnType<typeof createClient<paths>>) {
  const params = { path: { version: "v24.0", phone_number_id: "100000000000001" } };
  void client.POST(CLAIM, { params, body: { username: "lucky_shrub" } });
  void client.POST(CLAIM, { params, body: { username: "lucky_shrub", transfer_action: "force_transfer" } });
  void client.POST(CLAIM, { params, body: { method: "delete" } });
  void client.POST(CLAIM, { params, body: { method: "GET", access_token: "wau_x" } });
  // @ts-expect-error a misspelled field: neither `username` nor `method` is there
  void client.POST(CLAIM, { params, body: { usernam: "lucky_shrub" } });
  // @ts-expect-error transfer_action has two values
  void client.POST(CLAIM, { params, body: { username: "lucky_shrub", transfer_action: "always" } });
  // @ts-expect-error username is a string
  void client.POST(CLAIM, { params, body: { username: 42 } });
  // @ts-expect-error a body with nothing to do
  void client.POST(CLAIM, { params, body: {} });
  // openapi-fetch's generic `body` escapes TypeScript's excess property check (for every route's
  // body): a misspelled optional field beside `username` is refused where the type is named.
  // @ts-expect-error a misspelled optional field beside `username`
  const misspelled: ClaimRequest = { username: "lucky_shrub", transfer_actoin: "force_transfer" };
  return misspelled;
}

describe("the claim's request body type", () => {
  it("is an object type with the fields the service reads, not unknown", () => {
    expectTypeOf<unknown>().not.toExtend<ClaimRequest>();
    expectTypeOf<{ username: string }>().toExtend<ClaimRequest>();
    expectTypeOf<{ method: string }>().toExtend<ClaimRequest>();
    expect(typedCalls).toBeTypeOf("function");
  });

  it("comes from a schema whose every branch is an object with the fields declared", () => {
    // biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document, walked by path.
    const schema = (buildOpenApiDocument() as any).components.schemas.ClaimUsernameRequest;
    const branches = (schema.oneOf ?? schema.anyOf) as Record<string, unknown>[];
    expect(branches.length).toBeGreaterThan(1);
    for (const branch of branches) {
      expect(branch.type).toBe("object");
      expect(Object.keys(branch.properties as object).sort()).toEqual(
        ["access_token", "method", "transfer_action", "username"].sort(),
      );
      expect((branch.required as string[]).length).toBe(1);
      // Unknown fields are accepted and dropped by the service: never refused by the document.
      expect(branch.additionalProperties).not.toBe(false);
    }
  });
});
