// CRC-32 (ISO-HDLC: polynomial 0xEDB88320 reflected, the one of zlib, PNG and Ethernet), computed
// incrementally so a snapshot's checksum is built slice by slice as its bytes pass. Core verifies
// every received snapshot with it before installing (bad remote input must be dropped, never
// installed), and it may import nothing, so a table-driven CRC lives here. It agrees with
// node:zlib's crc32, which storage-file uses (tested there).
//
// Slicing-by-8 (Intel's, as in zlib and the Linux kernel): eight tables, eight bytes per step,
// so a follower's check of a snapshot of hundreds of megabytes costs a fraction of the bytewise
// loop's time (which was a tenth of a follower's CPU during a catch-up, issue 11).

/** Table k (at k × 256) maps a byte to its CRC contribution k bytes further on. */
const tables = makeTables();

function makeTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const previous = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (previous >>> 8) ^ t[previous & 0xff]!;
    }
  }
  return t;
}

/**
 * The CRC-32 of `data` continuing from `previous` (the CRC-32 of the bytes before it; 0 for
 * none), so `crc32(b, crc32(a))` is the CRC-32 of `a` followed by `b`. An unsigned 32-bit integer.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  const t = tables;
  let c = ~previous;
  let i = 0;
  const whole = data.length - (data.length % 8);
  for (; i < whole; i += 8) {
    const low = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[7 * 256 + (low & 0xff)]! ^
      t[6 * 256 + ((low >>> 8) & 0xff)]! ^
      t[5 * 256 + ((low >>> 16) & 0xff)]! ^
      t[4 * 256 + (low >>> 24)]! ^
      t[3 * 256 + data[i + 4]!]! ^
      t[2 * 256 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
