import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { brokenUsernameRule } from "../../functions/core/validation/username-format.ts";
import { usernameCandidate } from "../support/username-arbitraries.ts";
import { oracleAccepts, oracleBrokenRules } from "../support/username-oracle.ts";

describe("brokenUsernameRule against an independent oracle", () => {
  it("accepts exactly the names the oracle accepts, and names a rule the name really breaks", () => {
    fc.assert(
      fc.property(usernameCandidate, (name) => {
        const rule = brokenUsernameRule(name);
        expect(rule === undefined).toBe(oracleAccepts(name));
        if (rule) expect(oracleBrokenRules(name)).toContain(rule.id);
      }),
      { numRuns: 5_000 },
    );
  });

  it("the generator reaches both sides of the decision often enough to mean something", () => {
    const sample = fc.sample(usernameCandidate, { numRuns: 2_000, seed: 42 });
    const accepted = sample.filter(oracleAccepts).length;
    expect(accepted).toBeGreaterThan(200);
    expect(sample.length - accepted).toBeGreaterThan(200);
    const rulesSeen = new Set(sample.flatMap((name) => [...oracleBrokenRules(name)]));
    expect(rulesSeen.size).toBe(7);
  });

  it("ignores case for www and the domain suffixes, but not for anything else", () => {
    expect(brokenUsernameRule("wWw_shop")?.id).toBe("www-prefix");
    expect(brokenUsernameRule("shop.CoM")?.id).toBe("domain-suffix");
    expect(brokenUsernameRule("Shop_Name")).toBeUndefined();
  });
});
