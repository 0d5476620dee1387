import { describe, expect, it } from "vitest";
import { isThrottling, metaErrorOf } from "../../functions/core/errors/graph-error-envelope.ts";
import { retryAfterMs } from "../../functions/core/graph/client.ts";

describe("retryAfterMs (RFC 9110 Retry-After)", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it.each<[string, string | undefined, number | undefined]>([
    ["delta-seconds", "3", 3000],
    ["zero", "0", 0],
    ["an HTTP date 5 s ahead", "Sun, 01 Mar 2026 12:00:05 GMT", 5000],
    ["an HTTP date in the past", "Sun, 01 Mar 2026 11:00:00 GMT", 0],
    ["absent", undefined, undefined],
    ["garbage", "soon", undefined],
    ["a negative number", "-1", undefined],
  ])("%s", (_what, value, expected) => {
    expect(retryAfterMs(value === undefined ? {} : { "retry-after": value }, now)).toBe(expected);
  });
});

describe("Meta error envelopes and throttles", () => {
  it.each<[string, unknown, boolean]>([
    ["a tidy envelope", { error: { message: "m", type: "OAuthException", code: 100 } }, true],
    ["an envelope without type", { error: { code: 1, message: "An unknown error occurred" } }, true],
    [
      "error_data as a string",
      { error: { code: 100, error_data: '{"blame_field_specs":[["username"]]}' } },
      true,
    ],
    ["an empty error object", { error: {} }, true],
    ["an error string", { error: "nope" }, false],
    ["an error array", { error: [] }, false],
    ["null", null, false],
    ["an array of envelopes", [{ error: {} }], false],
  ])("%s: %s", (_what, json, isError) => {
    expect(metaErrorOf(json) !== undefined).toBe(isError);
  });

  it.each<[number, unknown, boolean]>([
    [429, undefined, true],
    [400, { code: 80007 }, true],
    [500, { code: 613 }, true],
    [400, { code: 4 }, true],
    [400, { code: "4" }, false],
    [500, { code: 1 }, false],
    [400, { code: 147001 }, false],
  ])("isThrottling(%s, %j) is %s", (status, error, expected) => {
    expect(isThrottling(status, error as never)).toBe(expected);
  });
});
