/**
 * An independent statement of docs/spec.md, "Username format", for checking the service's validator
 * against. Written without regular expressions or the service's rule functions, character by
 * character; only the list of domain suffixes is shared (it is data, and open-ended by design).
 * Length counts UTF-16 code units, as JavaScript strings do; any name where that differs from
 * code points already breaks the character rule, so accept/reject does not depend on it.
 */
import { FORBIDDEN_DOMAIN_SUFFIXES } from "../../functions/core/validation/username-format.ts";

export type OracleRule =
  | "length"
  | "characters"
  | "letter"
  | "edge-period"
  | "consecutive-periods"
  | "www-prefix"
  | "domain-suffix";

function isAsciiLetter(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
}

function isAllowed(c: string): boolean {
  return isAsciiLetter(c) || (c >= "0" && c <= "9") || c === "." || c === "_";
}

/** Lower-cases A-Z only: no Unicode case mapping can turn another character into an ASCII one. */
function asciiLower(name: string): string {
  let out = "";
  for (const c of name) out += c >= "A" && c <= "Z" ? String.fromCharCode(c.charCodeAt(0) + 32) : c;
  return out;
}

/** Every rule `name` breaks (empty when it is a valid username). */
export function oracleBrokenRules(name: string): Set<OracleRule> {
  const broken = new Set<OracleRule>();
  const units = name.split("");
  if (units.length < 3 || units.length > 35) broken.add("length");
  if (!units.every(isAllowed)) broken.add("characters");
  if (!units.some(isAsciiLetter)) broken.add("letter");
  if (units[0] === "." || units[units.length - 1] === ".") broken.add("edge-period");
  for (let i = 0; i + 1 < units.length; i++) {
    if (units[i] === "." && units[i + 1] === ".") broken.add("consecutive-periods");
  }
  const lower = asciiLower(name);
  if (lower.slice(0, 3) === "www") broken.add("www-prefix");
  for (const suffix of FORBIDDEN_DOMAIN_SUFFIXES) {
    const tail = `.${suffix}`;
    if (lower.length >= tail.length && lower.slice(lower.length - tail.length) === tail)
      broken.add("domain-suffix");
  }
  return broken;
}

export function oracleAccepts(name: string): boolean {
  return oracleBrokenRules(name).size === 0;
}
