import type { Message } from "@flotilla/core";
import type { Network } from "@flotilla/transport-memory";
import { type AsyncWorkTracker, hop } from "./async-work.js";
import { EventKind, EventQueue, type ScheduledEvent } from "./event-queue.js";
import type { ClientEventKind } from "./kv-client-host.js";

// The simulator's loop (simulator.ts, "Theory of operation"): two queues hold the future, the
// network's (messages in flight) and ours (node ticks, disk completions and timers, client
// events, fault rounds); the loop takes whichever is due first (the network on ties), moves time
// to it and hands it to its target, one step each, then lets the async work it started run until
// it waits in virtual time again.

/** Where the loop hands each event. */
export interface LoopTargets {
  readonly network: Network;
  readonly async: AsyncWorkTracker;
  /** Whether a checker found a violation: the loop stops. */
  violated(): boolean;
  /** A message the network delivered. */
  delivered(message: Message): void;
  /** A node's tick timer fired (`incarnation`: the life that set it). */
  tick(node: number, incarnation: number): void;
  client(kind: ClientEventKind, client: number, token: number): void;
  /** A round of random faults. */
  faultRound(): void;
  /** The scripted fault at `index` is due. */
  scripted(index: number): void;
}

/** The run's events in virtual-time order, and the steps taken. */
export class EventLoop {
  readonly queue = new EventQueue();
  /** Events handled so far (a delivery or one of ours). */
  steps = 0;
  readonly #targets: LoopTargets;

  constructor(targets: LoopTargets) {
    this.#targets = targets;
  }

  /** Handles events until `done()` or a violation, or until nothing is left. */
  async run(done: () => boolean): Promise<void> {
    const { network, async } = this.#targets;
    const queue = this.queue;
    while (!this.#targets.violated() && !done()) {
      const ours = queue.peek();
      const theirs = network.nextDeliveryTimeMs();
      if (ours === undefined && theirs === undefined) return;
      if (theirs !== undefined && (ours === undefined || theirs <= ours.timeMs)) {
        const delivery = network.deliverNext(theirs);
        if (delivery === undefined) continue; // dropped on arrival: not an event for anyone
        this.steps++;
        this.#targets.delivered(delivery.message);
      } else {
        queue.pop();
        const event = ours as ScheduledEvent;
        if (event.timeMs > network.nowMs) network.advanceTo(event.timeMs);
        this.steps++;
        this.#handle(event);
      }
      if (async.pending) {
        // `await async.settle()` written out: its promise, and the wait for it, would be one more
        // allocation per event. The last hop stands for the tick that waiting took, so every
        // microtask runs in the order it did (and the fingerprints stay as they were).
        for (let hops = 0; async.running(hops); hops++) await hop;
        await hop;
        async.raiseFailure();
      }
    }
  }

  #handle(event: ScheduledEvent): void {
    const targets = this.#targets;
    switch (event.kind) {
      case EventKind.tick:
        targets.tick(event.target, event.token);
        return;
      case EventKind.callback:
        (event.callback as () => void)();
        return;
      case EventKind.client:
        targets.client(event.clientEvent as ClientEventKind, event.target, event.token);
        return;
      case EventKind.faults:
        targets.faultRound();
        return;
      case EventKind.scripted:
        targets.scripted(event.target);
        return;
      default: {
        const never: never = event.kind;
        throw new RangeError(`unknown scheduled event kind ${never}`);
      }
    }
  }
}
