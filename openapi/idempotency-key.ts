/**
 * The optional `Idempotency-Key` header of POST and DELETE, as documented. The pattern restates
 * functions/core/idempotency/idempotency-key.ts (which keeps its own private); a unit test checks
 * that it accepts exactly the keys the service accepts.
 */
import { IDEMPOTENCY_KEY_MAX_LENGTH } from "../functions/core/idempotency/idempotency-key.ts";
import {
  IDEMPOTENCY_TTL_SECONDS,
  REPLAYED_HEADER,
} from "../functions/core/idempotency/idempotent-request.ts";

export const IDEMPOTENCY_KEY_PATTERN = `^[!-~](?:[ -~]{0,${IDEMPOTENCY_KEY_MAX_LENGTH - 2}}[!-~])?$`;

export function idempotencyKeyParameter() {
  return {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      `Makes a retry safe: for ${IDEMPOTENCY_TTL_SECONDS / 3600} hours, the same key with the same request ` +
      `gets the first answer again (with \`${REPLAYED_HEADER}: true\`) without calling Meta again; the same key ` +
      "with a different request is 422, and while the first is still running 409. Answers that say " +
      '"retry later" (429, 5xx, transient codes) are not kept, so the retry really runs.',
    schema: {
      type: "string",
      minLength: 1,
      maxLength: IDEMPOTENCY_KEY_MAX_LENGTH,
      pattern: IDEMPOTENCY_KEY_PATTERN,
    },
  };
}

/** The header a replayed answer carries. */
export function replayedHeader() {
  return {
    [REPLAYED_HEADER]: {
      description:
        "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
      schema: { type: "string", const: "true" },
    },
  };
}
