import type { SnapshotStream } from "@flotilla/core";

// A slow state machine (issue #11): in runs that draw `stateMachineDelayMs`, the key-value state
// machine takes virtual time. Each batch of entries applied takes that long (the turn waits, as
// createNode's waits for `StateMachine.apply`, and events pile up in the inbox meanwhile); a
// snapshot streams into storage in slices of `snapshotSliceBytes`, one slice per delay (beside
// the turns, so applies, further snapshots and installs overlap it); a restore takes one delay
// per slice of the snapshot. Crashes, newer snapshots and transfers then land in the middle of
// each.

/** The bytes of a snapshot slice: a stream of several slices for any padded snapshot. */
export const snapshotSliceBytes = 64;

/** How long the state machine takes, in virtual ms (0: at once). */
export class StateMachinePace {
  readonly delayMs: number;

  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }

  get slow(): boolean {
    return this.delayMs > 0;
  }

  /** How long restoring `bytes` of a snapshot takes: one delay per slice. */
  restoreMs(bytes: number): number {
    return this.delayMs * Math.max(1, Math.ceil(bytes / snapshotSliceBytes));
  }
}

/**
 * `data` as the state machine streams it: slices of `snapshotSliceBytes`, each but the first
 * after `sleep()` (virtual time).
 */
export async function* pacedSlices(data: Uint8Array, sleep: () => Promise<void>): SnapshotStream {
  if (data.length === 0) {
    yield data;
    return;
  }
  for (let offset = 0; offset < data.length; offset += snapshotSliceBytes) {
    if (offset > 0) await sleep();
    yield data.subarray(offset, offset + snapshotSliceBytes);
  }
}
