// Reads V8's code trace of a replay (`--trace-opt --trace-deopt-verbose`, written to a file with
// `--redirect-code-traces-to`; profile-worker.ts --deopts) against the unminified bundle it ran:
// how many functions V8 compiled with Maglev and Turbofan and for how long (the compiler
// threads' wall time), how much of it was compiling a function again after a deoptimization,
// and each deoptimization by the source line it left (module, line, reason). A fresh worker's
// first run shares a 2-core machine with these compiles (docs/benchmarks.md, issue 15).

type Compile = { readonly fn: string; readonly sfi: string; readonly target: string; ms: number };

/** Each line of the bundle with the source module it came from (`// path` comments, unminified). */
export function bundleSources(bundle: string): { module: string; text: string }[] {
  let module = "";
  return bundle.split("\n").map((text) => {
    module = /^\/\/ (\S+\.[jt]s)$/.exec(text)?.[1]?.replace(/^(\.\.\/)+/, "") ?? module;
    return { module, text: text.trim() };
  });
}

function compiles(trace: readonly string[]): Compile[] {
  const found: Compile[] = [];
  for (const line of trace) {
    const m =
      /completed compiling \S+ <JSFunction (\S*) \(sfi = (\w+)\)> \(target (\w+)\).*took ([\d.]+), ([\d.]+), ([\d.]+) ms/.exec(
        line,
      );
    if (m === null) continue;
    const ms = Number(m[4]) + Number(m[5]) + Number(m[6]);
    found.push({ fn: m[1]!, sfi: m[2]!, target: m[3]!, ms });
  }
  return found;
}

/** The report's lines: compile totals, then the `top` deoptimization sites by count. */
export function v8TraceReport(
  traceText: string,
  sources: readonly { module: string; text: string }[],
  top: number,
): string[] {
  const trace = traceText.split("\n");
  const out: string[] = [];
  const seen = new Set<string>();
  const totals = new Map<string, { count: number; ms: number; again: number; againMs: number }>();
  for (const c of compiles(trace)) {
    const total = totals.get(c.target) ?? { count: 0, ms: 0, again: 0, againMs: 0 };
    total.count++;
    total.ms += c.ms;
    const key = `${c.sfi} ${c.target}`;
    if (seen.has(key)) {
      total.again++;
      total.againMs += c.ms;
    } else seen.add(key);
    totals.set(c.target, total);
  }
  for (const [target, t] of totals)
    out.push(
      `${target}: ${t.count} compiles, ${Math.round(t.ms)} ms; of them ${t.again} of a function compiled before, ${Math.round(t.againMs)} ms`,
    );
  const sites = new Map<string, number>();
  let deopts = 0;
  trace.forEach((line, i) => {
    const m =
      /bailout \(kind: ([\w-]+), reason: ([^)]*)\): begin\. deoptimizing \S+ <JSFunction (\S*)/.exec(
        line,
      );
    if (m === null) return;
    deopts++;
    const at = /deoptimize at <[^>]*?:(\d+):\d+>/.exec(trace.slice(i + 1, i + 4).join("\n"));
    const source = at === null ? undefined : sources[Number(at[1]) - 1];
    const where =
      source === undefined
        ? "(no position)"
        : `${source.module}:${at?.[1]} ${source.text.slice(0, 90)}`;
    const key = `${m[2]} in ${m[3] || "(anonymous)"} (${m[1]}) | ${where}`;
    sites.set(key, (sites.get(key) ?? 0) + 1);
  });
  out.push(`${deopts} deoptimizations at ${sites.size} sites; the most frequent:`);
  for (const [key, count] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, top))
    out.push(`${String(count).padStart(4)}  ${key}`);
  return out;
}
