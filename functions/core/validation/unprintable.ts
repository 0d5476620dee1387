/**
 * Control (C0, DEL), C1, bidirectional, line-separator and byte-order characters: never in text a
 * tenant gives us to store and show (an endpoint's URL, its description, a key's name), and
 * dropped from an endpoint's answer before it is shown (tenant-webhooks/http-attempt.ts). A
 * bidirectional override makes a string read differently from what it holds (Unicode TR #36,
 * "bidirectional text spoofing"); control characters reach terminals.
 */
export const UNPRINTABLE_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/g;

const UNPRINTABLE = new RegExp(UNPRINTABLE_CHARACTERS.source);

/** Whether `text` holds any of UNPRINTABLE_CHARACTERS. */
export function hasUnprintable(text: string): boolean {
  return UNPRINTABLE.test(text);
}
