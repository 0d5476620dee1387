/// <reference path="./.sst/platform/config.d.ts" />
/**
 * SST v4 app: `app()` says where and how stages live, `run()` builds them from infra/*.ts.
 * The globals (`sst`, `$app`, `aws`, ...) are typed by SST's generated `.sst/platform/config.d.ts`
 * (`npm run sst:platform` installs it; infra/tsconfig.json checks this file and infra/ against it).
 */

/**
 * Fixed on purpose, not read from AWS_REGION: SST keeps a stage's state in its home region, so
 * a shell with another default region would deploy a second copy instead of updating this one.
 * Change it here (a reviewed commit) before the first deploy of a stage.
 */
const REGION = "us-east-1";

export default $config({
  app(input) {
    const production = input?.stage === "production";
    return {
      name: "whatsapp-usernames",
      home: "aws",
      // Production keeps its table (usernames, history, API keys) even through `sst remove`.
      removal: production ? "retain" : "remove",
      protect: production,
      providers: { aws: { region: REGION } },
    };
  },
  async run() {
    const { table } = await import("./infra/storage.ts");
    await import("./infra/secrets.ts");
    const { api, webhookUrl } = await import("./infra/api.ts");
    await import("./infra/reconciler.ts");
    await import("./infra/events.ts");
    await import("./infra/alarms.ts");
    // The tenant console is served by the API itself (infra/console.ts): one origin.
    return { api: api.url, webhookUrl, console: $interpolate`${api.url}/console/`, table: table.name };
  },
});
