// The CRC-32 of two byte strings joined, from their own CRC-32s and the second one's length,
// without reading either again. A snapshot file's bytes are checked two ways (snapshot-checks.ts):
// per 64 KiB block (each chunk read to send) and whole (its metadata's checksum); with this, one
// pass over the bytes gives both, where a second crc32 over every byte used to give the whole.
//
// The arithmetic (as zlib's crc32_combine): a CRC-32 is the message as a polynomial over GF(2),
// multiplied by x^32 and reduced modulo the generator P. Appending B (n bytes) to A shifts A's
// polynomial by x^(8n), and the pre- and post-inversion of the standard CRC-32 cancel out, so
// crc(A·B) = crc(A) · x^(8n) mod P  XOR  crc(B). Polynomials are in the reflected bit order of
// the standard CRC-32 (the highest bit is x^0), P = 0xedb88320.

const generator = 0xedb88320;

/** a · b mod P (reflected: bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  let factor = b >>> 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if ((a & bit) !== 0) product ^= factor;
    // factor · x: a shift toward the high powers, reduced when x^31 falls off
    factor = (factor & 1) !== 0 ? (factor >>> 1) ^ generator : factor >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) mod P for k = 0..63, enough for any byte count (x^1 is bit 30, reflected). */
const powersOfTwo: readonly number[] = (() => {
  const table: number[] = [];
  let power = 0x40000000;
  for (let k = 0; k < 64; k += 1) {
    table.push(power);
    power = multiplyModP(power, power);
  }
  return table;
})();

/** x^(8 · bytes) mod P: the shift that appending `bytes` bytes applies to what came before. */
export function crc32ShiftFor(bytes: number): number {
  // x^(8n) = product of x^(2^k) over the set bits of 8n.
  let shift = 0x80000000; // x^0
  let bits = bytes * 8;
  for (let k = 0; bits > 0; k += 1) {
    if (bits % 2 === 1) shift = multiplyModP(shift, powersOfTwo[k] as number);
    bits = Math.floor(bits / 2);
  }
  return shift;
}

/**
 * The CRC-32 of A followed by B, from `crcA`, `crcB` and `shift` (`crc32ShiftFor(B's length)`;
 * computed once for the blocks of a fixed size).
 */
export function crc32Combine(crcA: number, crcB: number, shift: number): number {
  return (multiplyModP(shift, crcA) ^ crcB) >>> 0;
}
