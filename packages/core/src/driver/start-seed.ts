// A seed of its own for each start of a node, when the caller gives none. Two nodes restarted
// together with one seed would draw the same election timeouts and split votes in lockstep; and a
// node restarted with its last life's seed would number its forwarded reads alike, so an answer
// to its last life still in flight could serve a new read (read-index.ts, rule 7).
// `crypto.getRandomValues` is there in every runtime core supports (browsers, workers, Node 20+,
// Deno, Bun); only the driver draws it: the reducer stays deterministic given its config.

/** The Web Crypto global, typed here: core compiles without the DOM or Node type libraries. */
type WithWebCrypto = { readonly crypto: { getRandomValues(array: Uint32Array): Uint32Array } };

/** A random 32-bit seed for `Config.seed`. */
export function startSeed(): number {
  const word = new Uint32Array(1);
  (globalThis as unknown as WithWebCrypto).crypto.getRandomValues(word);
  return word[0] ?? 0;
}
