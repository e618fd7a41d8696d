import type { BufferedStateMachine, Index } from "@flotilla/core";

/** The cheapest state machine: counts commands and answers each with its index, so benchmarks time Raft, not the application. */
export class Counter implements BufferedStateMachine<number> {
  count = 0;
  apply(_command: Uint8Array, index: Index): number {
    this.count += 1;
    return index;
  }
  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
  restore(): void {}
}
