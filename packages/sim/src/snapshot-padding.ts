// Bigger snapshots for the simulator (issue #11). The key-value state of a run is a few keys, a
// snapshot of it a few dozen bytes: one or two chunks on the wire, gone before a crash can cut a
// transfer. So a run may pad every snapshot its nodes take with `snapshotPaddingBytes` bytes of a
// fixed pattern after the key-value bytes: transfers then take many chunks, and the padding is
// checked on every restore, so a damaged byte anywhere in a snapshot is seen (in the key-value
// part the checkpoint comparison sees it, in the padding this check does).

/** The pattern byte at `offset` of the padding. */
function patternAt(offset: number): number {
  return (offset * 131 + 17) & 0xff;
}

/** `kv` followed by `paddingBytes` of the pattern (`kv` itself when there is none). */
export function padSnapshot(kv: Uint8Array, paddingBytes: number): Uint8Array {
  if (paddingBytes === 0) return kv;
  const out = new Uint8Array(kv.length + paddingBytes);
  out.set(kv);
  for (let i = 0; i < paddingBytes; i++) out[kv.length + i] = patternAt(i);
  return out;
}

/** The key-value bytes of a padded snapshot, and whether its padding is what was written. */
export function unpadSnapshot(
  data: Uint8Array,
  paddingBytes: number,
): { readonly kv: Uint8Array; readonly intact: boolean } {
  if (paddingBytes === 0) return { kv: data, intact: true };
  const kvBytes = data.length - paddingBytes;
  if (kvBytes < 0) return { kv: new Uint8Array(0), intact: false };
  for (let i = 0; i < paddingBytes; i++) {
    if (data[kvBytes + i] !== patternAt(i)) return { kv: data.subarray(0, kvBytes), intact: false };
  }
  return { kv: data.subarray(0, kvBytes), intact: true };
}
