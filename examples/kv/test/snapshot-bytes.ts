import type { KvStore } from "../src/kv-store.js";

/** The whole snapshot of `store` as one array (the stream's slices joined). */
export function snapshotBytes(store: KvStore): Promise<Uint8Array> {
  return readStream(store.snapshot());
}

/** `chunks` as a snapshot stream, one slice per chunk. */
export async function* streamOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

/** All the bytes of a snapshot stream in one array. */
export async function readStream(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const slices: Uint8Array[] = [];
  for await (const slice of stream) slices.push(slice);
  return Uint8Array.from(Buffer.concat(slices));
}
