import type { PersistEffect } from "./effect.js";
import type { Persisted, Snapshot } from "./entry.js";
import type { Index, NodeId } from "./ids.js";
import type { Message } from "./message.js";

/**
 * Delivers messages between nodes. It may lose, duplicate and reorder them (Raft tolerates all
 * three), but must never alter one. `send` never blocks and never throws for network reasons.
 */
export interface Transport {
  /**
   * Hands `message` over for delivery to `to`, or drops it (a full queue, an unknown peer).
   * Returns at once: never blocks, never throws for network reasons. The message is never mutated
   * afterwards, so an in-process transport may pass the object itself; one that crosses a thread
   * or a process encodes it with `encodeMessage` (the versioned, bounds-checked wire codec).
   */
  send(to: NodeId, message: Message): void;
  /**
   * Registers the handler for inbound messages; returns a function that unregisters it. The
   * handler only queues the message for the node's next turn, so a transport may call it from any
   * callback, even synchronously inside another node's `send`.
   */
  onMessage(handler: (message: Message) => void): () => void;
  /**
   * Stops sending and delivering and releases what the transport holds (sockets, ports). The
   * application calls it after `FlotillaNode.stop()`.
   */
  close(): Promise<void>;
}

/** One durable write: the union of many persist effects, in their order (see `PersistEffect`). */
export type PersistBatch = Omit<PersistEffect, "type" | "then">;

/** What storage learnt writing a snapshot's bytes: their length and CRC-32. */
export type StoredSnapshot = { readonly size: number; readonly checksum: number };

/**
 * Durable state of one node. `persist` resolves only once everything in the batch is durable
 * (it survives a crash of the process and of the machine); a rejected `persist` leaves storage
 * either unchanged or with a prefix of the batch applied, never anything else.
 *
 * Snapshot bytes stream in and out beside the batches, never whole in memory: `writeSnapshot`
 * (one taken here) and `writeSnapshotChunk` (one received from a leader) store them, `persist`
 * with `batch.snapshot` puts a stored one in force (durably, dropping the log it covers), and
 * `readSnapshotChunk` (to send) and `readSnapshot` (to restore) read them back.
 */
export interface Storage {
  /**
   * Reads everything persisted so far: hard state, the metadata of the snapshot in force, and the
   * log after it. Called once, at start.
   */
  load(): Promise<Persisted>;
  /**
   * Makes `batch` durable, in the order `PersistEffect` gives; resolves only when it is. Refuses a
   * batch that does not fit the stored log with `InvalidPersistError` (see `checkPersistBatch`),
   * and one whose snapshot's bytes it does not hold (stored by `writeSnapshot`, or received whole
   * through `writeSnapshotChunk`, with that size and checksum).
   */
  persist(batch: PersistBatch): Promise<void>;
  /**
   * Streams the bytes of a snapshot taken here, covering the log up to `index`, into storage and
   * makes them durable (a file: write
   * a temporary one, fsync, rename, fsync the directory). Not yet in force: a later `persist`
   * with it in `batch.snapshot` does that. Resolves with the size and CRC-32 of what it stored.
   * Runs beside `persist` calls, never delaying them.
   */
  writeSnapshot(index: Index, data: SnapshotStream): Promise<StoredSnapshot>;
  /**
   * Stores one chunk of a snapshot being received, at `offset`: 0 starts it afresh (discarding
   * any other partial one), any other offset must continue it exactly (else `InvalidPersistError`).
   * Need not be durable: the `persist` that puts it in force makes it so.
   */
  writeSnapshotChunk(snapshot: Snapshot, offset: number, data: Uint8Array): Promise<void>;
  /**
   * Reads `length` bytes at `offset` of a stored snapshot (in force, or stored and not yet in
   * force), or null when storage no longer holds it (a newer one replaced it). Bytes that fail
   * their check are never returned: it rejects with `SnapshotDamagedError` and no longer holds
   * that snapshot (the driver takes a fresh one).
   */
  readSnapshotChunk(snapshot: Snapshot, offset: number, length: number): Promise<Uint8Array | null>;
  /**
   * Streams a stored snapshot's bytes (to restore a state machine), checking their size and
   * checksum at the end: a mismatch rejects (corruption), so a state machine is never left
   * believing a damaged snapshot was whole.
   */
  readSnapshot(snapshot: Snapshot): SnapshotStream;
  /** Releases the storage (files, locks); every later call is refused with `StorageClosedError`. */
  close(): Promise<void>;
}

/**
 * A snapshot's bytes as the state machine produces or consumes them: slices in order. A producer
 * should yield to the event loop between slices (an `async` generator awaiting between them does),
 * so that writing or sending a large state never stalls the node's timers and messages. A slice
 * once yielded is never changed by its producer, so a consumer may keep it instead of copying it
 * (examples/kv's store keeps a restore's slices as its memory).
 */
export type SnapshotStream = AsyncIterable<Uint8Array>;

/**
 * The application's replicated state machine, driven by the node driver. Snapshots stream: a
 * state of gigabytes is captured cheaply, then written to storage and sent to followers slice by
 * slice while the node keeps running. A small state machine that serialises itself at once
 * implements `BufferedStateMachine` instead and is wrapped with `bufferedStateMachine`.
 */
export interface StateMachine<Result = unknown> {
  /** Applies one committed command; entries arrive in log order, each exactly once per restart. */
  apply(command: Uint8Array, index: Index): Result | Promise<Result>;
  /**
   * Captures the state as of the last applied entry and returns its bytes as a stream. The capture
   * is the consistent point and must be cheap: a persistent or copy-on-write structure, or a frozen
   * view. Applies resume as soon as this returns (or its promise resolves), while the driver drains
   * the stream into storage in the background, so the stream must not see later applies.
   */
  snapshot(): SnapshotStream | Promise<SnapshotStream>;
  /** Replaces the whole state with the snapshot streamed in `data` (read it to its end). */
  restore(data: SnapshotStream): void | Promise<void>;
}

/**
 * A state machine that serialises its whole state at once (a counter, a small map): wrap it with
 * `bufferedStateMachine` to get a `StateMachine`. Its snapshot is held in memory whole, twice at
 * most (serialised and restored), so keep it to states of a few megabytes.
 */
export interface BufferedStateMachine<Result = unknown> {
  /** Applies one committed command; entries arrive in log order, each exactly once per restart. */
  apply(command: Uint8Array, index: Index): Result | Promise<Result>;
  /** Serialises the state as of the last applied entry. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void | Promise<void>;
}
