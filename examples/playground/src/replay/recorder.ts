import type { ConfigInput, Effect, Event, Persisted } from "@flotilla/core";
import type { RaftStateInternals } from "@flotilla/core/runtime";
import type { RaftCore } from "@flotilla/sim";
import { FrameColumns, type PackedFrames, roles } from "./frames.js";

// Watches a simulator run through its `core` seam, without changing it: every reducer step of
// every node becomes a frame (the node's status and the tail of its log, as terms), and every
// trace line that is not a step (faults, clients) a frame of its own. The wrapped core returns
// exactly what the real one does, so the run and its fingerprint are the CLI's, bit for bit.
// Frames go into columns (frames.ts): a step costs a few stores, not an object.

export const tailLength = 24;

/** Terms of one node's log since its snapshot: what the log cells show. */
class LogMirror {
  base = 0;
  terms: number[] = [];
  /** The number of the stored tail that matches the log, or -1 once the log changed. */
  tailId = -1;

  reset(persisted: Persisted): void {
    this.base = persisted.snapshot?.index ?? 0;
    this.terms = persisted.entries.map((entry) => entry.term);
    this.tailId = -1;
  }

  follow(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.type !== "persist") continue;
      this.tailId = -1;
      if (effect.snapshot !== undefined) {
        const drop = Math.max(0, effect.snapshot.index - this.base);
        this.terms = this.terms.slice(drop);
        this.base = effect.snapshot.index;
      }
      if (effect.truncateFrom !== undefined) {
        this.terms.length = Math.max(
          0,
          Math.min(this.terms.length, effect.truncateFrom - this.base - 1),
        );
      }
      for (const entry of effect.entries) this.terms.push(entry.term);
    }
  }
}

const crashLine = /fault\s+crash n(\S+)/;
const roleCodes = new Map<string, number>(roles.map((role, code) => [role, code]));

export class Recorder {
  readonly columns: FrameColumns;
  readonly #mirrors: LogMirror[];
  readonly #numbers: Map<string, number>;
  #line = -1;
  #timeMs = 0;
  readonly #framesMax: number;

  /**
   * `nodeIds`: the simulator's node ids ("1", "2", …); a frame stores a node's position in it.
   * `framesExpected`: about how many frames the run will make (its steps), to size the columns.
   */
  constructor(nodeIds: readonly string[], framesMax = 400_000, framesExpected = 1024) {
    // A run makes a frame per step and a few notes (faults, clients) besides.
    this.columns = new FrameColumns(Math.min(framesMax, Math.ceil(framesExpected * 1.1)));
    this.#numbers = new Map(nodeIds.map((id, i) => [id, i]));
    this.#mirrors = nodeIds.map(() => new LogMirror());
    this.#framesMax = framesMax;
  }

  get frameCount(): number {
    return this.columns.count;
  }

  pack(): PackedFrames {
    return this.columns.pack();
  }

  /** The simulator's trace listener: step lines label the next frames, others are frames. */
  readonly listen = (line: string): void => {
    if (this.columns.count >= this.#framesMax) return;
    this.#line = this.columns.addLine(line);
    // A line opens with its time ("  1234ms"); a node's step goes on with " n<id>".
    const afterTime = afterTimeOf(line);
    this.#timeMs = afterTime < 0 ? 0 : timeOf(line, afterTime);
    if (afterTime >= 0 && line.startsWith(" n", afterTime)) return;
    const crashed = crashLine.exec(line)?.[1];
    this.columns.push({
      timeMs: this.#timeMs,
      node: -1,
      crashed: crashed === undefined ? -1 : (this.#numbers.get(crashed) ?? -1),
      role: 0,
      term: 0,
      vote: -1,
      commit: 0,
      applied: 0,
      tail: 0,
      line: this.#line,
    });
  };

  /**
   * The state's own fields are read (the runtime's full record): `status` would build a frozen
   * view, with a record per peer on a leader, at every step of the run.
   */
  wrap(core: RaftCore<RaftStateInternals>): RaftCore<RaftStateInternals> {
    return {
      init: (config: ConfigInput, persisted: Persisted) => {
        const state = core.init(config, persisted);
        this.#mirror(config.id).reset(persisted);
        this.#frame(state);
        return state;
      },
      step: (state: RaftStateInternals, event: Event) => {
        const result = core.step(state, event);
        this.#mirror(result.state.id).follow(result.effects);
        this.#frame(result.state);
        return result;
      },
    };
  }

  #mirror(id: string): LogMirror {
    return this.#mirrors[this.#numbers.get(id) ?? -1] ?? new LogMirror();
  }

  #frame(view: RaftStateInternals): void {
    if (this.columns.count >= this.#framesMax) return;
    const mirror = this.#mirror(view.id);
    if (mirror.tailId < 0) {
      const tail = mirror.terms.slice(-tailLength);
      mirror.tailId = this.columns.addTail(
        mirror.base + mirror.terms.length - tail.length + 1,
        tail,
      );
    }
    this.columns.push({
      timeMs: this.#timeMs,
      node: this.#numbers.get(view.id) ?? -1,
      crashed: -1,
      role: roleCodes.get(view.role) ?? 0,
      term: view.term,
      vote: view.vote === null ? -1 : (this.#numbers.get(view.vote) ?? -1),
      commit: view.commit,
      applied: view.applied,
      tail: mirror.tailId,
      line: this.#line,
    });
  }
}

/**
 * Where a line's leading time ("  1234ms") ends, or -1 if it has none. Parsed by hand, as the
 * recorder reads every line of the run (two regular expressions per line were a twentieth of a
 * recorded run in Chromium).
 */
function afterTimeOf(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  const digits = i;
  while (isDigit(line.charCodeAt(i))) i++;
  return i > digits && line.startsWith("ms", i) ? i + 2 : -1;
}

/** The time of a line whose time ends at `afterTime`. */
function timeOf(line: string, afterTime: number): number {
  let ms = 0;
  for (let i = line.lastIndexOf(" ", afterTime) + 1; i < afterTime - 2; i++) {
    ms = ms * 10 + line.charCodeAt(i) - 48;
  }
  return ms;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
