// Taking a snapshot never stops the node (issue 11): the driver captures the state machine inside
// a turn, but the bytes stream into storage beside the turns. A state machine whose snapshot
// stream is held half-way (a slow or huge state) leaves the node ticking, committing and applying
// in the meantime; the `snapshot` event comes once the bytes are durable, and the log is
// compacted only then.
// (No event-loop stall to measure here: the node runs on a virtual clock; bench growth measures
// the stalls of real processes.)

import { describe, expect, it } from "vitest";
import type { SnapshotStream } from "../../src/index.js";
import { bytes, LogMachine, watch } from "./fixtures.js";
import { singleLeader, tickMs } from "./single-node.js";
import { settle } from "./virtual-clock.js";

/** A LogMachine whose snapshot streams its first slice, then waits until `release` is called. */
class HeldMachine extends LogMachine {
  #release: (() => void) | null = null;
  snapshotsStarted = 0;

  override snapshot(): SnapshotStream {
    this.snapshotsStarted++;
    const inner = super.snapshot();
    const gate = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
    return (async function* () {
      let first = true;
      for await (const slice of inner) {
        yield slice;
        if (first) await gate;
        first = false;
      }
    })();
  }

  release(): void {
    this.#release?.();
  }
}

describe("driver: a snapshot streams beside the turns", () => {
  it("keeps ticking, committing and applying while the state machine's stream is held", async () => {
    const machine = new HeldMachine();
    const t = await singleLeader({ snapshotEveryEntries: 5, stateMachine: machine });
    const taken: number[] = [];
    t.node.events.on("snapshot", (event) => taken.push(event.index));
    for (let k = 0; k < 5; k++) await t.node.propose(bytes(`before-${k}`));
    await settle();
    expect(machine.snapshotsStarted).toBe(1);
    expect(taken).toEqual([]);

    // The stream is held after its first slice. The node goes on: ticks, proposals, applies.
    const term = t.node.status().term;
    const later = Array.from({ length: 3 }, (_, k) => watch(t.node.propose(bytes(`held-${k}`))));
    await t.clock.advance(20 * tickMs);
    expect(later.map((p) => p.state())).toEqual(["resolved", "resolved", "resolved"]);
    expect(machine.texts.slice(-3)).toEqual(["held-0", "held-1", "held-2"]);
    expect(t.node.status()).toMatchObject({ role: "leader", term, appliedIndex: 9 });
    // Captured at index 5, not yet durable: no event, and status says so.
    expect(t.node.status()).toMatchObject({ snapshotIndex: 0, snapshotStoringIndex: 5 });
    expect(taken).toEqual([]);

    machine.release();
    await settle();
    await t.clock.advance(tickMs);
    expect(taken).toEqual([5]);
    expect(t.node.status()).toMatchObject({ snapshotIndex: 5, snapshotStoringIndex: null });
    await t.node.stop();
  });
});
