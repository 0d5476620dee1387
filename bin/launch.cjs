#!/usr/bin/env node
/**
 * Runs a TypeScript entry point after the Node.js version check (node-version.cjs):
 * `node bin/launch.cjs dev/start.ts [arguments]` behaves as `node dev/start.ts [arguments]` on a
 * supported Node.js, and prints one line saying what to do on any older one. The package.json
 * scripts start everything through it.
 */
"use strict";

require("./node-version.cjs").exitIfUnsupported();

const path = require("path");
const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write("usage: node bin/launch.cjs <entry point.ts> [arguments]\n");
  process.exit(2);
}
// The entry point sees the arguments as if Node had started it directly.
const file = path.resolve(entry);
process.argv.splice(1, 2, file);
require("./import-module.cjs")(file);
