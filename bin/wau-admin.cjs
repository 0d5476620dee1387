#!/usr/bin/env node
/**
 * The `wau-admin` command (package.json `bin`; `npx wau-admin <command>` in the repository):
 * the admin CLI of cli/admin.ts after the Node.js version check. Its stdout is only the
 * command's output, so `--json` gives exactly one JSON document (npm run prints its own banner).
 */
"use strict";

require("./node-version.cjs").exitIfUnsupported();
require("./import-module.cjs")(require("path").join(__dirname, "..", "cli", "admin.ts"));
