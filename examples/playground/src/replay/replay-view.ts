import { escapeHtml, termColour, termTextColour } from "../ui/palette.js";
import { lineAt, type NodeFrame, nodeFrame, type PackedFrames, transferables } from "./frames.js";
import type { ReplayResult } from "./replay-run.js";

// Draws a recorded simulator run at one frame: each node as of its latest step at or before the
// frame (crashed if a crash came after it), the trace lines leading up to the frame, and the
// run's summary with its fingerprint and first violation.

export class ReplayIndex {
  /** Per node (0-based): the positions of its frames, ascending; and of the notes crashing it. */
  readonly #steps: Int32Array[];
  readonly #crashes: Int32Array[];
  readonly frames: PackedFrames;

  constructor(readonly result: ReplayResult & { readonly frames: PackedFrames }) {
    const frames = result.frames;
    this.frames = frames;
    this.#steps = positionsBy(frames.node, frames.count, result.nodeIds.length);
    this.#crashes = positionsBy(frames.crashed, frames.count, result.nodeIds.length);
  }

  /** The node's latest frame at or before `position`, and whether it is down there. */
  nodeAt(node: number, position: number): { frame: NodeFrame | null; crashed: boolean } {
    const step = latest(this.#steps[node]!, position);
    const crash = latest(this.#crashes[node]!, position);
    const frame = step < 0 ? null : nodeFrame(this.frames, step);
    return { frame, crashed: crash > step };
  }
}

/** For each node number: the positions where `column` holds it, ascending (two passes, no pushes). */
function positionsBy(column: Int8Array, count: number, nodes: number): Int32Array[] {
  const sizes = new Int32Array(nodes);
  for (let i = 0; i < count; i++) {
    const node = column[i]!;
    if (node >= 0) sizes[node]!++;
  }
  const lists = Array.from(sizes, (size) => new Int32Array(size));
  const filled = new Int32Array(nodes);
  for (let i = 0; i < count; i++) {
    const node = column[i]!;
    if (node >= 0) lists[node]![filled[node]!++] = i;
  }
  return lists;
}

/** The largest element of ascending `positions` that is <= `position`, or -1. */
function latest(positions: Int32Array, position: number): number {
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

/**
 * `deliveredMs`: from the request posted to the result in the page (start-up, run, hand-over);
 * `workerRun`: which run of its worker this was (1: V8 compiled the simulator during it).
 */
export function summaryHtml(result: ReplayResult, deliveredMs: number, workerRun: number): string {
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
<p>seed <b>${result.seed}</b> · outcome <b data-outcome="${result.outcome}">${result.outcome}</b> · <span data-steps="${result.steps}">${result.steps} events</span> ·
${(result.simulatedMs / 1000).toFixed(2)} s simulated · fingerprint <b id="fingerprint" data-fingerprint="${result.fingerprint}">${result.fingerprint}</b> ·
${timingHtml(result, deliveredMs, workerRun)}</p>${verdict}`;
}

/** What a recorded run holds on the page: the bytes of its columns. */
function packedBytes(frames: PackedFrames): number {
  return transferables(frames).reduce((sum, buffer) => sum + buffer.byteLength, 0);
}

function timingHtml(result: ReplayResult, deliveredMs: number, workerRun: number): string {
  const perSecond = Math.round((result.steps * 1000) / Math.max(result.runMs, 1));
  const recorded =
    result.frames === null
      ? "not recorded"
      : `${result.frames.count.toLocaleString("en")} frames recorded, packed in ${Math.round(result.packMs)} ms into <span data-frame-bytes="${packedBytes(result.frames)}">${(packedBytes(result.frames) / 1e6).toFixed(1)} MB</span>`;
  const worker =
    workerRun === 1
      ? "a fresh worker (compiling as it goes)"
      : `the worker's run ${workerRun} (code already compiled)`;
  return `ran in <span data-worker-run="${workerRun}">${worker}</span> in <b data-run-ms="${Math.round(result.runMs)}" data-events-per-second="${perSecond}">${Math.round(result.runMs)} ms (${perSecond.toLocaleString("en")} events/s)</b>;
${recorded}; on this page <span data-delivered-ms="${Math.round(deliveredMs)}">${Math.round(deliveredMs)} ms</span> after the request`;
}

export function replayCardsHtml(index: ReplayIndex, position: number): string {
  return index.result.nodeIds
    .map((id, node) => {
      const { frame, crashed } = index.nodeAt(node, position);
      const role = crashed ? "crashed" : (frame?.role ?? "follower");
      const term = frame?.term ?? 0;
      const attrs = `data-node="n${id}" data-role="${role}" data-term="${term}" data-commit="${frame?.commit ?? 0}"`;
      return `<article class="card ${role}" ${attrs}><header><b>n${id}</b><span class="role">${role}</span>
<span>term <b>${term}</b></span><span>vote ${frame === null || frame.vote === null ? "–" : `n${index.result.nodeIds[frame.vote]}`}</span>
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
export function traceHtml(frames: PackedFrames, position: number, count = 14): string {
  const lines: string[] = [];
  for (let i = position; i >= 0 && lines.length < count; i--) {
    const line = lineAt(frames, i);
    if (line !== "" && line !== lines[0]) lines.unshift(line);
  }
  return lines
    .map((line, i) => `<li${i === lines.length - 1 ? ' class="now"' : ""}>${escapeHtml(line)}</li>`)
    .join("");
}
