import { describe, expect, it } from "vitest";
import { ReadRegistry } from "../../src/driver/reads.js";
import { type InboxMark, shippedRules } from "../../src/driver/runtime-rules.js";
import type { Event, Index } from "../../src/index.js";
import { NotLeaderError, nodeId, TimeoutError } from "../../src/index.js";
import { watch } from "./fixtures.js";
import { settle, VirtualClock } from "./virtual-clock.js";

const n2 = nodeId("n2");

/** The runtime's inbox mark: `generation` turns taken, `ticksQueued` ticks queued. */
function at(generation: number, ticksQueued = 0): InboxMark {
  return { generation, ticksQueued };
}

/** A registry whose held reads are recorded, as the node's runtime would queue them. */
function registry(clock = new VirtualClock(), rules = shippedRules) {
  const queued: Event[] = [];
  const sink = { inboxMark: () => at(generation), enqueue: (e: Event) => queued.push(e) };
  let generation = 0;
  const reads = new ReadRegistry(clock, sink, rules);
  return { reads, queued, setGeneration: (g: number) => (generation = g) };
}

// Reads share a core read only while its event waits in the inbox (reads.ts): the core records
// the read index and the seq its round must follow when it steps the event, after every read that
// shares it arrived. A read arriving once the event was stepped needs a core read of its own.
describe("ReadRegistry batching", () => {
  it("reads queued in one inbox generation share one core read, and settle together", async () => {
    const { reads } = registry();
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

  it("reads arriving while a core read is on the wire are held, then share the next", async () => {
    const { reads, queued, setGeneration } = registry();
    const early = reads.create(undefined, "readIndex", at(1));
    // A turn took the inbox (generation 2): the core recorded r1's index and sent its round. Reads
    // arriving now may not share r1; they wait for its answer, in no core read yet.
    const late = [
      reads.create(undefined, "readIndex", at(2)),
      reads.create(undefined, "readIndex", at(3)),
    ];
    expect(early.event?.id).toBe("r1");
    expect(late.map((read) => read.event)).toEqual([null, null]);
    const earlyWatch = watch(early.promise);
    const lateWatch = late.map((read) => watch(read.promise));
    setGeneration(4);
    reads.ready("r1", 1 as Index, 1 as Index);
    await settle();
    expect(earlyWatch.state()).toBe("resolved");
    expect(lateWatch.map((w) => w.state())).toEqual(["pending", "pending"]);
    // Answered: the held reads go out as one core read, queued in the generation of that moment.
    expect(queued).toEqual([{ type: "read", id: "r2", consistency: "readIndex" }]);
    // It waits in the inbox: a read arriving now shares it; one after the turn is held again.
    const joined = reads.create(undefined, "readIndex", at(4));
    const heldAgain = reads.create(undefined, "readIndex", at(5));
    expect([joined.event, heldAgain.event]).toEqual([null, null]);
    const joinedWatch = watch(joined.promise);
    const heldAgainWatch = watch(heldAgain.promise);
    // A rejection reaches every read of the core read, and only those; the held one goes out.
    setGeneration(6);
    reads.reject("r2", new NotLeaderError(n2));
    await settle();
    expect([...lateWatch.map((w) => w.error()), joinedWatch.error()]).toEqual([
      new NotLeaderError(n2),
      new NotLeaderError(n2),
      new NotLeaderError(n2),
    ]);
    expect(queued.at(-1)).toEqual({ type: "read", id: "r3", consistency: "readIndex" });
    expect(heldAgainWatch.state()).toBe("pending");
  });

  it("held reads join a core read queued after the answer instead of starting one", async () => {
    const { reads, queued, setGeneration } = registry();
    reads.create(undefined, "lease", at(1));
    const held = watch(reads.create(undefined, "lease", at(2)).promise);
    setGeneration(3);
    reads.ready("r1", 0 as Index, 0 as Index);
    // Before the release runs, a read queues a core read of its own.
    const fresh = reads.create(undefined, "lease", at(3));
    expect(fresh.event?.id).toBe("r2");
    await settle();
    expect(queued).toEqual([]);
    reads.ready("r2", 0 as Index, 0 as Index);
    await settle();
    expect(held.state()).toBe("resolved");
  });

  it("stopping rejects the held reads too, and nothing is queued for them", async () => {
    const { reads, queued } = registry();
    const onWire = watch(reads.create(undefined, "readIndex", at(1)).promise);
    const held = watch(reads.create(undefined, "readIndex", at(2)).promise);
    reads.rejectAll(() => new NotLeaderError(null));
    await settle();
    expect([onWire.error(), held.error()]).toEqual([
      new NotLeaderError(null),
      new NotLeaderError(null),
    ]);
    expect(queued).toEqual([]);
    expect(reads.size).toBe(0);
  });

  it("a lease read never joins one queued before a tick still in the inbox", () => {
    const { reads } = registry();
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
    const { reads } = registry(clock);
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

/** A virtual clock with an I/O phase: `afterIo` callbacks run when the test calls `handleIo`. */
class ClockWithIo extends VirtualClock {
  readonly #afterIo: (() => void)[] = [];

  afterIo(callback: () => void): void {
    this.#afterIo.push(callback);
  }

  /** The host handled the I/O ready now: runs the callbacks queued until then. */
  handleIo(): void {
    for (const callback of this.#afterIo.splice(0)) callback();
  }
}

// Where the host has an I/O phase, the reads held for an answered core read go out once the I/O
// ready after the answer is handled, with every read arriving meanwhile (reads.ts): a busy
// leader's next round carries them all instead of a round starting for the first to arrive.
describe("ReadRegistry: held reads released after the I/O phase", () => {
  it("reads arriving between the answer and the release share the held reads' core read", async () => {
    const clock = new ClockWithIo();
    const { reads, queued, setGeneration } = registry(clock);
    const first = reads.create(undefined, "readIndex", at(1));
    expect(first.event?.id).toBe("r1");
    const held = reads.create(undefined, "readIndex", at(2));
    setGeneration(3);
    reads.ready("r1", 1 as Index, 1 as Index);
    await settle();
    // Nothing goes out yet, and a read arriving now starts no core read of its own.
    const arriving = reads.create(undefined, "readIndex", at(3));
    expect([held.event, arriving.event, queued]).toEqual([null, null, []]);
    const watched = [held, arriving].map((read) => watch(read.promise));
    clock.handleIo();
    expect(queued).toEqual([{ type: "read", id: "r2", consistency: "readIndex" }]);
    reads.ready("r2", 1 as Index, 1 as Index);
    await settle();
    expect(watched.map((w) => w.state())).toEqual(["resolved", "resolved"]);
    expect(reads.size).toBe(0);
  });

  it("an answer with nothing held releases nothing: the next read starts its core read", () => {
    const clock = new ClockWithIo();
    const { reads, queued, setGeneration } = registry(clock);
    reads.create(undefined, "readIndex", at(1));
    setGeneration(2);
    reads.ready("r1", 1 as Index, 1 as Index);
    expect(reads.create(undefined, "readIndex", at(2)).event?.id).toBe("r2");
    clock.handleIo();
    expect(queued).toEqual([]);
  });

  it("stopping before the release rejects the held reads, and the release queues nothing", async () => {
    const clock = new ClockWithIo();
    const { reads, queued, setGeneration } = registry(clock);
    reads.create(undefined, "readIndex", at(1));
    const held = watch(reads.create(undefined, "readIndex", at(2)).promise);
    setGeneration(3);
    reads.ready("r1", 1 as Index, 1 as Index);
    reads.rejectAll(() => new NotLeaderError(null));
    clock.handleIo();
    await settle();
    expect(held.error()).toEqual(new NotLeaderError(null));
    expect(queued).toEqual([]);
  });
});

describe("ReadRegistry: reads waiting for their apply", () => {
  it("are refused with NotLeaderError by rejectWaiting; reads not ready yet stay pending", async () => {
    // A node removed from the configuration never learns the commit again: a read its old leader
    // answered would wait for good (the notifier calls this when the term changes).
    const { reads } = registry();
    const answered = reads.create(undefined, "readIndex", at(1));
    expect(reads.waiting).toBe(false);
    reads.ready("r1", 40 as Index, 34 as Index);
    expect(reads.waiting).toBe(true);
    const later = reads.create(undefined, "readIndex", at(2));
    const watched = [answered, later].map((read) => watch(read.promise));
    reads.rejectWaiting(new NotLeaderError(n2));
    await settle();
    expect(watched.map((w) => w.state())).toEqual(["rejected", "pending"]);
    expect(reads.waiting).toBe(false);
  });
});
