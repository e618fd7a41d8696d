// CRC-32 (ISO-HDLC: polynomial 0xEDB88320 reflected, the one of zlib, PNG and Ethernet), computed
// incrementally so a snapshot's checksum is built slice by slice as its bytes pass. Core verifies
// every received snapshot with it before installing (bad remote input must be dropped, never
// installed), and it may import nothing, so a table-driven CRC lives here. It agrees with
// node:zlib's crc32, which storage-file uses (tested there).

const table = makeTable();

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/**
 * The CRC-32 of `data` continuing from `previous` (the CRC-32 of the bytes before it; 0 for
 * none), so `crc32(b, crc32(a))` is the CRC-32 of `a` followed by `b`. An unsigned 32-bit integer.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
