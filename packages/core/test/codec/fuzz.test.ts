// Fuzzing the decoder: random bytes, and valid encodings with bit flips, truncations, splices,
// insertions and deletions. Every input must either be rejected with a DecodeError, or decode to a
// value that re-encodes to exactly the input bytes (the format has one encoding per value). Any
// other exception fails. FLOTILLA_FUZZ_RUNS sets the total number of inputs (default 20,000;
// `pnpm fuzz` runs 1,000,000); FLOTILLA_SEED the seed.

import fc from "fast-check";
import { afterAll, describe, it } from "vitest";
import {
  DecodeError,
  decodeEntry,
  decodeMessage,
  type Entry,
  encodeEntry,
  encodeMessage,
  type Message,
} from "../../src/index.js";
import { entryArb, messageArb } from "../arbitraries.js";
import { codecSeed } from "./seed.js";

const totalRuns = Number(process.env.FLOTILLA_FUZZ_RUNS ?? 20_000);
// Shares of the total; mutated valid encodings reach deepest, so they get the most.
const shares = { randomBytes: 0.2, headedBytes: 0.15, mutatedMessages: 0.5, mutatedEntries: 0.15 };
const runsFor = (share: number) => Math.max(1, Math.round(totalRuns * share));
// Generous: the budget is about 2 µs per input; the bound only stops a pathological slowdown.
const timeoutMs = Math.max(60_000, totalRuns * 0.5);

let inputs = 0;
let decodedCount = 0;
let elapsedMs = 0;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The fuzz oracle: rejected with DecodeError, or decoded and re-encoded to the very same bytes. */
function checkInput<T>(
  bytes: Uint8Array,
  decode: (bytes: Uint8Array) => T,
  encode: (value: T) => Uint8Array,
): void {
  inputs++;
  let value: T;
  try {
    value = decode(bytes);
  } catch (error) {
    if (error instanceof DecodeError) return;
    throw new Error(`non-DecodeError on input ${hex(bytes)}: ${String(error)}`, { cause: error });
  }
  decodedCount++;
  const again = encode(value);
  if (!sameBytes(again, bytes)) {
    throw new Error(`input ${hex(bytes)} decoded but re-encoded as ${hex(again)}`);
  }
}

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "truncate"; at: number }
  | { kind: "insert"; at: number; byte: number }
  | { kind: "delete"; at: number }
  | { kind: "overwrite"; at: number; byte: number }
  | { kind: "splice"; at: number; other: Uint8Array; from: number };

const position = fc.nat({ max: 1 << 16 });
const byte = fc.integer({ min: 0, max: 255 });
const mutationArb = (donor: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Mutation> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant("flip"), at: position, bit: fc.nat(7) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate"), at: position }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("insert"), at: position, byte }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete"), at: position }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("overwrite"), at: position, byte }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant("splice"),
        at: position,
        other: donor,
        from: position,
      }),
    },
  ) as fc.Arbitrary<Mutation>;

function mutate(input: Uint8Array, mutation: Mutation): Uint8Array {
  const at = input.length === 0 ? 0 : mutation.at % (input.length + 1);
  const inside = Math.min(at, input.length - 1);
  switch (mutation.kind) {
    case "flip": {
      if (input.length === 0) return input;
      const out = input.slice();
      out[inside] = out[inside]! ^ (1 << mutation.bit);
      return out;
    }
    case "truncate":
      return input.slice(0, at);
    case "insert":
      return concat(input.subarray(0, at), Uint8Array.of(mutation.byte), input.subarray(at));
    case "delete":
      return concat(input.subarray(0, inside), input.subarray(inside + 1));
    case "overwrite": {
      if (input.length === 0) return input;
      const out = input.slice();
      out[inside] = mutation.byte;
      return out;
    }
    case "splice": {
      const from = mutation.other.length === 0 ? 0 : mutation.from % (mutation.other.length + 1);
      return concat(input.subarray(0, at), mutation.other.subarray(from));
    }
    default:
      return mutation satisfies never;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const encodedMessageArb = messageArb.map(encodeMessage);
const encodedEntryArb = entryArb.map(encodeEntry);
const mutatedArb = (valid: fc.Arbitrary<Uint8Array>) =>
  fc
    .tuple(valid, fc.array(mutationArb(valid), { minLength: 1, maxLength: 4 }))
    .map(([bytes, mutations]) => mutations.reduce(mutate, bytes));

function fuzz(name: string, arbitrary: fc.Arbitrary<Uint8Array>, share: number, entries = false) {
  it(
    `${name}: rejected with DecodeError or re-encoded identically`,
    () => {
      const started = performance.now();
      fc.assert(
        fc.property(arbitrary, (bytes) =>
          entries
            ? checkInput<Entry>(bytes, decodeEntry, encodeEntry)
            : checkInput<Message>(bytes, decodeMessage, encodeMessage),
        ),
        { seed: codecSeed, numRuns: runsFor(share) },
      );
      elapsedMs += performance.now() - started;
    },
    timeoutMs,
  );
}

describe(`codec fuzz (seed ${codecSeed}, ${totalRuns} inputs)`, () => {
  fuzz("random bytes", fc.uint8Array({ maxLength: 96 }), shares.randomBytes);
  fuzz(
    "random bytes after a valid header",
    fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 96 }))
      .map(([tag, body]) => concat(Uint8Array.of(0x46, 0x4c, 1, tag), body)),
    shares.headedBytes,
  );
  fuzz("mutated message encodings", mutatedArb(encodedMessageArb), shares.mutatedMessages);
  fuzz("mutated entry records", mutatedArb(encodedEntryArb), shares.mutatedEntries, true);

  afterAll(() => {
    // Information for the fuzz report, not an assertion: tests never judge time.
    const perSecond = Math.round(inputs / (elapsedMs / 1000));
    console.log(
      `codec fuzz: ${inputs} inputs (${decodedCount} decoded, ${inputs - decodedCount} rejected) ` +
        `in ${(elapsedMs / 1000).toFixed(1)} s, ${perSecond} inputs/s, seed ${codecSeed}`,
    );
  });
});
