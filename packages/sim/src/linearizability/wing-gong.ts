import { Prng } from "@flotilla/transport-memory";
import type { Model } from "./model.js";

// Theory of operation. Wing & Gong (1993) search for a linearization: walk the history's call
// and return events in time order; at each point, try to linearize one of the operations whose
// call is pending before the first return ("minimal" operations) by applying it to the model,
// lift its call and return out of the event list, and recurse; a return reached before its own
// operation was linearized means this branch failed, so backtrack. Lowe (2017) made it practical
// by memoising every (set of linearized operations, model state) pair already explored: reaching
// the same pair again cannot succeed where it failed before. Porcupine (Athalye) does the same;
// this is our own implementation of the published algorithm.
//
// Time ties: an operation that returns at the same instant another is invoked is treated as
// concurrent with it (calls sort before returns), the lenient reading of a coarse clock.
// Indeterminate operations return at +infinity with an unknown output: the search may place
// them anywhere after their call, including after everything else, which is how "it never took
// effect" is expressed.

/** One operation of a single-partition history, as the search sees it. */
export type SearchOperation<Input, Output> = {
  readonly input: Input;
  /** Undefined when the outcome is unknown. */
  readonly output: Output | undefined;
  readonly callAt: number;
  /** +Infinity when the outcome is unknown. */
  readonly returnAt: number;
};

export type SearchResult =
  | { readonly kind: "ok"; readonly steps: number }
  | { readonly kind: "violation"; readonly steps: number }
  | { readonly kind: "unknown"; readonly steps: number };

type Events = {
  readonly op: Int32Array; // operation of each event (events 1..2n; 0 is the head sentinel)
  readonly isCall: Uint8Array;
  readonly match: Int32Array; // call event -> its return event
  readonly next: Int32Array;
  readonly prev: Int32Array;
};

function buildEvents<I, O>(ops: readonly SearchOperation<I, O>[]): Events {
  const n = ops.length;
  const order: { time: number; call: boolean; op: number }[] = [];
  ops.forEach((o, op) => {
    order.push({ time: o.callAt, call: true, op }, { time: o.returnAt, call: false, op });
  });
  order.sort((a, b) => a.time - b.time || (a.call === b.call ? a.op - b.op : a.call ? -1 : 1));
  const size = 2 * n + 1;
  const events: Events = {
    op: new Int32Array(size),
    isCall: new Uint8Array(size),
    match: new Int32Array(size),
    next: new Int32Array(size),
    prev: new Int32Array(size),
  };
  const callEvent = new Int32Array(n);
  order.forEach((e, i) => {
    const id = i + 1;
    events.op[id] = e.op;
    events.isCall[id] = e.call ? 1 : 0;
    if (e.call) callEvent[e.op] = id;
    else events.match[callEvent[e.op] as number] = id;
    events.prev[id] = i;
    events.next[i] = id;
  });
  events.next[size - 1] = 0; // 0 doubles as "end of list"
  if (size === 1) events.next[0] = 0;
  return events;
}

function lift(e: Events, call: number): void {
  const ret = e.match[call] as number;
  e.next[e.prev[call] as number] = e.next[call] as number;
  if (e.next[call] !== 0) e.prev[e.next[call] as number] = e.prev[call] as number;
  e.next[e.prev[ret] as number] = e.next[ret] as number;
  if (e.next[ret] !== 0) e.prev[e.next[ret] as number] = e.prev[ret] as number;
}

function unlift(e: Events, call: number): void {
  const ret = e.match[call] as number;
  e.next[e.prev[ret] as number] = ret;
  if (e.next[ret] !== 0) e.prev[e.next[ret] as number] = ret;
  e.next[e.prev[call] as number] = call;
  if (e.next[call] !== 0) e.prev[e.next[call] as number] = call;
}

/** Memo of explored (linearized set, state) pairs, hashed Zobrist-style in O(1) per step. */
class Memo {
  readonly #table = new Map<string, Uint32Array[]>();
  readonly zobrist: Uint32Array;
  constructor(n: number) {
    const prng = new Prng(0x11ea71);
    this.zobrist = new Uint32Array(2 * n).map(() => prng.nextUint32());
  }
  /** Records the pair; false if it was already there. */
  add(hashLow: number, hashHigh: number, stateKey: string, bits: Uint32Array): boolean {
    const key = `${hashLow}:${hashHigh}:${stateKey}`;
    const bucket = this.#table.get(key);
    if (bucket === undefined) {
      this.#table.set(key, [bits.slice()]);
      return true;
    }
    if (bucket.some((b) => b.every((word, i) => word === bits[i]))) return false;
    bucket.push(bits.slice());
    return true;
  }
}

/** Checks one partition (one key). `budgetSteps` bounds the search; past it: "unknown". */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly SearchOperation<I, O>[],
  budgetSteps: number,
): SearchResult {
  const n = ops.length;
  const e = buildEvents(ops);
  const memo = new Memo(n);
  const bits = new Uint32Array(Math.ceil(n / 32) || 1);
  const stack: { call: number; state: S }[] = [];
  let hashLow = 0;
  let hashHigh = 0;
  let state = model.init;
  let entry = e.next[0] as number;
  let steps = 0;
  while (e.next[0] !== 0) {
    if (++steps > budgetSteps) return { kind: "unknown", steps };
    if (entry === 0) return { kind: "violation", steps };
    const op = e.op[entry] as number;
    if (e.isCall[entry] === 1) {
      const o = ops[op] as SearchOperation<I, O>;
      const next = model.step(state, o.input, o.output);
      if (next !== undefined) {
        bits[op >> 5] = (bits[op >> 5] as number) | (1 << (op & 31));
        const low = hashLow ^ (memo.zobrist[2 * op] as number);
        const high = hashHigh ^ (memo.zobrist[2 * op + 1] as number);
        if (memo.add(low, high, model.key(next), bits)) {
          stack.push({ call: entry, state });
          state = next;
          hashLow = low;
          hashHigh = high;
          lift(e, entry);
          entry = e.next[0] as number;
          continue;
        }
        bits[op >> 5] = (bits[op >> 5] as number) & ~(1 << (op & 31));
      }
      entry = e.next[entry] as number;
    } else {
      // A return whose operation is not linearized yet: this branch is dead, backtrack.
      const top = stack.pop();
      if (top === undefined) return { kind: "violation", steps };
      const undone = e.op[top.call] as number;
      bits[undone >> 5] = (bits[undone >> 5] as number) & ~(1 << (undone & 31));
      hashLow ^= memo.zobrist[2 * undone] as number;
      hashHigh ^= memo.zobrist[2 * undone + 1] as number;
      state = top.state;
      unlift(e, top.call);
      entry = e.next[top.call] as number;
    }
  }
  return { kind: "ok", steps };
}
