import { describe, expect, it } from "vitest";
import { casesOf, diffLines, parseScript, rewriteScript, ScriptSyntaxError } from "./datadriven.js";

const text = `# What this proves.
# Second line of prose.

cluster 3
----
ok

campaign 1
----
1 is candidate term=1
1->2 requestVote term=1 last=0/0
`;

describe("datadriven scripts", () => {
  it("parses prose, commands and expected blocks", () => {
    const cases = casesOf(parseScript(text, "t.txt"));
    expect(cases).toEqual([
      { kind: "case", line: 4, command: "cluster 3", expected: ["ok"] },
      {
        kind: "case",
        line: 8,
        command: "campaign 1",
        expected: ["1 is candidate term=1", "1->2 requestVote term=1 last=0/0"],
      },
    ]);
  });

  it("rewrites only the expected blocks", () => {
    const script = parseScript(text, "t.txt");
    expect(rewriteScript(script, [["ok"], ["1 is candidate term=1"]])).toBe(
      text.replace("1->2 requestVote term=1 last=0/0\n", ""),
    );
    expect(
      rewriteScript(script, [
        ["ok"],
        ["1 is candidate term=1", "1->2 requestVote term=1 last=0/0"],
      ]),
    ).toBe(text);
  });

  it("rejects a command without a separator, naming the line", () => {
    expect(() => parseScript("cluster 3\nok\n", "bad.txt")).toThrow(ScriptSyntaxError);
    expect(() => parseScript("cluster 3\nok\n", "bad.txt")).toThrow("bad.txt:2");
  });

  it("diffs line by line", () => {
    expect(diffLines(["a", "b", "c"], ["a", "x", "c"])).toBe("  a\n- b\n+ x\n  c");
    expect(diffLines([], ["a"])).toBe("+ a");
  });
});
