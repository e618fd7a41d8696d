import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources (the "@flotilla/source" export
// condition), so tests run without a build step.
const conditions = ["@flotilla/source", "import", "module", "node", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["@flotilla/source"] } },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "examples/*/test/**/*.test.ts",
      "test/**/*.test.ts",
      "bench/**/*.test.ts",
    ],
    // Compiled copies of tests must never run twice.
    exclude: ["**/node_modules/**", "**/dist/**", "**/.tsout/**"],
    testTimeout: 60_000,
    // CI asks for a JSON report too, to count passed and failed tests from vitest's own numbers.
    reporters: process.env.FLOTILLA_TEST_REPORT ? ["default", "json"] : ["default"],
    ...(process.env.FLOTILLA_TEST_REPORT
      ? { outputFile: { json: process.env.FLOTILLA_TEST_REPORT } }
      : {}),
  },
});
