/**
 * Text from outside (Meta's status and context, endpoint URLs, endpoints' answers, operator
 * input) made safe to print: control characters (C0 and DEL), C1 controls and the Unicode
 * bidirectional and line-breaking controls that reorder or hide what a terminal shows are
 * written as visible escapes (`\x1b`, `\u202e`), so no terminal sequence, fake line or reversed
 * text reaches the operator. Printable text, other non-ASCII letters included, is unchanged.
 */

/** C0 (but newline where kept), DEL, C1; ALM, LRM, RLM, LRE..RLO, LRI..PDI; LS, PS; BOM. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/g;
const UNSAFE_BUT_NEWLINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/g;

const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/g;

function escapeOne(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** One line's worth of text: every unsafe character escaped, newlines included. */
export function escapeTerminal(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** Output made of lines: unsafe characters escaped, newlines kept. */
export function escapeTerminalLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escapeOne);
}

/**
 * JSON text whose parsed value is unchanged, with the characters JSON.stringify leaves as they
 * are (DEL, C1, bidirectional and line separators) written as `\uXXXX` escapes too.
 */
export function escapeJsonText(json: string): string {
  // C0 characters never stand raw inside JSON strings (JSON.stringify escapes them); outside
  // strings they are the document's own whitespace and stay.
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
