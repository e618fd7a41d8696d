// KvStore's streamed snapshots: a capture is a consistent point. Whatever writes, further
// captures and restores interleave with the reading of a capture's slices, its bytes are exactly
// the snapshot of the state at `capture()` (the records it reads are moved by compaction meanwhile
// in small slabs); and restoring from chunks cut anywhere rebuilds a state, digest included,
// equal to the one captured.
import { index } from "@flotilla/core";
import {
  decodeKvSnapshot,
  encodeKvCommand,
  encodeKvSnapshot,
  type KvInput,
} from "@flotilla/kv-model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KvStore } from "../src/kv-store.js";
import { snapshotBytes } from "./snapshot-bytes.js";

const SEED = 20_261_201;
const key = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "ü", "k-long-".repeat(4));
const value = fc.string({ maxLength: 24 });
const write: fc.Arbitrary<KvInput> = fc.oneof(
  fc.record({ op: fc.constant("put" as const), key, value }),
  fc.record({
    op: fc.constant("cas" as const),
    key,
    expected: fc.option(value, { nil: null }),
    value,
  }),
);
const smallState = fc.dictionary(key, value).map((o) => new Map(Object.entries(o)));
type Step =
  | { readonly kind: "write"; readonly input: KvInput }
  | { readonly kind: "capture"; readonly sliceBytes: number }
  | { readonly kind: "pull"; readonly which: number }
  | { readonly kind: "restore"; readonly state: Map<string, string> };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: write.map((input) => ({ kind: "write" as const, input })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 64 }).map((sliceBytes) => ({
      kind: "capture" as const,
      sliceBytes,
    })),
  },
  { weight: 5, arbitrary: fc.nat().map((which) => ({ kind: "pull" as const, which })) },
  { weight: 1, arbitrary: smallState.map((state) => ({ kind: "restore" as const, state })) },
);

/** What the store must hold: the same commands on a plain Map. */
function applyModel(model: Map<string, string>, input: KvInput): void {
  if (input.op === "put") model.set(input.key, input.value);
  else if (input.op === "cas" && (model.get(input.key) ?? null) === input.expected) {
    model.set(input.key, input.value);
  }
}

type Reading = {
  readonly expected: ReadonlyMap<string, string>;
  readonly slices: AsyncIterator<Uint8Array>;
  readonly bytes: Uint8Array[];
  done: boolean;
};

async function pull(reading: Reading): Promise<void> {
  const next = await reading.slices.next();
  if (next.done === true) reading.done = true;
  else reading.bytes.push(next.value);
}

function sorted(state: ReadonlyMap<string, string>): [string, string][] {
  return [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe("KvStore streamed snapshots", () => {
  it(`a capture yields exactly the state at capture(), whatever interleaves (fast-check seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(write, { maxLength: 20 }),
        fc.array(step, { maxLength: 150 }),
        // Slabs of a few records, so that overwrites compact them (moving records a capture
        // still reads from the slab it froze) and larger records take slabs of their own.
        fc.integer({ min: 16, max: 256 }),
        async (initial, steps, slabBytes) => {
          const store = new KvStore({ slabBytes });
          const model = new Map<string, string>();
          let at = 0;
          const run = (input: KvInput) => {
            store.apply(encodeKvCommand(input), index(++at));
            applyModel(model, input);
          };
          initial.forEach(run);
          const readings: Reading[] = [];
          for (const s of steps) {
            if (s.kind === "write") run(s.input);
            else if (s.kind === "capture") {
              const slices = store.capture().chunks(s.sliceBytes)[Symbol.asyncIterator]();
              readings.push({ expected: new Map(model), slices, bytes: [], done: false });
            } else if (s.kind === "pull") {
              const open = readings.filter((r) => !r.done);
              const reading = open[s.which % Math.max(1, open.length)];
              if (reading !== undefined) await pull(reading);
            } else {
              await store.restoreFrom([encodeKvSnapshot(s.state)]);
              model.clear();
              for (const [k, v] of s.state) model.set(k, v);
            }
          }
          for (const reading of readings) {
            while (!reading.done) await pull(reading);
            expect(sorted(decodeKvSnapshot(Uint8Array.from(Buffer.concat(reading.bytes))))).toEqual(
              sorted(reading.expected),
            );
          }
          // And the live store went on to the state of every write.
          expect(await snapshotBytes(store)).toEqual(encodeKvSnapshot(model));
          expect(store.size).toBe(model.size);
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });

  it(`restores from chunks cut anywhere: the same state, size and digest (fast-check seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(smallState, fc.array(fc.nat(), { maxLength: 12 }), async (state, cuts) => {
        const source = new KvStore();
        let at = 0;
        for (const [k, v] of state) {
          source.apply(encodeKvCommand({ op: "put", key: k, value: v }), index(++at));
        }
        const bytes = await snapshotBytes(source);
        const points = [...new Set(cuts.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [...points, bytes.length].map((end, i) =>
          bytes.subarray(i === 0 ? 0 : (points[i - 1] as number), end),
        );
        const target = new KvStore();
        target.apply(encodeKvCommand({ op: "put", key: "gone", value: "x" }), index(1));
        await target.restoreFrom(
          (async function* () {
            yield* chunks;
          })(),
        );
        expect(target.size).toBe(source.size);
        expect(target.bytes).toBe(source.bytes);
        expect(target.digest()).toBe(source.digest());
        expect(await snapshotBytes(target)).toEqual(bytes);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });

  it("a capture reads its records from the slabs it froze, even once compaction dropped them", async () => {
    const store = new KvStore({ slabBytes: 64 });
    const put = (key: string, value: string) => encodeKvCommand({ op: "put", key, value });
    let at = 0;
    const model = new Map<string, string>();
    for (let i = 0; i < 20; i += 1) {
      store.apply(put(`k${i % 5}`, `v${i}`), index(++at));
      model.set(`k${i % 5}`, `v${i}`);
    }
    const capture = store.capture();
    const slabsAtCapture = store.slabBytes;
    for (let i = 0; i < 50; i += 1) store.apply(put(`k${i % 5}`, `w${i}`), index(++at));
    // Every record the capture holds was overwritten, and the slabs were compacted meanwhile.
    expect(store.slabBytes).toBeLessThan(slabsAtCapture);
    const bytes: Uint8Array[] = [];
    for await (const slice of capture.chunks(10)) bytes.push(slice);
    expect(sorted(decodeKvSnapshot(Uint8Array.from(Buffer.concat(bytes))))).toEqual(sorted(model));
  });

  it("gives the event loop a turn between slices", async () => {
    const store = new KvStore();
    for (let i = 0; i < 40; i += 1) {
      store.apply(
        encodeKvCommand({ op: "put", key: `k${i}`, value: "v".repeat(100) }),
        index(i + 1),
      );
    }
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let slices = 0;
    for await (const _ of store.capture().chunks(100)) slices += 1;
    ticking = false;
    expect(slices).toBe(40);
    expect(turns).toBeGreaterThanOrEqual(slices - 1);
  });
});
