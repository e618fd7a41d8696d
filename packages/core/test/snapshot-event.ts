import { crc32 } from "../src/crc32.js";
import type { Event, Index } from "../src/index.js";

/** The `snapshot` event of an application whose snapshot at `index` is `data` (already stored). */
export function snapshotEvent(
  index: number,
  data: Uint8Array,
): Extract<Event, { type: "snapshot" }> {
  return { type: "snapshot", index: index as Index, size: data.byteLength, checksum: crc32(data) };
}
