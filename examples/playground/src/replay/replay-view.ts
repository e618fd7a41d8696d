import { escapeHtml, termColour, termTextColour } from "../ui/palette.js";
import type { Frame, NodeFrame } from "./recorder.js";
import type { ReplayResult } from "./replay-run.js";

// Draws a recorded simulator run at one frame: each node as of its latest step at or before the
// frame (crashed if a crash came after it), the trace lines leading up to the frame, and the
// run's summary with its fingerprint and first violation.

export class ReplayIndex {
  /** Per node: the positions of its frames, ascending. */
  readonly #steps = new Map<string, number[]>();
  readonly #crashes = new Map<string, number[]>();

  constructor(readonly result: ReplayResult) {
    for (const id of result.nodeIds) {
      this.#steps.set(id, []);
      this.#crashes.set(id, []);
    }
    result.frames.forEach((frame, position) => {
      if (frame.kind === "node") this.#steps.get(frame.node)?.push(position);
      else if (frame.crashed !== null) this.#crashes.get(frame.crashed)?.push(position);
    });
  }

  /** The node's latest frame at or before `position`, and whether it is down there. */
  nodeAt(id: string, position: number): { frame: NodeFrame | null; crashed: boolean } {
    const step = latest(this.#steps.get(id) ?? [], position);
    const crash = latest(this.#crashes.get(id) ?? [], position);
    const frame = step < 0 ? null : (this.result.frames[step] as NodeFrame);
    return { frame, crashed: crash > step };
  }
}

/** The largest element of ascending `positions` that is <= `position`, or -1. */
function latest(positions: readonly number[], position: number): number {
  let lo = 0;
  let hi = positions.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (positions[mid]! <= position) {
      found = positions[mid]!;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function summaryHtml(result: ReplayResult): string {
  const v = result.violation;
  const verdict =
    v !== null
      ? `<p class="violation" data-violation="${v.kind}"><b>violation: ${v.kind}</b>${v.node === null ? "" : ` at n${v.node}`}: ${escapeHtml(v.detail)}</p>`
      : result.livenessFailure !== null
        ? `<p class="violation" data-violation="liveness"><b>liveness failure</b>: ${escapeHtml(result.livenessFailure)}</p>`
        : result.error !== null
          ? `<p class="violation" data-violation="crash"><b>crash</b>: ${escapeHtml(result.error)}</p>`
          : `<p class="ok" data-violation="none">no violation: every checker passed</p>`;
  return `<p><code>${escapeHtml(result.command)}</code>${result.defect === null ? "" : ` with the planted defect <b>${result.defect}</b>`}</p>
<p>seed <b>${result.seed}</b> · outcome <b data-outcome="${result.outcome}">${result.outcome}</b> · ${result.steps} events ·
${(result.simulatedMs / 1000).toFixed(2)} s simulated · fingerprint <b id="fingerprint" data-fingerprint="${result.fingerprint}">${result.fingerprint}</b> ·
ran in ${Math.round(result.runMs)} ms (${Math.round(result.steps / Math.max(result.runMs, 1)).toLocaleString("en")}k events/s)</p>${verdict}`;
}

export function replayCardsHtml(index: ReplayIndex, position: number): string {
  return index.result.nodeIds
    .map((id) => {
      const { frame, crashed } = index.nodeAt(id, position);
      const role = crashed ? "crashed" : (frame?.role ?? "follower");
      const term = frame?.term ?? 0;
      const attrs = `data-node="n${id}" data-role="${role}" data-term="${term}" data-commit="${frame?.commit ?? 0}"`;
      return `<article class="card ${role}" ${attrs}><header><b>n${id}</b><span class="role">${role}</span>
<span>term <b>${term}</b></span><span>vote ${frame?.vote === null || frame === null ? "–" : `n${frame.vote}`}</span>
<span>commit ${frame?.commit ?? 0} · applied ${frame?.applied ?? 0}</span></header>
<ol class="log">${frame === null ? "" : tailCells(frame)}</ol></article>`;
    })
    .join("");
}

function tailCells(frame: NodeFrame): string {
  return frame.tail
    .map((term, i) => {
      const index = frame.tailStart + i;
      const committed = index <= frame.commit;
      const style = committed
        ? `background:${termColour(term)};color:${termTextColour(term)}`
        : `border-color:${termColour(term)}`;
      return `<li class="cell${committed ? " committed" : ""}${index <= frame.applied ? " applied" : ""}" style="${style}" title="index ${index}, term ${term}">${term}</li>`;
    })
    .join("");
}

/** The trace up to `position`: the last `count` distinct lines, the newest last and marked. */
export function traceHtml(frames: readonly Frame[], position: number, count = 14): string {
  const lines: string[] = [];
  for (let i = position; i >= 0 && lines.length < count; i--) {
    const line = frames[i]?.line ?? "";
    if (line !== "" && line !== lines[0]) lines.unshift(line);
  }
  return lines
    .map((line, i) => `<li${i === lines.length - 1 ? ' class="now"' : ""}>${escapeHtml(line)}</li>`)
    .join("");
}
