/** The Meta Graph API sandbox: a loopback stand-in for Meta in tests, benchmarks and `npm start`. */

export type { MetaAnswerExample, MetaAnswerExampleName } from "./meta-errors.ts";
export { META_ANSWER_EXAMPLE_NAMES, META_ANSWER_EXAMPLES } from "./meta-errors.ts";
export type { PhoneSource } from "./phone-source.ts";
export type { ApproveOptions, MetaSandbox, MetaSandboxOptions, RevokeOptions } from "./server.ts";
export { startMetaSandbox } from "./server.ts";
export type {
  RecordedRequest,
  RecordedResponse,
  SandboxFault,
  SandboxFaultMode,
  SandboxPhone,
  SandboxPhoneInput,
  SandboxPhonePatch,
} from "./state.ts";
export { SandboxError } from "./state.ts";
export type {
  DeliverRawOptions,
  WebhookConfig,
  WebhookDelivery,
  WebhookEvent,
  WebhookField,
  WebhookPayload,
} from "./webhooks.ts";
export { buildWebhookPayload, signWebhookBody } from "./webhooks.ts";
