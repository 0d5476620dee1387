import {
  issueApiKey,
  revokeApiKeyById,
  type TenantApiKeyEntry,
  tenantApiKeys,
} from "../../functions/core/admin/admin.ts";
import type { Command } from "../command.ts";
import { CommandFailure } from "../errors.ts";
import { textTable } from "../text-table.ts";
import { label, tenantId } from "../validate.ts";
import { requireKnownTenant } from "./tenants.ts";

/** A key as listed: never its hash. `lastUsedAt` is recorded at most once per key per period and container. */
function keyView(key: TenantApiKeyEntry) {
  return {
    id: key.id,
    tenantId: key.tenantId,
    ...(key.name ? { name: key.name } : {}),
    createdAt: key.createdAt,
    ...(key.lastUsedAt ? { lastUsedAt: key.lastUsedAt } : {}),
    ...(key.revokedAt ? { revokedAt: key.revokedAt } : {}),
    status: key.revokedAt ? "revoked" : "active",
  };
}

export const keyCommands: Command[] = [
  {
    name: "key create",
    summary: "Create an API key for a tenant; the key is printed once",
    description: "Only the key's SHA-256 is stored: copy the key now, it cannot be shown again.",
    options: {
      tenant: { valueName: "tenantId", description: "the tenant the key acts for", required: true },
      name: { valueName: "label", description: "a label to recognise the key by in key list" },
    },
    async run({ options }) {
      const tenant = tenantId(options.tenant ?? "", "key create");
      const name = options.name === undefined ? undefined : label(options.name, "key create");
      const issued = await issueApiKey(tenant, name);
      return {
        json: { id: issued.id, tenantId: issued.tenantId, apiKey: issued.apiKey },
        text: [
          `Created API key ${issued.id} for tenant ${issued.tenantId}.`,
          "Store it now, it is not shown again:",
          "",
          `  ${issued.apiKey}`,
          "",
          "Send it as X-API-Key: <key> (or Authorization: Bearer <key>).",
        ].join("\n"),
      };
    },
  },
  {
    name: "key list",
    summary: "List a tenant's API keys (ids, labels, when last used; never the keys)",
    description:
      "LAST USED is recorded at most once per key every API_KEY_USE_PERIOD_SECONDS (300 s by default) on each " +
      "running function, so it may be up to that much behind; '-' for a key never used since this was recorded.",
    options: { tenant: { valueName: "tenantId", description: "the tenant", required: true } },
    async run({ options }) {
      const tenant = tenantId(options.tenant ?? "", "key list");
      await requireKnownTenant(tenant);
      const keys = (await tenantApiKeys(tenant))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .map(keyView);
      return {
        json: { keys },
        text: keys.length
          ? textTable(
              ["ID", "NAME", "CREATED", "LAST USED", "STATUS"],
              keys.map((k) => [
                k.id,
                k.name ?? "-",
                k.createdAt,
                k.lastUsedAt ?? "-",
                k.revokedAt ? `revoked ${k.revokedAt}` : k.status,
              ]),
            )
          : `Tenant ${tenant} has no API keys.`,
      };
    },
  },
  {
    name: "key revoke",
    summary: "Revoke an API key by its id (from key list)",
    description:
      "Revoking twice is harmless and keeps the first time. Running functions cache valid keys for up to " +
      "API_KEY_CACHE_TTL_MS (60 s by default), so a warm one may accept the key for that long.",
    arguments: [{ name: "keyId", description: "the key's id, e.g. key_0123456789abcdef" }],
    async run({ positionals: [id = ""] }) {
      const revoked = await revokeApiKeyById(id);
      if (!revoked) throw new CommandFailure(`no API key with id '${id}'`);
      return {
        json: { id: revoked.id, tenantId: revoked.tenantId, revokedAt: revoked.revokedAt },
        text: `Revoked API key ${revoked.id} of tenant ${revoked.tenantId} (at ${revoked.revokedAt}).\nWarm functions may accept it for up to the API key cache TTL (60 s by default).`,
      };
    },
  },
];
