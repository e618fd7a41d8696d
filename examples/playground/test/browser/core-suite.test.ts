import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "vite";
import { describe, expect, it } from "vitest";
import type { SuiteResult } from "./core-suite/vitest-shim.js";
import { chromiumPresent, launch, openPage, serve } from "./harness.js";

// "The core runs in any JS runtime", tested: a chosen set of @flotilla/core's own tests (reducer
// properties, codec round trips, golden bytes, rejections), bundled by Vite with "vitest"
// aliased to a shim around vitest's real `expect`, run in Chromium.

const suiteRoot = resolve(import.meta.dirname, "core-suite");
const coreSource = resolve(import.meta.dirname, "../../../../packages/core/src");

async function buildSuite(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), "flotilla-core-suite-"));
  await build({
    root: suiteRoot,
    configFile: false,
    logLevel: "warn",
    base: "./",
    // core's package.json says sideEffects: false, which would drop the entry's imports of its
    // test files: registering tests is exactly what those imports are for.
    plugins: [
      {
        name: "core-tests-have-side-effects",
        transform: (code, id) =>
          id.includes("/packages/core/test/") ? { code, moduleSideEffects: true } : null,
      },
    ],
    resolve: {
      // The tests import the root and the /runtime entry point: each maps to its source file.
      alias: [
        { find: /^vitest$/, replacement: join(suiteRoot, "vitest-shim.ts") },
        { find: /^@flotilla\/core$/, replacement: join(coreSource, "index.ts") },
        { find: /^@flotilla\/core\/(\w+)$/, replacement: join(coreSource, "$1.ts") },
      ],
    },
    // The codec's seed may be overridden with FLOTILLA_SEED in Node; in the page it is the default.
    define: { "process.env.FLOTILLA_SEED": "undefined" },
    build: {
      outDir,
      emptyOutDir: true,
      target: "es2022",
      minify: false,
    },
  });
  return outDir;
}

describe.skipIf(!chromiumPresent)("@flotilla/core's own tests in Chromium", () => {
  it("reducer properties and codec round trips pass in the browser", async () => {
    const site = await serve(await buildSuite());
    const session = await launch();
    try {
      const { page, errors } = await openPage(session.context, site.url);
      await page.waitForFunction(() => window.coreSuite !== undefined, undefined, {
        timeout: 120_000,
      });
      const result = (await page.evaluate(() => window.coreSuite)) as SuiteResult;
      console.log(
        `core tests in Chromium: ${result.passed.length} passed, ${result.failed.length} failed`,
      );
      expect(result.failed).toEqual([]);
      expect(result.passed.some((name) => name.startsWith("codec round trip"))).toBe(true);
      expect(result.passed.some((name) => name.startsWith("safety under random schedules"))).toBe(
        true,
      );
      expect(result.passed.some((name) => name.startsWith("determinism and immutability"))).toBe(
        true,
      );
      expect(result.passed.length).toBeGreaterThan(20);
      expect(errors).toEqual([]);
    } finally {
      await session.close();
      await site.close();
    }
  }, 180_000);
});
