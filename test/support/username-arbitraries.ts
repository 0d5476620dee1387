/**
 * Username candidates for property tests. Plain random strings are almost never valid, so the
 * mix leans on a small alphabet and on near-valid names built around each rule's boundary.
 */
import fc from "fast-check";

const alphabet = fc.constantFrom(..."abZwWmoc09._-é ".split(""));

/** A valid-looking core with one of the prefixes and suffixes the rules care about. */
const nearValid = fc
  .tuple(
    fc.constantFrom("", "", "", "www", "WwW", "ww", "w", ".", "_", "9"),
    fc.string({ unit: fc.constantFrom(..."abcxyzABCW0189_.".split("")), minLength: 1, maxLength: 36 }),
    fc.constantFrom(
      "",
      "",
      "",
      ".",
      ".com",
      ".COM",
      ".Io",
      ".ai",
      ".in",
      ".int",
      ".us",
      ".html",
      ".htm",
      ".info",
      ".co",
      ".id",
      ".shop",
      ".c",
      "_com",
      "..x",
    ),
  )
  .map(([prefix, core, suffix]) => `${prefix}${core}${suffix}`);

/** Names of every length around the 3..35 bounds. */
const boundaryLength = fc
  .integer({ min: 0, max: 38 })
  .chain((n) => fc.string({ unit: fc.constantFrom("a", "Q", "7", "_"), minLength: n, maxLength: n }));

export const usernameCandidate: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 1 },
  { arbitrary: fc.string({ unit: alphabet, maxLength: 40 }), weight: 3 },
  { arbitrary: nearValid, weight: 4 },
  { arbitrary: boundaryLength, weight: 1 },
);
