import { reencryptAllTokens, registerPhone, replacePhoneToken } from "../../functions/core/admin/admin.ts";
import {
  getPhone,
  listHistory,
  listPhones,
  PhoneExistsError,
  removePhone,
} from "../../functions/core/store/phones.ts";
import { readAccessToken } from "../access-token.ts";
import type { Command } from "../command.ts";
import { CommandFailure } from "../errors.ts";
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
    `${describeUsername(event.previousUsername, event.previousStatus)} -> ${describeUsername(event.username, event.status)}`,
    [
      event.context && `context ${event.context}`,
      event.transferredTo && `transferred to ${event.transferredTo}`,
      event.transferredFrom && `transferred from ${event.transferredFrom}`,
    ]
      .filter(Boolean)
      .join(", "),
  ]);
  return `History (oldest first):\n${textTable(["AT", "SOURCE", "CHANGE", "NOTE"], rows)}`;
}

async function requirePhone(phoneNumberId: string) {
  const phone = await getPhone(phoneNumberId, true);
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
      const history = (await listHistory(phoneNumberId)).map(historyView);
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
      const phones = (await listPhones(tenant))
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
      if (!(await removePhone(phoneNumberId)))
        throw new CommandFailure(`no phone number with id ${phoneNumberId}`);
      return { json: { phoneNumberId, removed: true }, text: `Removed phone number ${phoneNumberId}.` };
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
      "Step two of rotating TokenEncryptionKey (docs/deploy.md): with the old key as TOKEN_ENCRYPTION_KEY_PREVIOUS\n" +
      "(TokenEncryptionKeyPrevious in AWS) and the new one as the current key, re-seals every token not yet\n" +
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
];
