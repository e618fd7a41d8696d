// Runs every scripted scenario under test/testdata/*.txt (format: scenario/datadriven.ts,
// commands: scenario/commands.ts). Each script starts a fresh `Scenario`, runs its commands in
// order and compares each command's output with the expected block under it.
//
// To regenerate the expected output after an intended behaviour change, run
//
//   UPDATE_TESTDATA=1 npx vitest run packages/core/test/scenario.test.ts
//
// and review the diff of testdata/ with git before committing it: the rewrite keeps the prose and
// the commands and replaces only the expected blocks.
//
// A `VIOLATION` line (a safety or durability check of the test cluster failed) fails its script
// even when the expected output contains it, so regenerating can never bless a broken run.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Scenario } from "./scenario/commands.js";
import { casesOf, diffLines, parseScript, rewriteScript } from "./scenario/datadriven.js";

/**
 * Scripts that reproduce a known reducer bug. They run as `it.fails`, so the suite stays green
 * while the bug is open and turns red the moment it is fixed: then delete the entry here and
 * regenerate the script's expected output.
 */
const knownBugs: Readonly<Record<string, string>> = {};

const dataDir = join(import.meta.dirname, "testdata");
const update = process.env.UPDATE_TESTDATA === "1";
const scripts = readdirSync(dataDir)
  .filter((name) => name.endsWith(".txt"))
  .sort();
const bugs = scripts.filter((name) => knownBugs[name] !== undefined);

describe("scenario scripts", () => {
  it("finds the scripts", () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  it.each(scripts.filter((name) => knownBugs[name] === undefined))("%s", (name) =>
    runScript(name, false),
  );

  // Only the VIOLATION lines decide: a fix that changes the trace must still flip the result.
  it.skipIf(bugs.length === 0).fails.each(bugs)("%s reproduces a known bug", (name) =>
    runScript(name, true),
  );
});

function runScript(name: string, violationsOnly: boolean): void {
  const path = join(dataDir, name);
  const script = parseScript(readFileSync(path, "utf8"), name);
  const scenario = new Scenario();
  const actual: string[][] = [];
  const failures: string[] = [];
  for (const testCase of casesOf(script)) {
    let output: string[];
    try {
      output = scenario.run(testCase.command);
    } catch (error) {
      output = [`ERROR: ${error instanceof Error ? error.message : String(error)}`];
    }
    actual.push(output);
    const where = `${name}:${testCase.line}: ${testCase.command}`;
    const violations = output.filter((line) => line.startsWith("VIOLATION"));
    if (violations.length > 0) {
      failures.push(`${where}\n${violations.join("\n")}`);
    } else if (!update && !violationsOnly && output.join("\n") !== testCase.expected.join("\n")) {
      failures.push(`${where}\n${diffLines(testCase.expected, output)}`);
    }
  }
  if (update) writeFileSync(path, rewriteScript(script, actual));
  if (failures.length > 0) {
    // Later mismatches are usually consequences of the first; show a few, count the rest.
    const shown = failures.slice(0, 3).join("\n\n");
    const more = failures.length > 3 ? `\n\n... and ${failures.length - 3} more` : "";
    expect.fail(`${name} failed (- expected, + actual):\n\n${shown}${more}`);
  }
}
