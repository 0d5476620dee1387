/** The Meta Graph API sandbox: a loopback stand-in for Meta in tests, benchmarks and `npm start`. */

export type { SandboxFault, SandboxFaultMode } from "./control-input.ts";
export { SandboxError } from "./control-input.ts";
export type { MetaAnswerExample, MetaAnswerExampleName } from "./meta-errors.ts";
export { META_ANSWER_EXAMPLE_NAMES, META_ANSWER_EXAMPLES } from "./meta-errors.ts";
export type { PhoneSource } from "./phone-source.ts";
export type { RecordedRequest, RecordedResponse } from "./request-log.ts";
export type { SandboxPhone, SandboxPhoneInput, SandboxPhonePatch } from "./sandbox-phone.ts";
export type { ApproveOptions, MetaSandbox, MetaSandboxOptions, RevokeOptions } from "./server.ts";
export { startMetaSandbox } from "./server.ts";
export type {
  DeliverRawOptions,
  WebhookConfig,
  WebhookDelivery,
  WebhookEvent,
  WebhookField,
  WebhookPayload,
} from "./webhooks.ts";
export { buildWebhookPayload, signWebhookBody } from "./webhooks.ts";
