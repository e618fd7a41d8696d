// The guides in docs/ show runnable code: each code block named here must be the file, verbatim,
// that a test in this folder runs.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

const shown = [
  ["writing-a-transport.md", "message-port-transport.ts"],
  ["writing-a-storage.md", "storage-conformance.test.ts"],
  ["embedding-the-reducer.md", "bare-reducer.ts"],
] as const;

describe("the guides in docs/", () => {
  it.each(shown)("docs/%s shows test/guides/%s verbatim", async (guide, file) => {
    const text = await readFile(new URL(`../../docs/${guide}`, import.meta.url), "utf8");
    const source = await readFile(new URL(`./${file}`, import.meta.url), "utf8");
    expect(text).toContain(`\`\`\`ts\n${source}\`\`\``);
  });
});
