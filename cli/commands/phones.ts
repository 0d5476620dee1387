import {
  addNumberAccount,
  BusinessTakenError,
  findNumber,
  LastAccountError,
  listNumbers,
  listTenantIds,
  MetaNumberTakenError,
  numberHistory,
  PhoneExistsError,
  reencryptAllTokens,
  registerPhone,
  removeNumber,
  removeNumberAccount,
  replacePhoneToken,
  setNumberWhatsAppAccountId,
  WhatsAppAccountTakenError,
} from "../../functions/core/admin/numbers.ts";
import { config } from "../../functions/core/config.ts";
import { pacer, type ReconcileOutcome, reconcileNumber } from "../../functions/core/reconcile/reconciler.ts";
import { readAccessToken } from "../access-token.ts";
import type { Command } from "../command.ts";
import { CommandFailure, UsageError } from "../errors.ts";
import { describeUsername, type HistoryView, historyView, type PhoneView, phoneView } from "../phone-view.ts";
import { textTable } from "../text-table.ts";
import { displayPhoneNumber, metaId, tenantId } from "../validate.ts";
import { requireKnownTenant } from "./tenants.ts";

const TOKEN_SOURCES =
  "The Meta access token is read from --access-token, else META_ACCESS_TOKEN, else stdin (piped, or typed " +
  "without echo on a terminal), so it can stay out of shell history. It is stored encrypted and never shown.";

function phoneText(phone: PhoneView): string {
  const rows: Array<[string, string | undefined]> = [
    ["phone number id", phone.phoneNumberId],
    ["tenant", phone.tenantId],
    ["WABA id", phone.wabaId],
    [
      "Meta accounts",
      phone.accountIds && phone.accountIds.length > 1 ? phone.accountIds.join(", ") : undefined,
    ],
    ["WhatsApp Account id", phone.whatsappAccountId],
    ["business portfolio", phone.businessId],
    ["display number", phone.displayPhoneNumber],
    ["username", describeUsername(phone.username, phone.status)],
    ["changed", phone.updatedAt ? `${phone.updatedAt} by ${phone.source ?? "?"}` : undefined],
    ["context", phone.context],
  ];
  return rows
    .filter((row): row is [string, string] => row[1] !== undefined)
    .map(([name, value]) => `${name.padEnd(20)}${value}`)
    .join("\n");
}

function historyText(history: HistoryView[]): string {
  if (history.length === 0) return "History: no changes yet.";
  const rows = history.map((event) => [
    event.at,
    event.source,
    // Items recorded before origins say nothing: unknown, never guessed.
    event.origin === "this_service"
      ? `this service (${event.requestedBy ?? "?"})`
      : (event.origin ?? "unknown"),
    `${describeUsername(event.previousUsername, event.previousStatus)} -> ${describeUsername(event.username, event.status)}`,
    [
      event.context && `context ${event.context}`,
      event.transferredTo && `transferred to ${event.transferredTo}`,
      event.transferredFrom && `transferred from ${event.transferredFrom}`,
    ]
      .filter(Boolean)
      .join(", "),
  ]);
  return `History (oldest first):\n${textTable(["AT", "SOURCE", "ORIGIN", "CHANGE", "NOTE"], rows)}`;
}

async function requirePhone(phoneNumberId: string) {
  const phone = await findNumber(phoneNumberId);
  if (!phone) throw new CommandFailure(`no phone number with id ${phoneNumberId}`);
  return phone;
}

const PHONE_ARGUMENT = [{ name: "phoneNumberId", description: "Meta's phone number id (digits)" }] as const;

export const phoneCommands: Command[] = [
  {
    name: "phone add",
    summary: "Register a phone number of a tenant with its Meta ids and access token",
    description: TOKEN_SOURCES,
    options: {
      tenant: { valueName: "tenantId", description: "the tenant the number belongs to", required: true },
      "phone-number-id": { valueName: "digits", description: "Meta's phone number id", required: true },
      "waba-id": { valueName: "digits", description: "the WhatsApp Business Account id", required: true },
      "business-id": { valueName: "digits", description: "the business portfolio id", required: true },
      "display-phone-number": {
        valueName: "number",
        description: "the number as Meta displays it; '+', spaces, '-', '(' and ')' are dropped",
        required: true,
      },
      "access-token": { valueName: "token", description: "the number's Meta access token (see above)" },
    },
    async run({ options, io }) {
      const command = "phone add";
      const registration = {
        tenantId: tenantId(options.tenant ?? "", command),
        phoneNumberId: metaId(options["phone-number-id"] ?? "", "--phone-number-id", command),
        wabaId: metaId(options["waba-id"] ?? "", "--waba-id", command),
        businessId: metaId(options["business-id"] ?? "", "--business-id", command),
        displayPhoneNumber: displayPhoneNumber(options["display-phone-number"] ?? "", command),
      };
      const accessToken = await readAccessToken(options["access-token"], io, command);
      try {
        const phone = phoneView(await registerPhone({ ...registration, accessToken }));
        return { json: phone, text: `Registered phone number ${phone.phoneNumberId}:\n${phoneText(phone)}` };
      } catch (error) {
        if (error instanceof PhoneExistsError) {
          throw new CommandFailure(
            `phone number ${registration.phoneNumberId} is already registered (phone set-token replaces its token)`,
          );
        }
        // One Meta number, one record: the message names neither the other record nor its tenant.
        if (error instanceof MetaNumberTakenError || error instanceof BusinessTakenError) {
          throw new CommandFailure(error.message);
        }
        throw error;
      }
    },
  },
  {
    name: "phone show",
    summary: "Show a phone number's stored username state and its history",
    arguments: PHONE_ARGUMENT,
    async run({ positionals: [id = ""] }) {
      const phoneNumberId = metaId(id, "phoneNumberId", "phone show");
      const phone = phoneView(await requirePhone(phoneNumberId));
      const history = (await numberHistory(phoneNumberId)).map(historyView);
      return { json: { ...phone, history }, text: `${phoneText(phone)}\n\n${historyText(history)}` };
    },
  },
  {
    name: "phone list",
    summary: "List a tenant's phone numbers",
    options: { tenant: { valueName: "tenantId", description: "the tenant", required: true } },
    async run({ options }) {
      const tenant = tenantId(options.tenant ?? "", "phone list");
      await requireKnownTenant(tenant);
      const phones = (await listNumbers(tenant))
        .map(phoneView)
        .sort((a, b) => a.phoneNumberId.localeCompare(b.phoneNumberId));
      return {
        json: { phones },
        text: phones.length
          ? textTable(
              ["PHONE NUMBER ID", "DISPLAY NUMBER", "WABA ID", "BUSINESS ID", "USERNAME"],
              phones.map((p) => [
                p.phoneNumberId,
                p.displayPhoneNumber,
                p.wabaId,
                p.businessId,
                describeUsername(p.username, p.status),
              ]),
            )
          : `Tenant ${tenant} has no phone numbers.`,
      };
    },
  },
  {
    name: "phone remove",
    summary: "Remove a phone number with its state and history",
    arguments: PHONE_ARGUMENT,
    async run({ positionals: [id = ""] }) {
      const phoneNumberId = metaId(id, "phoneNumberId", "phone remove");
      if (!(await removeNumber(phoneNumberId)))
        throw new CommandFailure(`no phone number with id ${phoneNumberId}`);
      return { json: { phoneNumberId, removed: true }, text: `Removed phone number ${phoneNumberId}.` };
    },
  },
  {
    name: "phone add-account",
    summary: "Put a phone number under one more Meta account (a Messaging Account of Meta's account split)",
    description:
      "Meta's account split lets one number belong to several Messaging Accounts (one per partner or billing " +
      "currency), and a webhook delivery names any of them. Each account id of a number (and its display number) " +
      "belongs to that one record; phone add gives the first (--waba-id).",
    arguments: PHONE_ARGUMENT,
    options: { "account-id": { valueName: "digits", description: "the Meta account id", required: true } },
    async run({ positionals: [id = ""], options }) {
      const command = "phone add-account";
      const phoneNumberId = metaId(id, "phoneNumberId", command);
      const accountId = metaId(options["account-id"] ?? "", "--account-id", command);
      try {
        if (!(await addNumberAccount(phoneNumberId, accountId))) {
          throw new CommandFailure(`no phone number with id ${phoneNumberId}`);
        }
      } catch (error) {
        if (error instanceof MetaNumberTakenError) throw new CommandFailure(error.message);
        throw error;
      }
      const phone = phoneView(await requirePhone(phoneNumberId));
      return {
        json: phone,
        text: `Phone number ${phoneNumberId} is under account ${accountId}:\n${phoneText(phone)}`,
      };
    },
  },
  {
    name: "phone remove-account",
    summary: "Take a phone number out of one of its Meta accounts (it keeps at least one)",
    arguments: PHONE_ARGUMENT,
    options: { "account-id": { valueName: "digits", description: "the Meta account id", required: true } },
    async run({ positionals: [id = ""], options }) {
      const command = "phone remove-account";
      const phoneNumberId = metaId(id, "phoneNumberId", command);
      const accountId = metaId(options["account-id"] ?? "", "--account-id", command);
      try {
        if (!(await removeNumberAccount(phoneNumberId, accountId))) {
          throw new CommandFailure(`phone number ${phoneNumberId} is not under account ${accountId}`);
        }
      } catch (error) {
        if (error instanceof LastAccountError) {
          throw new CommandFailure(`${error.message}: add another with phone add-account first`);
        }
        throw error;
      }
      const phone = phoneView(await requirePhone(phoneNumberId));
      return { json: phone, text: `Phone number ${phoneNumberId} is no longer under account ${accountId}.` };
    },
  },
  {
    name: "phone set-account-id",
    summary: "Record the WhatsApp Account id Meta gives a phone number (accepted in paths for its id)",
    description:
      "A later phase of Meta's account split gives each number a WhatsApp Account id that replaces the phone " +
      "number id in Graph paths. Recorded here, the username routes and /v1 accept either id (docs/spec.md).",
    arguments: PHONE_ARGUMENT,
    options: {
      "whatsapp-account-id": { valueName: "digits", description: "the WhatsApp Account id", required: true },
    },
    async run({ positionals: [id = ""], options }) {
      const command = "phone set-account-id";
      const phoneNumberId = metaId(id, "phoneNumberId", command);
      const whatsappAccountId = metaId(
        options["whatsapp-account-id"] ?? "",
        "--whatsapp-account-id",
        command,
      );
      try {
        if (!(await setNumberWhatsAppAccountId(phoneNumberId, whatsappAccountId))) {
          throw new CommandFailure(`no phone number with id ${phoneNumberId}`);
        }
      } catch (error) {
        if (error instanceof WhatsAppAccountTakenError) throw new CommandFailure(error.message);
        throw error;
      }
      const phone = phoneView(await requirePhone(phoneNumberId));
      return { json: phone, text: `Phone number ${phoneNumberId} answers to ${whatsappAccountId} too.` };
    },
  },
  {
    name: "phone set-token",
    summary: "Replace a phone number's Meta access token",
    description: TOKEN_SOURCES,
    arguments: PHONE_ARGUMENT,
    options: { "access-token": { valueName: "token", description: "the new Meta access token (see above)" } },
    async run({ positionals: [id = ""], options, io }) {
      const phoneNumberId = metaId(id, "phoneNumberId", "phone set-token");
      // Checked first so a mistyped id fails before anyone is asked for a token.
      await requirePhone(phoneNumberId);
      const accessToken = await readAccessToken(options["access-token"], io, "phone set-token");
      if (!(await replacePhoneToken(phoneNumberId, accessToken))) {
        throw new CommandFailure(`no phone number with id ${phoneNumberId}`);
      }
      return {
        json: { phoneNumberId, tokenReplaced: true },
        text: `Replaced the access token of phone number ${phoneNumberId}.`,
      };
    },
  },
  {
    name: "phone reencrypt-tokens",
    summary: "Re-seal every stored Meta token under the current encryption key (key rotation)",
    description:
      "Step two of rotating TokenEncryptionKey (docs/deploy.md): with the old key as TOKEN_ENCRYPTION_KEY_PREVIOUS " +
      "(TokenEncryptionKeyPrevious in AWS) and the new one as the current key, re-seals every token not yet " +
      "under the current key. Safe to run again. Exits 1 if a token opens under neither key.",
    async run() {
      const report = await reencryptAllTokens();
      if (report.failed.length > 0) {
        throw new CommandFailure(
          `${report.failed.length} token(s) open under neither key: ${report.failed.join(", ")} (use phone set-token)`,
        );
      }
      return {
        json: { phones: report.phones, reencrypted: report.reencrypted },
        text: `Checked ${report.phones} phone number(s): re-encrypted ${report.reencrypted.length}.`,
      };
    },
  },
  {
    name: "phone sync",
    summary:
      "Read the username state from Meta and record it where the stored state differs (source reconcile)",
    description:
      "Repairs drift: for one number, or every number with --all, reads Meta's GET username with the number's " +
      "token and records the answer with source 'reconcile' when it differs from the stored state (each " +
      "difference is logged as DriftDetected). Waits for a POST or DELETE in flight on the number. Calls Meta " +
      "at most --rate times a second (default META_SYNC_RATE_PER_SECOND, 5); --all shows progress on stderr. " +
      "Locally Meta is the sandbox npm start runs (META_GRAPH_URL, else port META_SANDBOX_PORT, 4000).",
    arguments: [{ ...PHONE_ARGUMENT[0], optional: true }],
    flags: { all: { description: "every phone number of every tenant" } },
    options: { rate: { valueName: "per-second", description: "calls to Meta per second at most (--all)" } },
    async run({ positionals: [id], flags, options, io }) {
      if ((id === undefined) === !flags.all) {
        throw new UsageError("give one <phoneNumberId> or --all", "phone sync");
      }
      const rate = options.rate === undefined ? config.metaSyncRatePerSecond() : Number(options.rate);
      if (!Number.isFinite(rate) || rate <= 0)
        throw new UsageError("--rate must be a positive number", "phone sync");
      if (id !== undefined) {
        const phoneNumberId = metaId(id, "phoneNumberId", "phone sync");
        await requirePhone(phoneNumberId);
        const outcome = await reconcileNumber(phoneNumberId, { waitMs: 10_000 });
        if (outcome.result === "failed" || outcome.result === "busy") {
          throw new CommandFailure(
            `could not sync ${phoneNumberId}: ${outcome.reason ?? outcome.result}${upstreamHint(outcome)}`,
          );
        }
        return { json: outcome, text: syncLine(outcome) };
      }
      const ids: string[] = [];
      for (const tenant of (await listTenantIds()).sort()) {
        ids.push(...(await listNumbers(tenant)).map((p) => p.phoneNumberId).sort());
      }
      const pace = pacer(rate);
      const outcomes: ReconcileOutcome[] = [];
      for (const [i, phoneNumberId] of ids.entries()) {
        await pace();
        const outcome = await reconcileNumber(phoneNumberId, { waitMs: 10_000 });
        outcomes.push(outcome);
        io.stderr(`[${i + 1}/${ids.length}] ${syncLine(outcome)}\n`);
      }
      const count = (result: ReconcileOutcome["result"]) =>
        outcomes.filter((o) => o.result === result).length;
      const summary = {
        phones: ids.length,
        recorded: count("recorded"),
        confirmed: count("confirmed"),
        kept: count("kept"),
        failed: outcomes
          .filter((o) => o.result === "failed" || o.result === "busy")
          .map((o) => o.phoneNumberId),
      };
      const text =
        `Synced ${summary.phones} phone number(s): ${summary.recorded} differed from Meta and were recorded, ` +
        `${summary.confirmed} matched` +
        (summary.failed.length ? `; could not sync ${summary.failed.join(", ")}` : "") +
        "." +
        upstreamHint(outcomes.find((o) => o.result === "failed" && o.reason === UNREACHABLE_REASON));
      if (summary.failed.length > 0) throw new CommandFailure(text);
      return { json: { ...summary, outcomes }, text };
    },
  },
];

/** Graph code 2 from our own client: Meta could not be reached, or did not answer in time. */
const UNREACHABLE_REASON = "code 2";

/**
 * For a sync that could not reach Meta: which upstream was tried (its origin only, never a path,
 * credentials or token) and where that URL comes from.
 */
function upstreamHint(outcome: ReconcileOutcome | undefined): string {
  if (outcome?.result !== "failed" || outcome.reason !== UNREACHABLE_REASON) return "";
  let origin: string;
  try {
    origin = new URL(config.metaGraphUrl()).origin;
  } catch {
    origin = "(META_GRAPH_URL is not a URL)";
  }
  return (
    ` (Meta at ${origin} could not be reached or did not answer in time; ` +
    "locally that is the sandbox of npm start, on port META_SANDBOX_PORT (4000) unless META_GRAPH_URL is set: " +
    "is npm start running, with the same settings?)"
  );
}

/** One number's sync, for people: what Meta says, and whether it differed. */
function syncLine(outcome: ReconcileOutcome): string {
  const { phoneNumberId, result, drift } = outcome;
  if (result === "recorded" && drift) {
    return (
      `${phoneNumberId}: was ${describeUsername(drift.recorded.username, drift.recorded.status)}, ` +
      `Meta says ${describeUsername(drift.actual.username, drift.actual.status)}: recorded`
    );
  }
  if (result === "confirmed") return `${phoneNumberId}: matches Meta`;
  if (result === "kept" && drift) {
    return (
      `${phoneNumberId}: Meta says ${describeUsername(drift.actual.username, drift.actual.status)}, but the ` +
      `record (${describeUsername(drift.recorded.username, drift.recorded.status)}) is dated after that answer: kept; sync again in a moment`
    );
  }
  return `${phoneNumberId}: ${result}${outcome.reason ? ` (${outcome.reason})` : ""}`;
}
