import { type PlantedDefectName, plantedDefects } from "./planted-defects.js";
import type { ReplayRequest, ReplayResult } from "./replay-run.js";
import { ReplayIndex, replayCardsHtml, summaryHtml, traceHtml } from "./replay-view.js";

// The replay mode: paste what `pnpm sim` printed, pick a planted defect or none, and watch the
// very run the CLI ran (same fingerprint), frame by frame, or jump to its first violation.

type WorkerAnswer =
  | { ok: true; result: ReplayResult; workerRun: number }
  | { ok: false; error: string };

const framesPerSecond = 240;

export class ReplayPanel {
  readonly #root: HTMLElement;
  #worker: Worker | null = null;
  #running = false;
  #index: ReplayIndex | null = null;
  #position = 0;
  #playing = false;
  #lastMs: number | null = null;
  /** Called when playing starts (main.ts starts the animation loop). */
  onPlay: () => void = () => {};

  constructor(root: HTMLElement) {
    this.#root = root;
    root.innerHTML = `<form id="replay-form" class="replay-form">
  <label class="grow">command <input id="replay-command" value="pnpm sim --seed 42" spellcheck="false" aria-label="a pnpm sim command line" /></label>
  <label>planted defect <select id="replay-defect"><option value="">none (the real core)</option>${Object.keys(
    plantedDefects,
  )
    .map((name) => `<option>${name}</option>`)
    .join("")}</select></label>
  <label title="unticked: only the fingerprint and the verdict, at the simulator's own speed"><input id="replay-record" type="checkbox" checked /> record frames</label>
  <button type="submit">run</button>
</form>
<div id="replay-summary" aria-live="polite"><p>Paste a seed and its options as <code>pnpm sim</code> prints them, then run.</p></div>
<div class="row replay-controls">
  <button type="button" id="replay-play">Play</button>
  <button type="button" id="replay-violation" disabled>jump to first violation</button>
  <label class="grow">frame <input id="replay-scrubber" type="range" min="0" max="0" value="0" aria-label="replay position" /></label>
  <output id="replay-position"></output>
</div>
<div class="replay-body"><section id="replay-cards" class="cards" aria-label="nodes at this moment"></section>
<ol id="replay-trace" class="trace" aria-label="trace up to this moment"></ol></div>`;
    this.#on("replay-form", "submit", (event) => {
      event.preventDefault();
      const command = this.#el<HTMLInputElement>("replay-command").value;
      const defect = this.#el<HTMLSelectElement>("replay-defect").value;
      const record = this.#el<HTMLInputElement>("replay-record").checked;
      this.run({ command, defect: defect === "" ? null : (defect as PlantedDefectName), record });
    });
    this.#on("replay-play", "click", () => {
      this.#playing = !this.#playing;
      this.render();
      if (this.#playing) this.onPlay();
    });
    this.#on("replay-violation", "click", () => {
      const frame = this.#index?.result.violationFrame;
      if (frame !== null && frame !== undefined) this.seek(frame);
    });
    this.#on("replay-scrubber", "input", () => {
      this.seek(Number(this.#el<HTMLInputElement>("replay-scrubber").value));
    });
  }

  run(request: ReplayRequest): void {
    // A worker that is still running the previous replay is stopped; an idle one is reused, so a
    // second run starts with the simulator's code already compiled and optimized by V8.
    if (this.#running) this.#worker?.terminate();
    const worker =
      this.#worker !== null && !this.#running
        ? this.#worker
        : new Worker(new URL("./replay-worker.ts", import.meta.url), { type: "module" });
    this.#worker = worker;
    this.#running = true;
    this.#el("replay-summary").innerHTML = `<p>running <code>${request.command}</code>…</p>`;
    const posted = performance.now();
    worker.onmessage = (event: MessageEvent<WorkerAnswer>) => {
      const deliveredMs = performance.now() - posted;
      this.#running = false;
      if (!event.data.ok) {
        this.#el("replay-summary").innerHTML = `<p class="violation">${event.data.error}</p>`;
        return;
      }
      const result = event.data.result;
      this.#el("replay-summary").innerHTML = summaryHtml(result, deliveredMs, event.data.workerRun);
      this.#index =
        result.frames === null ? null : new ReplayIndex({ ...result, frames: result.frames });
      const scrubber = this.#el<HTMLInputElement>("replay-scrubber");
      scrubber.max = String(Math.max(0, (result.frames?.count ?? 1) - 1));
      this.#el<HTMLButtonElement>("replay-violation").disabled = result.violationFrame === null;
      this.seek(0);
    };
    worker.postMessage(request);
  }

  get playing(): boolean {
    return this.#playing;
  }

  /** The animation loop stopped: the next frame starts the clock afresh. */
  pauseClock(): void {
    this.#lastMs = null;
  }

  seek(position: number): void {
    this.#playing = false;
    this.#position = position;
    this.render();
  }

  frame(nowMs: number): void {
    const elapsed = this.#lastMs === null ? 0 : Math.min(100, nowMs - this.#lastMs);
    this.#lastMs = nowMs;
    const index = this.#index;
    if (!this.#playing || index === null) return;
    const last = index.frames.count - 1;
    this.#position = Math.min(
      last,
      this.#position + Math.max(1, Math.round((elapsed * framesPerSecond) / 1000)),
    );
    if (this.#position === last) this.#playing = false;
    this.render();
  }

  render(): void {
    this.#el("replay-play").textContent = this.#playing ? "Pause" : "Play";
    const index = this.#index;
    if (index === null) {
      for (const id of ["replay-position", "replay-cards", "replay-trace"])
        this.#el(id).innerHTML = "";
      return;
    }
    const frames = index.frames;
    this.#el<HTMLInputElement>("replay-scrubber").value = String(this.#position);
    this.#el("replay-position").textContent =
      `${this.#position + 1} / ${frames.count} · t = ${frames.timeMs[this.#position] ?? 0} ms`;
    this.#el("replay-cards").innerHTML = replayCardsHtml(index, this.#position);
    this.#el("replay-trace").innerHTML = traceHtml(frames, this.#position);
  }

  #el<T extends HTMLElement = HTMLElement>(id: string): T {
    return this.#root.querySelector(`#${id}`) as T;
  }

  #on(id: string, type: string, listener: (event: Event) => void): void {
    this.#el(id).addEventListener(type, listener);
  }
}
