// The adapter from a state machine that serialises itself at once (`BufferedStateMachine`) to the
// streaming `StateMachine` the driver drives: its bytes leave as a stream of slices, and a restore
// gathers the stream back into one array first.

import type { BufferedStateMachine, SnapshotStream, StateMachine } from "../interfaces.js";

/** Slices handed to storage at a time: large enough to cost nothing, small enough to interleave. */
const sliceBytes = 1024 * 1024;

/**
 * Wraps a state machine whose `snapshot()` returns all its bytes and whose `restore()` takes them
 * all, as the streaming `StateMachine` that `createNode` takes. The bytes are captured when the
 * driver asks for the snapshot (the consistent point), so later applies do not change them.
 */
export function bufferedStateMachine<Result>(
  machine: BufferedStateMachine<Result>,
): StateMachine<Result> {
  return {
    apply: (command, index) => machine.apply(command, index),
    snapshot() {
      const taken = machine.snapshot();
      return taken instanceof Uint8Array ? slices(taken) : taken.then(slices);
    },
    async restore(data) {
      await machine.restore(await readAllBytes(data));
    },
  };
}

/** `bytes` as a stream of slices (views, not copies), one per turn of the event loop's jobs. */
export async function* slices(bytes: Uint8Array): SnapshotStream {
  if (bytes.byteLength === 0) {
    yield bytes;
    return;
  }
  for (let offset = 0; offset < bytes.byteLength; offset += sliceBytes) {
    yield bytes.subarray(offset, Math.min(bytes.byteLength, offset + sliceBytes));
  }
}

/** Gathers a stream into one array (copies only when it has more than one slice). */
export async function readAllBytes(stream: SnapshotStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of stream) {
    parts.push(part);
    size += part.byteLength;
  }
  if (parts.length === 1) return parts[0]!;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.byteLength;
  }
  return all;
}
