/**
 * The Node.js version check that every entry point runs before anything else (`npm start`,
 * `npm test`, `npm run …`, the `wau-admin` command). Plain JavaScript of 2015 on purpose: it has
 * to run on the old Node.js it refuses (6 and later) and say in one line what to do, where the
 * TypeScript entry points would crash with ERR_UNKNOWN_FILE_EXTENSION or a syntax error. (So no
 * `node:` prefixes in bin/ either: Node.js before 14.18 cannot require them; biome.json agrees.)
 *
 * The requirement is package.json's `engines.node`, in the one form used there: alternatives
 * joined by `||`, each `^X.Y.Z` (that major, from X.Y.Z on) or `>=X.Y.Z`. test/dev/node-version
 * checks that this reading agrees with npm's own (semver) on any version.
 *
 *   node bin/node-version.cjs [version]
 *
 * checks this Node.js (or the given version, e.g. `v22.12.0`): exit 0 when it is supported,
 * otherwise the line on stderr and exit 1. `.ci/node-env.sh` uses it that way.
 */
"use strict";

const fs = require("fs");
const path = require("path");

const PACKAGE_JSON = path.join(__dirname, "..", "package.json");

/** [major, minor, patch] of "v22.12.0" or "22.12.0" (a pre-release suffix is ignored); undefined otherwise. */
function parseVersion(text) {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(String(text).trim());
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compareVersions(a, b) {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/** The alternatives of a range such as "^22.22.2 || ^24.0.0 || >=26.0.0"; throws on any other form. */
function parseRange(range) {
  return String(range)
    .split("||")
    .map((part) => {
      const match = /^\s*(\^|>=)\s*v?(\d+\.\d+\.\d+)\s*$/.exec(part);
      if (!match) throw new Error(`unsupported engines.node form '${part.trim()}' in package.json`);
      return { operator: match[1], version: parseVersion(match[2]) };
    });
}

function satisfies(version, range) {
  const parsed = parseVersion(version);
  if (!parsed) return false;
  return parseRange(range).some((alternative) => {
    if (compareVersions(parsed, alternative.version) < 0) return false;
    return alternative.operator === ">=" || parsed[0] === alternative.version[0];
  });
}

/** "22.22.2 or a later 22.x, 24.x, or 26 and newer" for "^22.22.2 || ^24.0.0 || >=26.0.0". */
function describeRange(range) {
  const phrases = parseRange(range).map((alternative) => {
    const v = alternative.version;
    const atMajorStart = v[1] === 0 && v[2] === 0;
    if (alternative.operator === ">=") return atMajorStart ? `${v[0]} and newer` : `${v.join(".")} and newer`;
    return atMajorStart ? `${v[0]}.x` : `${v.join(".")} or a later ${v[0]}.x`;
  });
  if (phrases.length < 2) return phrases.join("");
  return `${phrases.slice(0, -1).join(", ")}, or ${phrases[phrases.length - 1]}`;
}

/** package.json's engines.node. */
function requiredRange() {
  return JSON.parse(fs.readFileSync(PACKAGE_JSON, "utf8")).engines.node;
}

/** The one line to print when `version` is not supported; undefined when it is. */
function unsupportedNodeMessage(version, range) {
  const required = range === undefined ? requiredRange() : range;
  if (satisfies(version, required)) return undefined;
  return (
    `whatsapp-usernames needs Node.js ${describeRange(required)}; this is Node.js ${String(version).replace(/^v/, "")}. ` +
    `Switch with "nvm use" (reads .nvmrc) or "source .ci/node-env.sh", then run it again.`
  );
}

/** Ends the process with the line and exit code 1 on an unsupported Node.js; returns otherwise. */
function exitIfUnsupported() {
  const message = unsupportedNodeMessage(process.versions.node);
  if (message === undefined) return;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

module.exports = {
  parseVersion,
  satisfies,
  describeRange,
  requiredRange,
  unsupportedNodeMessage,
  exitIfUnsupported,
};

if (require.main === module) {
  const version = process.argv[2] === undefined ? process.versions.node : process.argv[2];
  const message = unsupportedNodeMessage(version);
  if (message !== undefined) {
    process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
