/**
 * Meta's business username format (docs/spec.md, "Username format"), checked locally so a bad name never reaches
 * Meta. Each rule has a name, and the first rule a candidate breaks is reported.
 */

/**
 * Domain suffixes a username may not end with. Meta's list is open ("and so on") and Meta stays
 * the final judge; this holds the suffixes Meta and the product page name plus the most common
 * web suffixes. Deliberately not every IANA TLD: Meta calls `my.id` a valid username.
 */
export const FORBIDDEN_DOMAIN_SUFFIXES = [
  "com",
  "org",
  "net",
  "int",
  "edu",
  "gov",
  "mil",
  "us",
  "in",
  "html",
  "htm",
  "io",
  "ai",
  "co",
  "info",
  "biz",
  "app",
  "dev",
  "xyz",
  "php",
  "asp",
  "aspx",
] as const;

export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 35;

export interface UsernameRule {
  id: string;
  message: string;
  broken(name: string): boolean;
}

const suffixPattern = new RegExp(`\\.(${FORBIDDEN_DOMAIN_SUFFIXES.join("|")})$`, "i");

export const USERNAME_RULES: readonly UsernameRule[] = [
  {
    id: "length",
    message: `must be ${USERNAME_MIN_LENGTH} to ${USERNAME_MAX_LENGTH} characters long`,
    broken: (name) => name.length < USERNAME_MIN_LENGTH || name.length > USERNAME_MAX_LENGTH,
  },
  {
    id: "characters",
    message: "may only contain English letters (a-z, A-Z), digits, periods and underscores",
    broken: (name) => !/^[A-Za-z0-9._]*$/.test(name),
  },
  {
    id: "letter",
    message: "must contain at least one English letter",
    broken: (name) => !/[A-Za-z]/.test(name),
  },
  {
    id: "edge-period",
    message: "must not start or end with a period",
    broken: (name) => name.startsWith(".") || name.endsWith("."),
  },
  {
    id: "consecutive-periods",
    message: "must not contain two periods in a row",
    broken: (name) => name.includes(".."),
  },
  {
    id: "www-prefix",
    message: "must not start with www",
    broken: (name) => /^www/i.test(name),
  },
  {
    id: "domain-suffix",
    message: "must not end with a domain suffix such as .com, .org, .net, .io or .ai",
    broken: (name) => suffixPattern.test(name),
  },
];

/** The first rule `name` breaks, or undefined when it is a well-formed username. */
export function brokenUsernameRule(name: string): UsernameRule | undefined {
  return USERNAME_RULES.find((rule) => rule.broken(name));
}
