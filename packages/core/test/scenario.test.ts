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

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Scenario } from "./scenario/commands.js";
import { casesOf, diffLines, parseScript, rewriteScript } from "./scenario/datadriven.js";

const dataDir = join(import.meta.dirname, "testdata");
const update = process.env.UPDATE_TESTDATA === "1";
const scripts = readdirSync(dataDir)
  .filter((name) => name.endsWith(".txt"))
  .sort();

describe("scenario scripts", () => {
  it("finds the scripts", () => {
    expect(scripts.length).toBeGreaterThan(0);
  });

  it.each(scripts)("%s", (name) => {
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
      if (output.join("\n") !== testCase.expected.join("\n")) {
        failures.push(
          `${name}:${testCase.line}: ${testCase.command}\n${diffLines(testCase.expected, output)}`,
        );
      }
    }
    if (update) {
      writeFileSync(path, rewriteScript(script, actual));
      return;
    }
    if (failures.length > 0) {
      // Later mismatches are usually consequences of the first; show a few, count the rest.
      const shown = failures.slice(0, 3).join("\n\n");
      const more = failures.length > 3 ? `\n\n... and ${failures.length - 3} more mismatches` : "";
      expect.fail(`output differs (- expected, + actual):\n\n${shown}${more}`);
    }
  });
});
