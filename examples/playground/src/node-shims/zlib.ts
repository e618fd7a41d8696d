// node:zlib's crc32 for the replay worker (FileStorage checksums its records with it): the same
// CRC-32 (IEEE 802.3, reflected, as zlib's), table-driven, continuing from `value` as zlib's
// `crc32(data, value)` does (snapshot files are checksummed slice by slice). A Node test
// compares it with zlib's, whole and in slices.

const table = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(data: Uint8Array | string, value = 0): number {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  // Node's gives 0 for no bytes whatever `value` is (zlib's answer to a null buffer): the same
  // here, so that a run in the page stays the CLI's run.
  if (bytes.length === 0) return 0;
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export default { crc32 };
