import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createReassembler, type FragmentId } from "../src/reassembly.js";
import { createCounters } from "../src/stats.js";
import { addressOf, keyring, nonZero, receiver, secretA, sender } from "./layers.js";

// Fixed seeds: a failure message from fast-check names the seed and path that reproduce it.
const seed = 0x5eed_0005;

describe("fragmentation and reassembly over a lossy, duplicating, reordering network", () => {
  const ring = keyring([{ id: 1, secret: secretA }]);
  // 1 in 10 datagrams lost, 2 in 10 duplicated.
  const copies = fc.integer({ min: 0, max: 9 }).map((n) => (n === 0 ? 0 : n < 8 ? 1 : 2));

  it("delivers exactly the messages whose fragments all arrived, each intact", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 2, max: 4000 }), { minLength: 1, maxLength: 8 }),
        fc.array(copies, { minLength: 256, maxLength: 256 }),
        fc.array(fc.integer(), { minLength: 600, maxLength: 600 }),
        (lengths, copiesOf, orderKeys) => {
          const outbound = sender("a", ring, { maxDatagramBytes: 200 });
          const payloads = lengths.map((length, m) =>
            Uint8Array.from({ length }, (_, i) => (i < 2 ? m : (m * 31 + i) & 0xff)),
          );
          // Every copy of every datagram, tagged with its message, then shuffled.
          const deliveries: { message: number; datagram: Uint8Array; key: number }[] = [];
          const arrived = payloads.map(() => true);
          const fewestCopies = payloads.map(() => Number.POSITIVE_INFINITY);
          let d = 0;
          payloads.forEach((payload, message) => {
            for (const datagram of outbound.frame(payload)!) {
              const n = copiesOf[d % copiesOf.length]!;
              d += 1;
              if (n === 0) arrived[message] = false;
              fewestCopies[message] = Math.min(fewestCopies[message]!, n);
              for (let c = 0; c < n; c += 1) {
                const key = orderKeys[deliveries.length % orderKeys.length]!;
                deliveries.push({ message, datagram, key });
              }
            }
          });
          deliveries.sort((x, y) => x.key - y.key);

          const { inbound, counters } = receiver(ring);
          const delivered = payloads.map(() => 0);
          for (const { datagram } of deliveries) {
            const result = inbound.receive(datagram, addressOf.a!, 0);
            if (result.kind === "dropped") throw new Error(`dropped: ${result.reason}`);
            if (result.kind !== "complete") continue;
            const m = result.payload[0]!;
            expect(result.payload).toEqual(payloads[m]);
            delivered[m]! += 1;
          }
          payloads.forEach((_, m) => {
            expect(delivered[m]! > 0, `message ${m} delivered`).toBe(arrived[m]);
            expect(delivered[m]!).toBeLessThanOrEqual(fewestCopies[m]!);
          });
          expect(nonZero(counters.dropped)).toEqual({});
        },
      ),
      { seed, numRuns: 200 },
    );
  });
});

describe("memory held by incomplete messages", () => {
  const limits = { bytesMax: 1500, messagesMax: 3, timeoutMs: 1000 };
  /** Fragment `index` of message `slot` has a fixed size and content, so completions are checkable. */
  const fragment = (slot: number, index: number): Uint8Array =>
    new Uint8Array(1 + ((slot * 7 + index * 13) % 400)).fill(slot * 16 + index);
  const id = (slot: number, fragmentIndex: number, fragmentCount: number): FragmentId => ({
    sender: "a",
    messageIdHigh: 1,
    messageIdLow: slot,
    fragmentIndex,
    fragmentCount,
  });

  it("stays within the byte and count budgets whatever arrives", () => {
    const op = fc.record({
      slot: fc.integer({ min: 0, max: 7 }),
      index: fc.integer({ min: 0, max: 5 }),
      advanceMs: fc.integer({ min: 0, max: 300 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const counters = createCounters();
        const reassembler = createReassembler(limits, counters);
        let nowMs = 0;
        for (const { slot, index, advanceMs } of ops) {
          nowMs += advanceMs;
          const count = 2 + (slot % 5); // fixed per slot
          const complete = reassembler.add(
            id(slot, index % count, count),
            fragment(slot, index % count),
            nowMs,
          );
          expect(reassembler.pendingBytes).toBeLessThanOrEqual(limits.bytesMax);
          expect(reassembler.pendingMessages).toBeLessThanOrEqual(limits.messagesMax);
          if (complete !== null) {
            const parts = Array.from({ length: count }, (_, i) => [...fragment(slot, i)]);
            expect([...complete]).toEqual(parts.flat());
          }
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("evicts the oldest incomplete message when the count budget is full, and counts it", () => {
    const counters = createCounters();
    const reassembler = createReassembler(limits, counters);
    for (const slot of [0, 1, 2, 3]) reassembler.add(id(slot, 0, 2), fragment(slot, 0), slot);
    expect(counters.dropped.evicted).toBe(1);
    expect(reassembler.pendingMessages).toBe(3);
    // Message 0 was evicted: its second fragment now starts over instead of completing it.
    expect(reassembler.add(id(0, 1, 2), fragment(0, 1), 10)).toBeNull();
    expect(reassembler.add(id(3, 1, 2), fragment(3, 1), 10)).not.toBeNull();
  });

  it("evicts to stay within the byte budget, and refuses a message larger than all of it", () => {
    const counters = createCounters();
    const reassembler = createReassembler({ ...limits, messagesMax: 100 }, counters);
    const big = new Uint8Array(700);
    reassembler.add(id(0, 0, 3), big, 0);
    reassembler.add(id(1, 0, 3), big, 1);
    reassembler.add(id(2, 0, 3), big, 2);
    expect(counters.dropped.evicted).toBe(1);
    expect(reassembler.pendingBytes).toBe(1400);
    reassembler.add(id(2, 1, 3), big, 3);
    expect(reassembler.add(id(2, 2, 3), big, 4)).toBeNull();
    expect(counters.dropped.tooLarge).toBe(1);
    expect(reassembler.pendingMessages).toBe(0);
    expect(reassembler.pendingBytes).toBe(0);
  });

  it("discards an incomplete message after the timeout, on sweep or on the next fragment", () => {
    const counters = createCounters();
    const reassembler = createReassembler(limits, counters);
    reassembler.add(id(0, 0, 2), fragment(0, 0), 0);
    reassembler.add(id(1, 0, 2), fragment(1, 0), 500);
    reassembler.sweep(999);
    expect(reassembler.pendingMessages).toBe(2);
    reassembler.sweep(1000);
    expect(reassembler.pendingMessages).toBe(1);
    expect(counters.dropped.timedOut).toBe(1);
    // The late second fragment of message 0 does not complete anything.
    expect(reassembler.add(id(0, 1, 2), fragment(0, 1), 1000)).toBeNull();
    // Message 1 times out lazily when the next fragment arrives, with no sweep.
    expect(reassembler.add(id(1, 1, 2), fragment(1, 1), 1600)).toBeNull();
    expect(counters.dropped.timedOut).toBe(2);
  });

  it("ignores a duplicate fragment and drops one whose count disagrees", () => {
    const counters = createCounters();
    const reassembler = createReassembler(limits, counters);
    reassembler.add(id(0, 0, 2), fragment(0, 0), 0);
    expect(reassembler.add(id(0, 0, 2), fragment(0, 0), 0)).toBeNull();
    expect(reassembler.add(id(0, 1, 3), fragment(0, 1), 0)).toBeNull();
    expect(counters.duplicateFragments).toBe(1);
    expect(counters.dropped.malformed).toBe(1);
    expect(reassembler.add(id(0, 1, 2), fragment(0, 1), 0)).not.toBeNull();
  });
});
