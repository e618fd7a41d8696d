import { ScheduleHeap } from "@flotilla/transport-memory";
import type { ClientEventKind } from "./kv-client-host.js";

// The simulator's own future (the network keeps the messages in flight): node ticks, disk
// completions and timers, client events, fault rounds. Events due at the same virtual time run
// in the order they were scheduled (`seq`), so a run replays bit for bit.

/** What an event is for; the simulator's loop dispatches on it. */
export const EventKind = {
  tick: 0,
  callback: 1,
  client: 2,
  faults: 3,
  scripted: 4,
} as const;

export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export type ScheduledEvent = {
  readonly timeMs: number;
  readonly seq: number;
  readonly kind: EventKind;
  /** A node or client number. */
  readonly target: number;
  /** An incarnation or client token: stale events are recognised by it. */
  readonly token: number;
  readonly clientEvent: ClientEventKind | null;
  /** What a callback event runs (a disk completion, a timer). */
  readonly callback: (() => void) | null;
};

/** The simulator's events in virtual-time order (then scheduling order). */
export class EventQueue {
  readonly #heap = new ScheduleHeap<ScheduledEvent>();
  #seq = 0;

  schedule(
    atMs: number,
    kind: EventKind,
    target: number,
    token: number,
    clientEvent: ClientEventKind | null = null,
    callback: (() => void) | null = null,
  ): void {
    this.#heap.push({ timeMs: atMs, seq: this.#seq++, kind, target, token, clientEvent, callback });
  }

  peek(): ScheduledEvent | undefined {
    return this.#heap.peek();
  }

  pop(): ScheduledEvent | undefined {
    return this.#heap.pop();
  }
}
