// Reassembly of fragmented messages, with bounded memory.
//
// UDP may lose, duplicate and reorder fragments. We keep the fragments of each incomplete message
// until all have arrived, then hand back the whole payload. Nothing is retransmitted: Raft already
// tolerates the loss of a whole message (the leader resends on the next heartbeat or probe, §5.3),
// so a message with a lost fragment is simply discarded, by one of three rules:
//   - timeout: an incomplete message older than `timeoutMs` is dropped (counted "timedOut");
//   - budget: holding a new fragment must keep the total under `bytesMax` and the number of
//     incomplete messages under `messagesMax`; the oldest incomplete messages are evicted to make
//     room (counted "evicted"), so a flood of first fragments cannot exhaust memory;
//   - a message that alone would exceed `bytesMax` is refused outright (counted "tooLarge").
// Time comes from the caller (`nowMs` arguments), so tests drive it; the transport sweeps on a
// coarse timer.
import { uninitializedBytes } from "./bytes.js";
import type { Counters } from "./stats.js";

export type ReassemblyLimits = {
  /** Fragment bytes held across all incomplete messages. */
  readonly bytesMax: number;
  /** Incomplete messages held at once. */
  readonly messagesMax: number;
  /** An incomplete message is discarded this long after its first fragment arrived. */
  readonly timeoutMs: number;
};

export type FragmentId = {
  readonly sender: string;
  readonly messageIdHigh: number;
  readonly messageIdLow: number;
  readonly fragmentIndex: number;
  readonly fragmentCount: number;
};

export type Reassembler = {
  /** Adds a verified fragment; returns the whole payload once its last fragment arrives. */
  add(id: FragmentId, bytes: Uint8Array, nowMs: number): Uint8Array | null;
  /** Discards incomplete messages older than the timeout. */
  sweep(nowMs: number): void;
  readonly pendingMessages: number;
  readonly pendingBytes: number;
};

type Pending = {
  readonly parts: (Uint8Array | undefined)[];
  readonly startedMs: number;
  received: number;
  bytes: number;
};

export function createReassembler(limits: ReassemblyLimits, counters: Counters): Reassembler {
  // Insertion order is arrival order of first fragments: the first entry is always the oldest,
  // which makes eviction and sweeping O(1) per discarded message.
  const pending = new Map<string, Pending>();
  let pendingBytes = 0;

  function discard(key: string, entry: Pending): void {
    pending.delete(key);
    pendingBytes -= entry.bytes;
  }

  function sweep(nowMs: number): void {
    for (const [key, entry] of pending) {
      if (nowMs - entry.startedMs < limits.timeoutMs) break;
      discard(key, entry);
      counters.dropped.timedOut += 1;
    }
  }

  /** Evicts the oldest other messages until `extraBytes` more (and maybe one more message) fit. */
  function makeRoom(keep: string, extraBytes: number, newMessage: boolean): void {
    for (const [key, entry] of pending) {
      const bytesFit = pendingBytes + extraBytes <= limits.bytesMax;
      const countFits = !newMessage || pending.size < limits.messagesMax;
      if (bytesFit && countFits) return;
      if (key === keep) continue;
      discard(key, entry);
      counters.dropped.evicted += 1;
    }
  }

  function add(id: FragmentId, bytes: Uint8Array, nowMs: number): Uint8Array | null {
    if (id.fragmentCount === 1) return bytes;
    sweep(nowMs);
    const key = `${id.messageIdHigh}.${id.messageIdLow}\0${id.sender}`;
    let entry = pending.get(key);
    if (entry !== undefined && entry.parts.length !== id.fragmentCount) {
      counters.dropped.malformed += 1;
      return null;
    }
    if (entry?.parts[id.fragmentIndex] !== undefined) {
      counters.duplicateFragments += 1;
      return null;
    }
    if ((entry?.bytes ?? 0) + bytes.length > limits.bytesMax) {
      if (entry !== undefined) discard(key, entry);
      counters.dropped.tooLarge += 1;
      return null;
    }
    makeRoom(key, bytes.length, entry === undefined);
    if (entry === undefined) {
      entry = { parts: new Array(id.fragmentCount), startedMs: nowMs, received: 0, bytes: 0 };
      pending.set(key, entry);
    }
    // Held as it is, not copied: the caller hands the datagram over (node:dgram's buffer is a
    // fresh one per datagram, never reused; admit.ts keeps views of it the same way). A copy per
    // fragment cost an allocation per datagram, and those buffers, dying young by the hundred per
    // snapshot chunk, made the garbage collector run for external memory (issue 11).
    entry.parts[id.fragmentIndex] = bytes;
    entry.received += 1;
    entry.bytes += bytes.length;
    pendingBytes += bytes.length;
    if (entry.received < id.fragmentCount) return null;
    discard(key, entry);
    return concat(entry.parts as Uint8Array[], entry.bytes);
  }

  return {
    add,
    sweep,
    get pendingMessages() {
      return pending.size;
    },
    get pendingBytes() {
      return pendingBytes;
    },
  };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  // Not zero-filled first (every byte is written below): a 256 KiB snapshot chunk is one of these.
  const out = uninitializedBytes(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
