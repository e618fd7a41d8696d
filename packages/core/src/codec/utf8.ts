// UTF-8 for node ids. Core compiles against plain ES2022 (no DOM, no Node types), so the two
// WHATWG classes it uses are declared here, locally; every runtime Flotilla targets has them.

declare const TextEncoder: new () => { encode(input: string): Uint8Array };
declare const TextDecoder: new (
  label: string,
  options: { fatal: boolean; ignoreBOM: boolean },
) => { decode(input: Uint8Array): string };

const encoder = new TextEncoder();
// fatal: invalid UTF-8 throws instead of becoming U+FFFD, so it can be rejected. ignoreBOM: keep a
// leading U+FEFF as a character; stripping it would decode two byte strings to one id and break
// canonical re-encoding.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// A lone surrogate has no UTF-8 form: TextEncoder would silently turn it into U+FFFD.
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// A cluster has a handful of node ids and every message names two of them, so their UTF-8 forms
// are cached. The cache is cleared when it grows past its bound, so arbitrary ids cannot grow it.
const cacheEntriesMax = 1024;
const cache = new Map<string, Uint8Array>();

/** The UTF-8 bytes of a well-formed string, or undefined if it holds a lone surrogate. */
export function utf8Encode(value: string): Uint8Array | undefined {
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  if (loneSurrogate.test(value)) return undefined;
  const bytes = encoder.encode(value);
  if (cache.size >= cacheEntriesMax) cache.clear();
  cache.set(value, bytes);
  return bytes;
}

/** Decodes strict UTF-8; undefined if the bytes are not valid UTF-8 (overlong, surrogate, cut). */
export function utf8Decode(bytes: Uint8Array, start: number, end: number): string | undefined {
  // ASCII fast path: node ids are usually short ASCII names.
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let text = "";
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  try {
    return decoder.decode(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
}
