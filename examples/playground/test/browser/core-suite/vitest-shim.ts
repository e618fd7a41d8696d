import { chai, JestAsymmetricMatchers, JestChaiExpect, JestExtend } from "@vitest/expect";

// Just enough of vitest's API for the core's chosen test files to run in a browser page: the
// real `expect` (vitest's own matchers on chai, as vitest builds it), and describe/it that
// collect tests for `runAll`. The core-suite build aliases "vitest" to this file.

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

export const expect = chai.expect as unknown as typeof import("vitest").expect;

type Test = { readonly name: string; readonly fn: () => unknown };
const tests: Test[] = [];
const path: string[] = [];

export function describe(name: string, body: () => void): void {
  path.push(name);
  try {
    body();
  } finally {
    path.pop();
  }
}

export function it(name: string, fn: () => unknown): void {
  tests.push({ name: [...path, name].join(" > "), fn });
}

export const test = it;

export type SuiteResult = {
  readonly passed: readonly string[];
  readonly failed: readonly { readonly name: string; readonly error: string }[];
};

/** Runs every collected test in order; never throws. */
export async function runAll(): Promise<SuiteResult> {
  const passed: string[] = [];
  const failed: { name: string; error: string }[] = [];
  for (const t of tests) {
    // One task per test, so the page stays alive (it loads, paints, answers the driver).
    await new Promise((next) => setTimeout(next, 0));
    try {
      await t.fn();
      passed.push(t.name);
    } catch (error) {
      failed.push({ name: t.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { passed, failed };
}
