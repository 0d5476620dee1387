/** components.schemas: each generated from the schema the service validates with, plus documentation. */

import { graphErrorSchema } from "../functions/core/errors/graph-error-envelope.ts";
import type { DeliverySummary } from "../functions/core/meta-webhook/username-updates.ts";
import {
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
  USERNAME_RULES,
} from "../functions/core/validation/username-format.ts";
import {
  claimResponseSchema,
  claimUsernameBodySchema,
  deleteResponseSchema,
  suggestionsResponseSchema,
  usernameResponseSchema,
} from "../functions/core/validation/username-request.ts";
import {
  USERNAME_UPDATE_FIELDS,
  usernameUpdateValueSchema,
  webhookPayloadSchema,
} from "../functions/core/validation/webhook.ts";
import { describeProperties, type JsonSchema, jsonSchemaOf, propertiesOf } from "./json-schema.ts";
import { usernamePattern } from "./username-pattern.ts";

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const STATUS_DESCRIPTION =
  "`reserved` (approved, not yet visible in the user's region), `approved` (visible), `deleted`; " +
  "values Meta adds later are passed through as they come.";

function username(): JsonSchema {
  return {
    type: "string",
    minLength: USERNAME_MIN_LENGTH,
    maxLength: USERNAME_MAX_LENGTH,
    pattern: usernamePattern(),
    description: [
      "A WhatsApp business username, checked here before it reaches Meta (Meta stays the final judge):",
      ...USERNAME_RULES.map((rule) => `- ${rule.message}`),
      "Case is ignored when comparing names; periods and underscores are significant.",
    ].join("\n"),
    examples: ["lucky_shrub", "kapso.support"],
  };
}

/** `word` in any case, as regular expression text: `get` becomes `[Gg][Ee][Tt]`. */
function anyCase(word: string): string {
  return [...word].map((c) => `[${c.toUpperCase()}${c.toLowerCase()}]`).join("");
}

/**
 * Graph's `method` override as the service reads it (methodOverrideSchema in
 * functions/core/validation/username-request.ts lower-cases it, then takes `post`, `get` or
 * `delete`), in the query string or the body: a pattern, as any case is taken, so a Graph client's
 * `method=GET` or `method=Delete` is valid here too. The contract test sends each case and others.
 */
export const METHOD_OVERRIDE_PATTERN = `^(?:${["post", "get", "delete"].map(anyCase).join("|")})$`;
/** The overrides that make a POST something other than a claim: no `username` is needed then. */
const READ_OR_DELETE_PATTERN = `^(?:${["get", "delete"].map(anyCase).join("|")})$`;

export const METHOD_OVERRIDE_DESCRIPTION =
  "Graph's method override (any case), for clients that cannot send every method: `delete` makes this " +
  "POST the path's DELETE (answered `{\"success\":…}`), `get` the path's GET (answered as the GET: " +
  "`UsernameResponse`; `username`, `transfer_action` and an Idempotency-Key are then ignored; Go Graph " +
  "clients read with `POST …?method=GET`), `post` changes nothing. Anything else is 400 code 100.";

/**
 * The claim's parameters (JSON, form or query string). One object type per use, each declaring
 * every field the service reads, so that openapi-typescript makes a union of object types of it
 * (a `required`-only `anyOf` branch became `unknown`, which let any body compile): a claim needs
 * `username`; a read or delete through `method` needs none. `additionalProperties` is left out:
 * JSON Schema's default accepts other fields, as the service does (it drops them), and
 * openapi-typescript then types the declared fields only, so a misspelled one does not compile.
 */
function claimRequest(): JsonSchema {
  const { required: _required, properties: _properties, ...schema } = jsonSchemaOf(claimUsernameBodySchema);
  const properties = { ...propertiesOf(jsonSchemaOf(claimUsernameBodySchema)) };
  // The format check is a refinement zod cannot express in JSON Schema: the Username schema does.
  properties.username = ref("Username");
  properties.transfer_action = {
    description:
      "`none` (the default) fails with 147005 when another number of the same business portfolio holds " +
      "the name; `force_transfer` moves the name from that number to this one.",
    ...(properties.transfer_action as JsonSchema),
  };
  properties.method = {
    type: "string",
    pattern: METHOD_OVERRIDE_PATTERN,
    description: METHOD_OVERRIDE_DESCRIPTION,
  };
  properties.access_token = {
    type: "string",
    description:
      "The API key, as Graph SDKs send a token in a form or JSON body (after `X-API-Key` and `Authorization`). " +
      "Never forwarded, never logged.",
  };
  return {
    description:
      "Only `username` and `transfer_action` are forwarded to Meta; `method` and `access_token` are read here; " +
      "any other field is accepted and dropped. `username` is required unless `method` is `get` or `delete` " +
      "(any case).",
    anyOf: [
      {
        ...schema,
        title: "Claim",
        description: "A claim of `username` (`method` absent or `post`).",
        properties,
        required: ["username"],
      },
      {
        ...schema,
        title: "MethodOverride",
        description: "`method=get` or `method=delete`: the path's GET or DELETE; `username` is not needed.",
        properties: {
          ...properties,
          method: { ...(properties.method as JsonSchema), pattern: READ_OR_DELETE_PATTERN },
        },
        required: ["method"],
      },
    ],
    examples: [
      { username: "lucky_shrub" },
      { username: "lucky_shrub", transfer_action: "force_transfer" },
      { method: "delete" },
      { method: "GET", access_token: "wau_0123456789abcdefghijklmnopqrstuv" },
    ],
  };
}

/**
 * Any Graph error envelope: the service's own (ServiceError) and every error of Meta's passed
 * through byte for byte, whatever else it holds: a JSON object whose `error` is an object. The
 * fields Graph defines are typed where present; none is required, as Meta's vary.
 */
function graphError(): JsonSchema {
  return {
    description:
      "Meta's Graph API error envelope. Every error the service makes has this shape (ServiceError). Meta's own " +
      "errors are passed through byte for byte with their HTTP status whatever else they hold (Meta's may lack " +
      "`type`, carry `error_data` as a JSON string or without `messaging_product`, or add fields): any JSON " +
      "object whose `error` is an object. `fbtrace_id` of the service's own errors is the request id.",
    type: "object",
    properties: {
      error: {
        type: "object",
        properties: {
          message: { type: "string" },
          type: { type: "string" },
          code: { type: "integer" },
          error_subcode: { type: "integer" },
          is_transient: { type: "boolean" },
          error_data: {
            description:
              "An object (the service's: `messaging_product` and `details`), or Meta's JSON string.",
            type: ["object", "string"],
          },
          error_user_title: { type: "string" },
          error_user_msg: { type: "string" },
          fbtrace_id: { type: "string" },
        },
      },
    },
    required: ["error"],
  };
}

function webhookPayload(): JsonSchema {
  const schema = jsonSchemaOf(webhookPayloadSchema);
  const entry = propertiesOf(schema).entry?.items as JsonSchema | undefined;
  const change = entry && (propertiesOf(entry).changes?.items as JsonSchema | undefined);
  if (!entry || !change) throw new Error("webhook payload schema no longer has entry[].changes[]");
  describeProperties(entry, {
    id: "The WABA id.",
    time: "Unix seconds: orders deliveries of the same number.",
  });
  describeProperties(change, {
    field:
      "`business_username_updates` (older documents: `business_username_update`); other fields are ignored.",
  });
  // Which value a change carries depends on its field: username updates are described exactly.
  change.if = { properties: { field: { enum: [...USERNAME_UPDATE_FIELDS] } }, required: ["field"] };
  // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword, not a promise.
  change.then = { properties: { value: ref("UsernameUpdateValue") } };
  return {
    description:
      "A signed delivery from Meta. Up to 1000 changes across entries and WABAs, up to 3 MB. The number is " +
      "found by WABA id plus display phone number (digits compared).",
    ...schema,
    examples: [
      {
        object: "whatsapp_business_account",
        entry: [
          {
            id: "102290129340398",
            time: 1767225600,
            changes: [
              {
                field: "business_username_updates",
                value: { display_phone_number: "15550783881", username: "lucky_shrub", status: "approved" },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Kept in step with DeliverySummary by the compiler: a missing or extra field fails the typecheck. */
const DELIVERY_SUMMARY_FIELDS = {
  changes: "changes in the delivery, of every field",
  applied: "username updates that changed a number's state",
  duplicate: "username updates already applied (redeliveries)",
  stale: "username updates older than the stored state, not applied",
  unchanged: "username updates equal to the stored state",
  unknownNumber: "username updates for a number this service does not know (logged, acknowledged)",
  ignored: "changes of other fields (messages, statuses, ...) or malformed changes, acknowledged and ignored",
  malformed: "entries that are not a WhatsApp Business Account entry (logged, acknowledged, skipped)",
  failed: "username updates that could not be stored (the answer is then 500 so Meta redelivers)",
  deferred:
    "username updates not attempted because the invocation's deadline was near (the answer is then 503 so Meta redelivers)",
} satisfies Record<keyof DeliverySummary, string>;

function webhookAcknowledgement(): JsonSchema {
  return {
    type: "object",
    description: "The delivery was processed; the counts are for logs and tests, Meta ignores the body.",
    properties: {
      received: { type: "boolean", const: true },
      ...Object.fromEntries(
        Object.entries(DELIVERY_SUMMARY_FIELDS).map(([name, description]) => [
          name,
          { type: "integer", minimum: 0, description },
        ]),
      ),
    },
    required: ["received", ...Object.keys(DELIVERY_SUMMARY_FIELDS)],
  };
}

export function schemaComponents(): Record<string, JsonSchema> {
  return {
    ClaimUsernameRequest: claimRequest(),
    ClaimUsernameResponse: {
      description: `Passed through from Meta. status: ${STATUS_DESCRIPTION}`,
      ...jsonSchemaOf(claimResponseSchema),
      examples: [{ status: "reserved" }],
    },
    DeleteUsernameResponse: {
      description: "Passed through from Meta; `success: true` clears the stored username (status `deleted`).",
      ...jsonSchemaOf(deleteResponseSchema),
      examples: [{ success: true }],
    },
    GraphError: graphError(),
    ServiceError: {
      description:
        "An error the service answers itself: Graph's envelope with `message`, `type` and `code` always, " +
        "`fbtrace_id` = the request id (API Gateway's `apigw-requestid`), `error_data` an object when present.",
      ...jsonSchemaOf(graphErrorSchema),
    },
    Username: username(),
    UsernameResponse: {
      description: `Passed through from Meta; \`username\` is absent when the number has none. status: ${STATUS_DESCRIPTION}`,
      ...jsonSchemaOf(usernameResponseSchema),
      examples: [{ username: "kapso_support", status: "reserved" }, {}],
    },
    UsernameSuggestionsResponse: {
      description: "Passed through from Meta.",
      ...jsonSchemaOf(suggestionsResponseSchema),
      examples: [{ data: [{ username_suggestions: ["kapso_support", "kapso_ai"] }] }],
    },
    UsernameUpdateValue: {
      description: "The value of a username update. `username` is absent when status is `deleted`.",
      ...describeProperties(jsonSchemaOf(usernameUpdateValueSchema), {
        display_phone_number: "The number's display phone number; compared by its digits.",
        status: STATUS_DESCRIPTION,
        context: "e.g. `revoked`.",
      }),
    },
    WebhookAcknowledgement: webhookAcknowledgement(),
    WebhookPayload: webhookPayload(),
  };
}
