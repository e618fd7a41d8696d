// Byte buffers for the hot paths: datagrams out, messages reassembled in.

/**
 * A plain Uint8Array of `length` bytes over memory of its own that is NOT zero-filled: for a
 * buffer the caller overwrites whole at once. It is not a Buffer (whose views cost more to take)
 * and not a slice of Node's shared pool (a message's bytes may be kept for long, see admit.ts).
 */
export function uninitializedBytes(length: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
