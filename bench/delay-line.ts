// The latency bench's network: every message waits a fixed one-way delay, then reaches its
// receiver; nothing else happens to it (no reordering, loss only with `--loss`). One queue holds
// every link's messages: with a single delay for all, the order of sending is the order of being
// due, so one timer serves the whole network.
//
// Why the last millisecond is slept, not left to the timer: Node truncates a timer's delay to whole
// ms and counts it from the event loop's cached time, and the loop wakes on whole ms, so a message
// given to a plain setTimeout reached its receiver ~0.5-1 ms late (the "measured RTT" of 10.6-10.9
// ms against 10 nominal in sessions 5-7). That is 10-20% of the round trip added by the bench's
// own wire, not by the nodes, where a real network delivers on the packet's arrival. So in real
// time the timer is armed a millisecond early and the thread then sleeps (Atomics.wait: no CPU)
// until the first message is due. Blocking the thread there costs the nodes nothing: there is no
// I/O in this process, so when the timer runs, every turn and promise has settled, and only other
// timers (ticks) can be waiting. Nothing is ever delivered before it is due, and each message's
// lateness against the nominal delay is recorded, so the bench reports how faithful its wire was.
//
// Why the last 0.2 ms is spun: Atomics.wait wakes late too, by the kernel's timer slack (50 µs
// for an ordinary thread) and the wake-up: 0.09-0.13 ms a hop at the median (a ping-pong through
// the line alone, 10.23-10.42 ms a round trip, session 11), 0.2-0.4 ms of a 10 ms round trip that
// the bench's wire added to every commit. So the thread sleeps to 0.2 ms before the due time and
// then reads the clock until it is reached (0.001-0.004 ms late, 10.06-10.08 ms). The spin is the
// wire's, not the nodes': its time is counted (`takeSpinMs`) and left out of the CPU per commit.
import { clearImmediate, setImmediate } from "node:timers";
import {
  decodeMessage,
  encodeMessage,
  type Message,
  type NodeId,
  type Transport,
} from "@flotilla/core";

/** Timers and a clock: the host's (real time) or a VirtualClock. */
export type Clock = {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  queueMicrotask(callback: () => void): void;
  now(): number;
};

/** How the line waits for the first message due: a plain timer, or a timer and then a sleep. */
export type Waiting = "timer" | "sleep";

/** A timer fired this long or more before the first message is due is armed again. */
const sleepMostMs = 3;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** The last part of a wait that is spun on the clock instead of slept (see the top). */
const spinLastMs = 0.2;

/** Passes of the spin between two reads of the clock (~1 µs: the spin still ends on time). */
const spinPassesPerRead = 64;

/** Blocks the thread for `ms` (fractions included), using no CPU meanwhile. */
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** How a wait went: the time spun, and how much longer than asked the sleep lasted (ms). */
type Waited = { spunMs: number; oversleptMs: number | undefined };

/**
 * Blocks the thread until `clock` reaches `due`: asleep until `spinLastMs` before it, then reading
 * the clock. Notes in `waited` how long it spun and how late the sleep woke (undefined: no sleep).
 * A sleep that wakes late was not given a core in time (the host, or this process's own threads,
 * e.g. a collector's helpers), and every message due meanwhile is late by as much.
 */
function waitUntil(clock: Clock, due: number, waited: Waited): void {
  const left = due - clock.now();
  waited.oversleptMs = undefined;
  if (left > spinLastMs) {
    sleep(left - spinLastMs);
    waited.oversleptMs = clock.now() - (due - spinLastMs);
  }
  const spinFrom = clock.now();
  let now = spinFrom;
  while (now < due) {
    // Between two reads of the clock, a spin that allocates nothing: each read returns a new heap
    // number until V8 optimizes this loop, and reading on every pass made the spin 10% of all the
    // garbage the process made at 64 in flight (a sampled heap profile), so scavenges that pause
    // the nodes came that much more often.
    for (let k = 0; k < spinPassesPerRead; k++) Atomics.load(sleeper, 0);
    now = clock.now();
  }
  waited.spunMs = now - spinFrom;
}

type Pending = { readonly due: number; readonly deliver: () => void };

/**
 * Messages due at a time, delivered in order by one timer: a network whose links all have the
 * same fixed one-way delay. `lateMs` collects, per message, how long after its due time it was
 * delivered.
 */
export class DelayLine {
  readonly #queue: Pending[] = [];
  #head = 0;
  #firing = false;
  /** The armed timer or immediate (one at most), so that arming again cancels it. */
  #timer: unknown;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  /** `#fire` bound once: a closure per arming was garbage for every delivery. */
  readonly #fireBound = (): void => this.#fire();
  /** Per delivered message: delivery time minus due time, in ms (since the last `takeLateness`). */
  #lateMs: number[] = [];
  /** Time spent spinning to a due time, in ms (since the last `takeSpinMs`). */
  #spinMs = 0;
  /** Per sleep: how much longer it lasted than asked, in ms (since the last `takeOversleep`). */
  #oversleptMs: number[] = [];
  readonly #waited: Waited = { spunMs: 0, oversleptMs: undefined };

  constructor(
    readonly delayMs: number,
    readonly clock: Clock,
    readonly waiting: Waiting,
  ) {}

  /** Sends a message: `deliver` runs `delayMs` from now. */
  push(deliver: () => void): void {
    this.pushDue(this.clock.now() + this.delayMs, deliver);
  }

  /**
   * A message due at `due` on the line's clock, sent by another thread: kept in order of due time
   * (two senders' messages may arrive out of it; the newest is nearly always due last).
   */
  pushDue(due: number, deliver: () => void): void {
    const queue = this.#queue;
    let at = queue.length;
    while (at > this.#head && queue[at - 1]!.due > due) at -= 1;
    if (at === queue.length) queue.push({ due, deliver });
    else queue.splice(at, 0, { due, deliver });
    // While firing, the timer is armed once the deliveries are done.
    if (!this.#firing && (!this.#armed || at === this.#head)) this.#arm();
  }

  /** The lateness of every message delivered since the last call, in ms. */
  takeLateness(): number[] {
    const late = this.#lateMs;
    this.#lateMs = [];
    return late;
  }

  /** How long the line spun to hit due times since the last call, in ms (CPU that is not the nodes'). */
  takeSpinMs(): number {
    const spun = this.#spinMs;
    this.#spinMs = 0;
    return spun;
  }

  /** Per sleep since the last call: how much longer than asked it lasted, in ms. */
  takeOversleep(): number[] {
    const overslept = this.#oversleptMs;
    this.#oversleptMs = [];
    return overslept;
  }

  /** Arms the one timer for the first message, replacing any armed before (a delivery may push). */
  #arm(): void {
    this.#disarm();
    const next = this.#queue[this.#head];
    if (next === undefined) return;
    const waitMs = next.due - this.clock.now();
    if (this.waiting === "sleep" && waitMs <= 1) {
      // A timer cannot wait less than 1 ms; the turns this delivery started run first.
      this.#immediate = setImmediate(this.#fireBound);
      return;
    }
    const ahead = this.waiting === "sleep" ? 1 : 0;
    this.#timer = this.clock.setTimeout(this.#fireBound, Math.max(0, waitMs - ahead));
  }

  get #armed(): boolean {
    return this.#timer !== undefined || this.#immediate !== undefined;
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#immediate = undefined;
    let now = this.clock.now();
    const first = this.#queue[this.#head];
    if (this.waiting === "sleep" && first !== undefined && first.due > now) {
      if (first.due - now >= sleepMostMs) {
        this.#arm();
        return;
      }
      const waited = this.#waited;
      waitUntil(this.clock, first.due, waited);
      this.#spinMs += waited.spunMs;
      if (waited.oversleptMs !== undefined) this.#oversleptMs.push(waited.oversleptMs);
      now = this.clock.now();
    }
    this.#firing = true;
    try {
      while (this.#head < this.#queue.length && this.#queue[this.#head]!.due <= now) {
        const pending = this.#queue[this.#head++]!;
        this.#lateMs.push(now - pending.due);
        pending.deliver();
      }
    } finally {
      this.#firing = false;
    }
    if (this.#head > 4096) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}

/**
 * Loses each datagram with probability `loss` (seeded, mulberry32): a message of n datagrams of
 * at most `datagramBytes` (as transport-udp fragments it) is lost whole if any one of them is.
 */
export function lossModel(loss: number, datagramBytes: number, seed: number) {
  const draw = mulberry32(seed);
  return (bytes: number): boolean => {
    if (loss <= 0) return false;
    let lost = false;
    for (let k = Math.max(1, Math.ceil(bytes / datagramBytes)); k > 0; k--) {
      if (draw() < loss) lost = true;
    }
    return lost;
  };
}

/** A seeded uniform source in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A transport per node over one delay line, every message through the wire codec. */
export function delayedTransports(
  ids: readonly NodeId[],
  line: DelayLine,
  lost: (bytes: number) => boolean,
): Map<NodeId, Transport> {
  const handlers = new Map<NodeId, (message: Message) => void>();
  return new Map(
    ids.map((id) => [
      id,
      {
        send(to: NodeId, message: Message) {
          const bytes = encodeMessage(message);
          if (lost(bytes.byteLength)) return;
          line.push(() => handlers.get(to)?.(decodeMessage(bytes)));
        },
        onMessage(handler: (message: Message) => void) {
          handlers.set(id, handler);
          return () => handlers.delete(id);
        },
        async close() {},
      },
    ]),
  );
}

/** The round trip of a delay line alone (its timers' lateness included), median of n. */
export async function measuredRttMs(
  delayMs: number,
  clock: Clock,
  waiting: Waiting,
  n = 200,
): Promise<number> {
  const line = new DelayLine(delayMs, clock, waiting);
  const samples: number[] = [];
  for (let k = 0; k < n; k++) {
    const start = clock.now();
    await new Promise<void>((resolve) => line.push(() => line.push(resolve)));
    samples.push(clock.now() - start);
  }
  return percentile(samples, 0.5);
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = samples.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
