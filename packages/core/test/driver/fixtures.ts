// Storage and state machines for driver tests: the real MemoryStorage, observed and (when a test
// asks) held back or broken; a state machine whose results tell which entry produced them.

import type {
  Index,
  PersistBatch,
  Persisted,
  Snapshot,
  SnapshotStream,
  StateMachine,
  Storage,
  StoredSnapshot,
} from "../../src/index.js";
import { MemoryStorage } from "../../src/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);

/** MemoryStorage that records every batch and can hold writes until the test releases them. */
export class ObservedStorage implements Storage {
  readonly inner: MemoryStorage;
  readonly batches: PersistBatch[] = [];
  #held: (() => void)[] | null = null;
  #failWith: Error | null = null;

  constructor(inner = new MemoryStorage()) {
    this.inner = inner;
  }

  load(): Promise<Persisted> {
    return this.inner.load();
  }

  async persist(batch: PersistBatch): Promise<void> {
    this.batches.push(batch);
    if (this.#held !== null) {
      const held = this.#held;
      await new Promise<void>((resolve) => held.push(resolve));
    }
    if (this.#failWith !== null) throw this.#failWith;
    await this.inner.persist(batch);
  }

  writeSnapshot(index: Index, data: SnapshotStream): Promise<StoredSnapshot> {
    return this.inner.writeSnapshot(index, data);
  }

  writeSnapshotChunk(snapshot: Snapshot, offset: number, data: Uint8Array): Promise<void> {
    return this.inner.writeSnapshotChunk(snapshot, offset, data);
  }

  readSnapshotChunk(snapshot: Snapshot, offset: number, length: number) {
    return this.inner.readSnapshotChunk(snapshot, offset, length);
  }

  readSnapshot(snapshot: Snapshot): SnapshotStream {
    return this.inner.readSnapshot(snapshot);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** From now on, writes wait until `release()`. */
  hold(): void {
    this.#held ??= [];
  }

  /** Lets every held write (and later ones) go through. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const resolve of held) resolve();
  }

  /** Writes waiting on `release()`. */
  get heldWrites(): number {
    return this.#held?.length ?? 0;
  }

  failWith(error: Error): void {
    this.#failWith = error;
  }
}

/** Records applied commands; a command's result is "index:text", so a test sees which entry. */
export class LogMachine implements StateMachine<string> {
  applied: { index: Index; text: string }[] = [];
  throwOn: string | null = null;

  apply(command: Uint8Array, index: Index): string {
    const text = decoder.decode(command);
    if (text === this.throwOn) throw new Error(`refusing ${text}`);
    this.applied.push({ index, text });
    return `${index}:${text}`;
  }

  /** Streams one slice per applied entry (a JSON line each), so restores see many slices. */
  snapshot(): SnapshotStream {
    const captured = this.applied.slice(); // the consistent point: later applies are not seen
    return (async function* () {
      for (const entry of captured) {
        await Promise.resolve(); // yields between slices, as a streaming state machine should
        yield bytes(`${JSON.stringify(entry)}\n`);
      }
    })();
  }

  async restore(data: SnapshotStream): Promise<void> {
    let text = "";
    for await (const slice of data) text += decoder.decode(slice, { stream: true });
    this.applied = text
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { index: Index; text: string });
  }

  get texts(): string[] {
    return this.applied.map((entry) => entry.text);
  }
}

/** Watches a promise: how it settled, and how many times a handler ran (must be once). */
export function watch<T>(promise: Promise<T>): {
  readonly state: () => "pending" | "resolved" | "rejected";
  readonly value: () => T | undefined;
  readonly error: () => unknown;
} {
  let state: "pending" | "resolved" | "rejected" = "pending";
  let value: T | undefined;
  let error: unknown;
  promise.then(
    (v) => {
      state = "resolved";
      value = v;
    },
    (e: unknown) => {
      state = "rejected";
      error = e;
    },
  );
  return { state: () => state, value: () => value, error: () => error };
}
