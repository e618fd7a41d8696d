// node:zlib's crc32 for the replay worker (FileStorage checksums its records and snapshots with
// it): core's CRC-32 (IEEE 802.3, reflected, sliced by eight, tested against zlib's there), the
// project's one implementation, continuing from `value` as zlib's `crc32(data, value)` does
// (snapshot files are checksummed slice by slice). A Node test compares this shim with zlib's,
// whole and in slices.
import { crc32 as coreCrc32 } from "@flotilla/core/testing";

export function crc32(data: Uint8Array | string, value = 0): number {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  // Node's gives 0 for no bytes whatever `value` is (zlib's answer to a null buffer): the same
  // here, so that a run in the page stays the CLI's run.
  if (bytes.length === 0) return 0;
  return coreCrc32(bytes, value);
}

export default { crc32 };
