/**
 * Local-only secrets of `npm start`: taken from the environment when set, otherwise generated
 * once into a git-ignored file under .data/ and reused, so restarts (and the admin CLI, for the
 * encryption key) see the same values. None of them is ever used in AWS.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface DevSecret {
  value: string;
  /** For the start banner, which never shows values: where the value came from. */
  origin: "set" | "generated" | "file";
  /** The file it lives in, when it came from one. */
  file?: string;
}

export interface DevSecretSpec {
  envName: string;
  file: string;
  generate: () => string;
}

export function devSecret(spec: DevSecretSpec, env: Record<string, string | undefined>): DevSecret {
  const fromEnv = env[spec.envName];
  if (fromEnv) return { value: fromEnv, origin: "set" };
  if (existsSync(spec.file)) {
    const value = readFileSync(spec.file, "utf8").trim();
    if (value !== "") return { value, origin: "file", file: spec.file };
  }
  const value = spec.generate();
  mkdirSync(dirname(spec.file), { recursive: true });
  // Readable by the developer only, like an SSH key.
  writeFileSync(spec.file, `${value}\n`, { mode: 0o600 });
  return { value, origin: "generated", file: spec.file };
}

/** 32 random bytes, base64: the format TOKEN_ENCRYPTION_KEY requires. */
export const randomKey = () => randomBytes(32).toString("base64");
/** A random token safe to paste into a URL or a header. */
export const randomToken = () => randomBytes(24).toString("base64url");
