/**
 * The layer order of functions/ (docs/architecture.md, "Layers"), checked by `npm test`
 * (test/unit/layers.test.ts runs `depcruise`). Arrows point down:
 *
 *   entry points   functions/<lambda>/          thin: one wrapper, one call
 *   http           functions/core/http/         middy stack, request parsing, route wrappers
 *   services       functions/core/<service>/    usernames, meta-webhook, tenant-webhooks, ...
 *   store          functions/core/store/        table access and key layout only
 *   domain         functions/core/username-state/, validation/   pure rules, types, schemas
 *   foundation     functions/core/errors/, crypto/, config, logger, metrics, ...
 *
 * The admin CLI (cli/) sits on top, beside the entry points: it reaches the table through the
 * services, never the store. A module may import its own layer and the layers below it, never one above, and nothing may
 * import in a circle.
 */
const FOUNDATION = "^functions/core/(errors/|crypto/|[^/]+\\.ts$)";
const DOMAIN = "^functions/core/(username-state|validation)/";
const STORE = "^functions/core/store/";
const HTTP = "^functions/core/http/";
const ENTRY = "^functions/(?!core/)";
const CORE = "^functions/core/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Modules of functions/ never import each other in a loop.",
      severity: "error",
      from: { path: "^functions/" },
      to: { circular: true },
    },
    {
      name: "foundation-imports-nothing-above",
      comment: "errors, crypto, config, logger, metrics: imported by every layer, import none of them.",
      severity: "error",
      from: { path: FOUNDATION },
      to: { path: CORE, pathNot: FOUNDATION },
    },
    {
      name: "domain-imports-only-foundation",
      comment: "The domain (username state, schemas) is pure: no store, service or HTTP import.",
      severity: "error",
      from: { path: DOMAIN },
      to: { path: CORE, pathNot: [FOUNDATION, DOMAIN] },
    },
    {
      name: "username-state-is-pure",
      comment: "The planner and the ordering rule do no I/O: no AWS SDK, no node: I/O modules.",
      severity: "error",
      from: { path: "^functions/core/username-state/" },
      to: { dependencyTypes: ["npm", "core"], pathNot: "^(node:)?crypto$" },
    },
    {
      name: "store-imports-only-below",
      comment: "The store keeps table access and key layout; services and HTTP sit above it.",
      severity: "error",
      from: { path: STORE },
      to: { path: CORE, pathNot: [FOUNDATION, DOMAIN, STORE] },
    },
    {
      name: "services-never-import-http",
      comment: "HTTP (middy, API Gateway events, responses) sits above every service.",
      severity: "error",
      from: { path: CORE, pathNot: HTTP },
      to: { path: HTTP },
    },
    {
      name: "core-never-imports-entry-points",
      comment: "Entry points are the top: nothing in the core imports a Lambda, the CLI or dev tools.",
      severity: "error",
      from: { path: CORE },
      to: { path: [ENTRY, "^(cli|dev|infra|openapi|meta-sandbox|bench|test)/"] },
    },
    {
      name: "cli-through-services",
      comment:
        "The admin CLI reaches the table through the services the Lambdas use (admin/, ...), never the store " +
        "itself; it only points the store's client at a table (store/client.ts).",
      severity: "error",
      from: { path: "^cli/" },
      to: { path: STORE, pathNot: "^functions/core/store/client\\.ts$" },
    },
    {
      name: "only-the-store-speaks-dynamodb",
      comment: "DynamoDB's SDK is the store's alone.",
      severity: "error",
      from: { path: "^functions/", pathNot: STORE },
      to: { path: "@aws-sdk/(client-dynamodb|lib-dynamodb|util-dynamodb)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    parser: "swc",
  },
};
