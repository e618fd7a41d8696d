import { describe, expect, it } from "vitest";
import { ReadRegistry } from "../../src/driver/reads.js";
import { type InboxMark, shippedRules } from "../../src/driver/runtime-rules.js";
import type { Index } from "../../src/index.js";
import { NotLeaderError, nodeId, TimeoutError } from "../../src/index.js";
import { watch } from "./fixtures.js";
import { settle, VirtualClock } from "./virtual-clock.js";

const n2 = nodeId("n2");

/** The runtime's inbox mark: `generation` turns taken, `ticksQueued` ticks queued. */
function at(generation: number, ticksQueued = 0): InboxMark {
  return { generation, ticksQueued };
}

// Reads share a core read only while its event waits in the inbox (reads.ts): the core records
// the read index and the seq its round must follow when it steps the event, after every read that
// shares it arrived. A read arriving once the event was stepped needs a core read of its own.
describe("ReadRegistry batching", () => {
  it("reads queued in one inbox generation share one core read, and settle together", async () => {
    const reads = new ReadRegistry(new VirtualClock());
    const first = reads.create(undefined, "readIndex", at(7));
    const second = reads.create(undefined, "readIndex", at(7));
    const lease = reads.create(undefined, "lease", at(7));
    expect(first.event).toEqual({ type: "read", id: "r1", consistency: "readIndex" });
    expect(second.event).toBeNull();
    // Another consistency is another core read: a lease read must not wait for a round.
    expect(lease.event).toEqual({ type: "read", id: "r2", consistency: "lease" });
    const watched = [first, second].map((read) => watch(read.promise));
    reads.ready("r1", 3 as Index, 2 as Index);
    await settle();
    expect(watched.map((w) => w.state())).toEqual(["pending", "pending"]);
    reads.applied(3 as Index);
    await settle();
    expect(watched.map((w) => w.state())).toEqual(["resolved", "resolved"]);
    expect(reads.size).toBe(1);
  });

  it("a read arriving after its core read was stepped gets a core read of its own", async () => {
    const reads = new ReadRegistry(new VirtualClock());
    const early = reads.create(undefined, "readIndex", at(1));
    // A turn took the inbox (generation 2): the core recorded r1's index and round already.
    const late = reads.create(undefined, "readIndex", at(2));
    expect(early.event?.id).toBe("r1");
    expect(late.event?.id).toBe("r2");
    const [earlyWatch, lateWatch] = [watch(early.promise), watch(late.promise)];
    reads.ready("r1", 1 as Index, 1 as Index);
    await settle();
    expect(earlyWatch.state()).toBe("resolved");
    expect(lateWatch.state()).toBe("pending");
    // A rejection reaches every read of the core read, and only those.
    const joined = reads.create(undefined, "readIndex", at(2));
    expect(joined.event).toBeNull();
    const joinedWatch = watch(joined.promise);
    reads.reject("r2", new NotLeaderError(n2));
    await settle();
    expect([lateWatch.error(), joinedWatch.error()]).toEqual([
      new NotLeaderError(n2),
      new NotLeaderError(n2),
    ]);
  });

  it("a lease read never joins one queued before a tick still in the inbox", () => {
    const reads = new ReadRegistry(new VirtualClock(), shippedRules);
    expect(reads.create(undefined, "lease", at(4, 10)).event?.id).toBe("r1");
    // A tick was queued since (a timer, or the read's own catch-up tick): the lease is checked
    // before it when r1 is stepped, so the new read needs a core read stepped after it.
    expect(reads.create(undefined, "lease", at(4, 11)).event?.id).toBe("r2");
    expect(reads.create(undefined, "lease", at(4, 11)).event).toBeNull();
    // A ReadIndex read's round leaves after its core read is stepped: ticks do not matter.
    expect(reads.create(undefined, "readIndex", at(4, 11)).event?.id).toBe("r3");
    expect(reads.create(undefined, "readIndex", at(4, 12)).event).toBeNull();
  });

  it("each read keeps its own timeout; the rest of its batch is still served", async () => {
    const clock = new VirtualClock();
    const reads = new ReadRegistry(clock);
    const short = watch(reads.create(5, "readIndex", at(1)).promise);
    const long = watch(reads.create(undefined, "readIndex", at(1)).promise);
    await clock.advance(5);
    expect(short.error()).toBeInstanceOf(TimeoutError);
    reads.ready("r1", 0 as Index, 0 as Index);
    await settle();
    expect(long.state()).toBe("resolved");
    expect(reads.size).toBe(0);
  });
});
