import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import {
  DEFAULT_SECRET_OVERLAP_SECONDS,
  type DeliveryLogEntry,
  deliveryLogPage,
  endpointViews,
  MAX_SECRET_OVERLAP_SECONDS,
  parseLogPosition,
  redeliverEvent,
  removeEndpointById,
  resealEndpointSecrets,
  rotateEndpointSecret,
  setEndpointEventTypes,
  WebhookAdminError,
} from "../../functions/core/admin/webhooks.ts";
import { config } from "../../functions/core/config.ts";
import { endpointUrlProblem } from "../../functions/core/tenant-webhooks/endpoint-url.ts";
import { eventTypesSchema } from "../../functions/core/validation/self-service-bodies.ts";
import {
  DEFAULT_WEBHOOK_EVENT_TYPES,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from "../../functions/core/validation/tenant-api.ts";
import type { Command } from "../command.ts";
import { CommandFailure, shown, UsageError } from "../errors.ts";
import { textTable } from "../text-table.ts";
import { tenantId } from "../validate.ts";
import { requireKnownTenant } from "./tenants.ts";

const ENDPOINT_ID = /^ep_[0-9a-f]{20}$/;
const EVENT_ID = /^evt_[0-9A-Z]{26}$/;
const DEFAULT_LOG_LIMIT = 20;
const MAX_LOG_LIMIT = 200;

function endpointId(value: string, command: string): string {
  if (!ENDPOINT_ID.test(value)) {
    throw new UsageError(`an endpoint id looks like ep_0123456789abcdef0123, got ${shown(value)}`, command);
  }
  return value;
}

/**
 * `username.updated,username.changed_outside`: the endpoint's event types, each once; `name` is
 * how the command takes them (`--types` of `webhook add`, the `types` argument of `set-types`).
 */
function eventTypes(value: string, command: string, name = "--types"): WebhookEventType[] {
  const parsed = eventTypesSchema.safeParse(value);
  if (!parsed.success) {
    throw new UsageError(
      `${name} must name one or more of ${WEBHOOK_EVENT_TYPES.join(", ")}, separated by commas, got ${shown(value)}`,
      command,
    );
  }
  return parsed.data;
}

function limit(value: string | undefined, command: string): number {
  if (value === undefined) return DEFAULT_LOG_LIMIT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_LOG_LIMIT) {
    throw new UsageError(
      `--limit must be an integer from 1 to ${MAX_LOG_LIMIT}, got ${shown(value)}`,
      command,
    );
  }
  return n;
}

/** Operator mistakes and unknown ids found by the admin code are ordinary failures (exit 1). */
async function admin<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof WebhookAdminError) throw new CommandFailure(error.message);
    throw error;
  }
}

const DURATION = /^(\d{1,7})([smhd]?)$/;
const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** `--overlap`: `0`, or a number with a unit (`90s`, `30m`, `24h`, `2d`; no unit: seconds), as seconds. */
function overlapSeconds(value: string | undefined, command: string): number {
  if (value === undefined) return DEFAULT_SECRET_OVERLAP_SECONDS;
  const match = DURATION.exec(value);
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] ?? ""] ?? 1) : Number.NaN;
  if (!match || seconds > MAX_SECRET_OVERLAP_SECONDS) {
    throw new UsageError(
      `--overlap takes 0 or a duration up to 7d such as 30m, 24h or 2d, got ${shown(value)}`,
      command,
    );
  }
  return seconds;
}

function secretText(
  what: string,
  issued: { id: string; url: string; secret: string; previousSecretExpiresAt?: string },
): string {
  return [
    `${what} ${issued.id} -> ${issued.url}`,
    "Its signing secret, shown only now (give it to the tenant; verify with any Standard Webhooks library):",
    "",
    `  ${issued.secret}`,
    ...(issued.previousSecretExpiresAt
      ? [
          "",
          `Until ${issued.previousSecretExpiresAt} every delivery carries a signature with the previous secret too: ` +
            "the receiver may switch to the new one any time before then.",
        ]
      : []),
  ].join("\n");
}

function deliveryRow(entry: DeliveryLogEntry): string[] {
  const outcome =
    entry.lastResponseStatus !== undefined && entry.lastError === undefined
      ? `HTTP ${entry.lastResponseStatus}`
      : (entry.lastError ?? "-");
  const when =
    entry.status === "pending"
      ? `next ${entry.nextAttemptAt ?? "?"}`
      : (entry.deliveredAt ?? entry.failedAt ?? "-");
  return [entry.eventId, entry.endpointId, entry.status, String(entry.attempts), outcome, when];
}

export const webhookCommands: Command[] = [
  {
    name: "webhook add",
    summary: "Register a webhook endpoint for a tenant's username change events; its secret is printed once",
    description:
      "Events are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). The URL must be " +
      "https (a local store also accepts http on loopback); redirects are not followed.",
    options: {
      tenant: { valueName: "tenantId", description: "the tenant whose events go there", required: true },
      url: { valueName: "url", description: "where events are POSTed", required: true },
      types: {
        valueName: "types",
        description: `the event types it receives, separated by commas (${WEBHOOK_EVENT_TYPES.join(", ")}); default username.updated`,
      },
    },
    async run({ options }) {
      const command = "webhook add";
      const tenant = tenantId(options.tenant ?? "", command);
      const url = options.url ?? "";
      const problem = endpointUrlProblem(url, config.allowsLoopbackWebhooks());
      if (problem) throw new UsageError(`--url ${problem}`, command);
      const types = options.types === undefined ? undefined : eventTypes(options.types, command);
      await requireKnownTenant(tenant);
      const issued = await admin(() => addEndpoint(tenant, url, types ? { eventTypes: types } : {}));
      const receives = [...new Set(types ?? DEFAULT_WEBHOOK_EVENT_TYPES)];
      return {
        json: { ...issued, eventTypes: receives },
        text: `${secretText("Added webhook endpoint", issued)}\n\nIt receives: ${receives.join(", ")}.`,
      };
    },
  },
  {
    name: "webhook list",
    summary: "List a tenant's webhook endpoints (never their secrets)",
    options: { tenant: { valueName: "tenantId", description: "the tenant", required: true } },
    async run({ options }) {
      const tenant = tenantId(options.tenant ?? "", "webhook list");
      await requireKnownTenant(tenant);
      const endpoints = await endpointViews(tenant);
      return {
        json: { endpoints },
        text: endpoints.length
          ? textTable(
              ["ID", "URL", "TYPES", "CREATED", "SECRET ROTATED", "PREVIOUS SECRET SIGNS UNTIL"],
              endpoints.map((e) => [
                e.id,
                e.url,
                e.eventTypes.join(","),
                e.createdAt,
                e.secretRotatedAt ?? "-",
                e.previousSecretExpiresAt ?? "-",
              ]),
            )
          : `Tenant ${tenant} has no webhook endpoints.`,
      };
    },
  },
  {
    name: "webhook set-types",
    summary: "Choose the event types a webhook endpoint receives",
    description:
      "username.updated: every change; username.changed_outside: only changes made outside this service (sent with " +
      "that type). Both: every change once, as username.updated. Events already handed to the endpoint are delivered " +
      "as they were.",
    arguments: [
      { name: "endpointId", description: "the endpoint's id (from webhook list)" },
      { name: "types", description: `event types separated by commas (${WEBHOOK_EVENT_TYPES.join(", ")})` },
    ],
    async run({ positionals: [id = "", types = ""] }) {
      const command = "webhook set-types";
      const chosen = eventTypes(types, command, "types");
      const updated = await admin(() => setEndpointEventTypes(endpointId(id, command), chosen));
      return {
        json: { id: updated.id, tenantId: updated.tenantId, eventTypes: updated.eventTypes },
        text: `Webhook endpoint ${updated.id} of tenant ${updated.tenantId} now receives ${updated.eventTypes.join(", ")}.`,
      };
    },
  },
  {
    name: "webhook remove",
    summary: "Remove a webhook endpoint; nothing more is sent to it",
    arguments: [{ name: "endpointId", description: "the endpoint's id (from webhook list)" }],
    async run({ positionals: [id = ""] }) {
      const removed = await admin(() => removeEndpointById(endpointId(id, "webhook remove")));
      return {
        json: { id: removed.id, tenantId: removed.tenantId, removed: true },
        text: `Removed webhook endpoint ${removed.id} (${removed.url}) of tenant ${removed.tenantId}.`,
      };
    },
  },
  {
    name: "webhook rotate-secret",
    summary:
      "Give a webhook endpoint a new signing secret, printed once; the old one keeps signing for an overlap",
    description:
      "Every attempt from now on, retries of earlier events included, is signed with the new secret. Until the " +
      "overlap ends (default 24h) every attempt also carries a signature with the previous secret, as Standard " +
      "Webhooks allows, so the receiver switches at its own pace; then the previous secret is dropped. --overlap 0 " +
      "stops the previous secret at once (a leaked secret). Rotating again during an overlap drops the oldest.",
    arguments: [{ name: "endpointId", description: "the endpoint's id (from webhook list)" }],
    options: {
      overlap: {
        valueName: "duration",
        description:
          "how long the previous secret keeps signing: 0, or e.g. 30m, 24h, 2d (default 24h, at most 7d)",
      },
    },
    async run({ positionals: [id = ""], options }) {
      const command = "webhook rotate-secret";
      const endpoint = endpointId(id, command);
      const overlap = overlapSeconds(options.overlap, command);
      const issued = await admin(() => rotateEndpointSecret(endpoint, { overlapSeconds: overlap }));
      return { json: issued, text: secretText("New secret for webhook endpoint", issued) };
    },
  },
  {
    name: "webhook deliveries",
    summary: "A tenant's webhook delivery log, newest event first",
    description:
      "Without --failed: the latest events to each endpoint, with their status (delivered, pending = waiting for a " +
      "retry, failed, not attempted). With --failed: deliveries that failed after their last attempt " +
      "(retried over about 27 hours; WEBHOOK_RETRY_DELAYS sets the schedule). webhook redeliver sends one again.",
    options: {
      tenant: { valueName: "tenantId", description: "the tenant", required: true },
      failed: {
        valueName: "",
        flag: true,
        description: "only deliveries that failed after their last attempt",
      },
      limit: {
        valueName: "n",
        description: `events (with --failed: deliveries) per page (default ${DEFAULT_LOG_LIMIT}, up to ${MAX_LOG_LIMIT})`,
      },
      after: {
        valueName: "position",
        description: "the next page: the position a page printed as next (older events)",
      },
    },
    async run({ options }) {
      const command = "webhook deliveries";
      const tenant = tenantId(options.tenant ?? "", command);
      const rows = limit(options.limit, command);
      const failed = options.failed === "true";
      if (options.after !== undefined && !parseLogPosition(options.after, failed)) {
        throw new UsageError(
          `--after takes the position a page printed as next (${failed ? "<sequence>/<endpoint id>" : "a sequence number"}), got ${shown(options.after)}`,
          command,
        );
      }
      await requireKnownTenant(tenant);
      const { deliveries, next } = await admin(() =>
        deliveryLogPage(tenant, {
          failed,
          limit: rows,
          ...(options.after !== undefined ? { after: options.after } : {}),
        }),
      );
      const more = next === undefined ? "" : `\nMore: --after ${next}`;
      return {
        json: { deliveries, ...(next !== undefined ? { next } : {}) },
        text: deliveries.length
          ? `${textTable(
              ["EVENT", "ENDPOINT", "STATUS", "ATTEMPTS", "LAST OUTCOME", "WHEN"],
              deliveries.map(deliveryRow),
            )}${more}`
          : options.after !== undefined
            ? "No more deliveries."
            : failed
              ? `Tenant ${tenant} has no failed deliveries.`
              : `Tenant ${tenant} has no events or no webhook endpoints yet.`,
      };
    },
  },
  {
    name: "webhook redeliver",
    summary: "Send an event again to its tenant's endpoints (or one), with the same webhook-id",
    description:
      "A new round of attempts, due now: the retry sweep sends it within a minute in AWS (about a second under npm start).",
    arguments: [{ name: "eventId", description: "the event's id, e.g. evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF" }],
    options: { endpoint: { valueName: "endpointId", description: "only to this endpoint" } },
    async run({ positionals: [id = ""], options }) {
      const command = "webhook redeliver";
      if (!EVENT_ID.test(id))
        throw new UsageError(`an event id looks like evt_ + 26 characters, got ${shown(id)}`, command);
      const only = options.endpoint === undefined ? undefined : endpointId(options.endpoint, command);
      const scheduled = await admin(() => redeliverEvent(id, only));
      return {
        json: scheduled,
        text: `Redelivery of ${scheduled.eventId} scheduled to ${scheduled.endpointIds.join(", ")}.`,
      };
    },
  },
  {
    name: "webhook reseal-secrets",
    summary: "Re-seal every endpoint's signing secret under the current encryption key (key rotation)",
    description:
      "Endpoint secrets are sealed with TokenEncryptionKey like Meta tokens: run this beside phone reencrypt-tokens in " +
      "step two of the key rotation (docs/deploy.md). Safe to run again. Exits 1 if a secret opens under neither key.",
    async run() {
      const report = await resealEndpointSecrets();
      if (report.failed.length > 0) {
        throw new CommandFailure(
          `${report.failed.length} secret(s) open under neither key: ${report.failed.join(", ")} (use webhook rotate-secret)`,
        );
      }
      return {
        json: { endpoints: report.endpoints, resealed: report.resealed },
        text: `Checked ${report.endpoints} endpoint(s): re-sealed ${report.resealed.length}.`,
      };
    },
  },
];
