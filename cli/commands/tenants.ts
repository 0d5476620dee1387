import { listTenantIds as listTenants } from "../../functions/core/admin/numbers.ts";
import type { Command } from "../command.ts";
import { CommandFailure } from "../errors.ts";
import { INVOCATION } from "../help.ts";

/** A tenant exists once a key or phone number names it; listing an unknown one is likely a typo. */
export async function requireKnownTenant(tenantId: string): Promise<void> {
  const tenants = await listTenants();
  if (!tenants.includes(tenantId)) {
    throw new CommandFailure(`unknown tenant '${tenantId}' (tenant list shows the known ones)`);
  }
}

export const tenantCommands: Command[] = [
  {
    name: "tenant list",
    summary: "List tenants (every id a key or phone number names)",
    description:
      "A tenant is an id: it exists once an API key or a phone number names it. Create one with key create.",
    async run() {
      const tenants = (await listTenants()).sort();
      return {
        json: { tenants: tenants.map((tenantId) => ({ tenantId })) },
        text: tenants.length
          ? tenants.join("\n")
          : `No tenants yet. Create one with: ${INVOCATION} key create --tenant <tenantId>`,
      };
    },
  },
];
