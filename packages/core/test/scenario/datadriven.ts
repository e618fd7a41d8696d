// A small data-driven test file format, after etcd-io/raft's `datadriven` scripts:
//
//   # Prose saying what the script proves (any line starting with `#` outside an expected block).
//
//   campaign 1          <- a command
//   ----                <- separator
//   1 is candidate ...  <- the expected output, up to the next blank line or end of file
//
// A command with no output expects the single line `ok`, so every block is visibly closed.
// Output never contains blank lines (the runner guarantees it), which keeps the format unambiguous.

export type Case = {
  /** 1-based line of the command, for error messages. */
  readonly line: number;
  readonly command: string;
  readonly expected: readonly string[];
};

type Segment = { readonly kind: "text"; readonly lines: string[] } | ({ kind: "case" } & Case);

export type Script = { readonly segments: readonly Segment[] };

export class ScriptSyntaxError extends Error {}

export function parseScript(text: string, fileName: string): Script {
  const lines = text.replace(/\n$/, "").split("\n");
  const segments: Segment[] = [];
  let prose: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === "" || line.startsWith("#")) {
      prose.push(line);
      i++;
      continue;
    }
    if (prose.length > 0) segments.push({ kind: "text", lines: prose });
    prose = [];
    if (lines[i + 1] !== "----") {
      throw new ScriptSyntaxError(`${fileName}:${i + 2}: expected "----" after command "${line}"`);
    }
    const expected: string[] = [];
    let j = i + 2;
    while (j < lines.length && (lines[j] as string).trim() !== "") {
      expected.push(lines[j] as string);
      j++;
    }
    segments.push({ kind: "case", line: i + 1, command: line.trim(), expected });
    i = j;
  }
  if (prose.length > 0) segments.push({ kind: "text", lines: prose });
  return { segments };
}

export function casesOf(script: Script): Case[] {
  return script.segments.filter((s): s is { kind: "case" } & Case => s.kind === "case");
}

/** The script text with every case's expected block replaced by `actual` (same order as cases). */
export function rewriteScript(script: Script, actual: readonly (readonly string[])[]): string {
  const out: string[] = [];
  let caseIndex = 0;
  for (const segment of script.segments) {
    if (segment.kind === "text") {
      out.push(...segment.lines);
      continue;
    }
    out.push(segment.command, "----", ...(actual[caseIndex] ?? segment.expected));
    caseIndex++;
  }
  return `${out.join("\n")}\n`;
}

/** A minimal line diff (longest common subsequence), `-` expected, `+` actual. */
export function diffLines(expected: readonly string[], actual: readonly string[]): string {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        expected[i] === actual[j]
          ? (lcs[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(lcs[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${expected[i]}`);
      i++;
      j++;
    } else if (i < n && (j === m || (lcs[i + 1]?.[j] ?? 0) >= (lcs[i]?.[j + 1] ?? 0))) {
      out.push(`- ${expected[i]}`);
      i++;
    } else {
      out.push(`+ ${actual[j]}`);
      j++;
    }
  }
  return out.join("\n");
}
