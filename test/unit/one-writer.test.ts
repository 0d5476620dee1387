/**
 * One home per rule, checked on the source: exactly one module writes a number's username state
 * (the committer: the phone record's state, its history items, the portfolio's holder markers,
 * the de-duplication markers), and one module holds the ordering rule, which only the planner
 * applies. A second writer or a second reader of the rule fails here, naming the file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

const files = sources("functions").map((file) => ({ file, text: readFileSync(join(ROOT, file), "utf8") }));
const COMMITTER = "functions/core/store/state-committer.ts";

/** A module that issues DynamoDB writes (the store's write commands). */
const WRITE_COMMANDS =
  /import \{[^}]*\b(PutCommand|UpdateCommand|DeleteCommand|TransactWriteCommand|BatchWriteCommand)\b[^}]*\} from "@aws-sdk\/lib-dynamodb"/;
/** A username-state item's key, or a state attribute of the record. */
const STATE_ITEMS = [
  /keys\.history\(/,
  /keys\.usernameHolder\(/,
  /keys\.webhookMarker\(/,
  /\b(stateEpoch|stateEvent|stateSentAt|stateReceivedAt|usernameKey)\b\s*[=:]/,
];

/** The phone record's key, and an update expression that sets its username state. */
const PHONE_RECORD = /keys\.phone\(/;
const STATE_ASSIGNMENT =
  /\b(?:SET|set)\b[^"`]*?(?:#?username|#status|\bstatus|\bversion)\s*=\s*(?::|if_not_exists|version)/;

describe("one home per rule", () => {
  it("finds the sources (the checks below are not vacuous)", () => {
    expect(files.length).toBeGreaterThan(80);
    expect(files.map((f) => f.file)).toContain(COMMITTER);
  });

  it("exactly one module writes username state: the committer", () => {
    const writers = files
      .filter(({ file }) => file !== "functions/core/store/keys.ts")
      .filter(
        ({ text }) =>
          WRITE_COMMANDS.test(text) &&
          (STATE_ITEMS.some((pattern) => pattern.test(text)) ||
            (PHONE_RECORD.test(text) && STATE_ASSIGNMENT.test(text))),
      )
      .map(({ file }) => relative(ROOT, join(ROOT, file)));
    expect(writers).toEqual([COMMITTER]);
  });

  it("would find a second writer of the record's state (the check itself, on a made-up module)", () => {
    const sneaky = `import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
      dynamo().send(new UpdateCommand({ Key: keys.phone(id), UpdateExpression: "SET username = :u, #status = :s, version = version + :one" }));`;
    expect(WRITE_COMMANDS.test(sneaky) && PHONE_RECORD.test(sneaky) && STATE_ASSIGNMENT.test(sneaky)).toBe(
      true,
    );
  });

  it("one module holds the ordering rule, and only the planner applies it", () => {
    const definers = files.filter(({ text }) =>
      /export function (judgeAnswer|webhookMayApply|compareWindows)\b/.test(text),
    );
    expect(definers.map((f) => f.file)).toEqual(["functions/core/username-state/ordering.ts"]);
    const importers = files.filter(
      ({ text }) =>
        /from "[^"]*ordering\.ts"/.test(text) &&
        !/import type/.test(text.match(/.*from "[^"]*ordering\.ts".*/)?.[0] ?? ""),
    );
    expect(importers.map((f) => f.file)).toEqual(["functions/core/username-state/planner.ts"]);
  });
});
