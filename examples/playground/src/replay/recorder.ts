import {
  type ConfigInput,
  type Effect,
  type Event,
  type Message,
  type Persisted,
  type RaftState,
  status,
} from "@flotilla/core";
import type { RaftCore } from "@flotilla/sim";

// Watches a simulator run through its `core` seam, without changing it: every reducer step of
// every node becomes a frame (the node's status and the tail of its log, as terms), and every
// trace line that is not a step (faults, clients) a frame of its own. The wrapped core returns
// exactly what the real one does, so the run and its fingerprint are the CLI's, bit for bit.

export const tailLength = 24;

export type NodeFrame = {
  readonly kind: "node";
  readonly timeMs: number;
  readonly node: string;
  readonly role: string;
  readonly term: number;
  readonly vote: string | null;
  readonly commit: number;
  readonly applied: number;
  /** The index of `tail[0]`; the tail holds the terms of the log's last entries. */
  readonly tailStart: number;
  readonly tail: readonly number[];
  /** The trace line of the event that caused this step. */
  readonly line: string;
};

export type NoteFrame = {
  readonly kind: "note";
  readonly timeMs: number;
  readonly line: string;
  /** The node this note crashed, if it is a crash. */
  readonly crashed: string | null;
};

export type Frame = NodeFrame | NoteFrame;

/** Terms of one node's log since its snapshot: what the log cells show. */
class LogMirror {
  base = 0;
  terms: number[] = [];

  reset(persisted: Persisted): void {
    this.base = persisted.snapshot?.index ?? 0;
    this.terms = persisted.entries.map((entry) => entry.term);
  }

  follow(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.type !== "persist") continue;
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

export class Recorder {
  readonly frames: Frame[] = [];
  readonly #mirrors = new Map<string, LogMirror>();
  #line = "";
  readonly #framesMax: number;

  constructor(framesMax = 400_000) {
    this.#framesMax = framesMax;
  }

  /** The simulator's trace listener: step lines label the next frame, others are frames. */
  readonly listen = (line: string): void => {
    if (/^\s*\d+ms n/.test(line)) {
      this.#line = line;
      return;
    }
    const crashed = crashLine.exec(line)?.[1] ?? null;
    this.#push({ kind: "note", timeMs: timeOf(line), line, crashed });
  };

  wrap(core: RaftCore<RaftState>): RaftCore<RaftState> {
    return {
      init: (config: ConfigInput, persisted: Persisted) => {
        this.#mirror(config.id).reset(persisted);
        const state = core.init(config, persisted);
        this.#frame(state, this.#line);
        return state;
      },
      step: (state: RaftState, event: Event) => {
        const result = core.step(state, event);
        const view = status(result.state);
        this.#mirror(view.id).follow(result.effects);
        this.#frame(result.state, this.#line);
        return result as {
          state: RaftState;
          messages: readonly Message[];
          effects: readonly Effect[];
        };
      },
    };
  }

  #mirror(id: string): LogMirror {
    let mirror = this.#mirrors.get(id);
    if (mirror === undefined) {
      mirror = new LogMirror();
      this.#mirrors.set(id, mirror);
    }
    return mirror;
  }

  #frame(state: RaftState, line: string): void {
    const view = status(state);
    const mirror = this.#mirror(view.id);
    const tail = mirror.terms.slice(-tailLength);
    this.#push({
      kind: "node",
      timeMs: timeOf(line),
      node: view.id,
      role: view.role,
      term: view.term,
      vote: view.vote,
      commit: view.commit,
      applied: view.applied,
      tailStart: mirror.base + mirror.terms.length - tail.length + 1,
      tail,
      line,
    });
  }

  #push(frame: Frame): void {
    if (this.frames.length < this.#framesMax) this.frames.push(frame);
  }
}

function timeOf(line: string): number {
  const ms = /^\s*(\d+)ms/.exec(line)?.[1];
  return ms === undefined ? 0 : Number(ms);
}
