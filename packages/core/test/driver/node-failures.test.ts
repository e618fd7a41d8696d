import { describe, expect, it } from "vitest";
import { createNodeWith } from "../../src/driver/node.js";
import { raftReducer } from "../../src/driver/reducer.js";
import type { Event, FlotillaError } from "../../src/index.js";
import { StateMachineFailedError, StoppedError, StorageFailedError } from "../../src/index.js";
import type { RaftStateInternals } from "../../src/runtime.js";
import { bytes, LogMachine, ObservedStorage, watch } from "./fixtures.js";
import { ProbeTransport } from "./loopback.js";
import { a, single, singleLeader, tickMs } from "./single-node.js";
import { settle, VirtualClock } from "./virtual-clock.js";

describe("createNode: stop and failures", () => {
  it("stop() lets the turn in flight finish its write, then writes what it still owes", async () => {
    const { node, storage, clock } = await singleLeader();
    storage.hold();
    const proposal = watch(node.propose(bytes("x")));
    await clock.advance(0);
    expect(storage.heldWrites).toBe(1);
    const stopped = watch(node.stop());
    await settle();
    expect(stopped.state()).toBe("pending");
    storage.release();
    await settle();
    expect(stopped.state()).toBe("resolved");
    const persisted = await storage.load();
    expect(persisted.entries.map((entry) => entry.kind)).toEqual(["noop", "command"]);
    // The commit that the write made possible was written too, though never applied here.
    expect(persisted.hardState.commit).toBe(2);
    expect(proposal.error()).toBeInstanceOf(StoppedError);
  });

  it("stops with an error event when a storage write fails", async () => {
    const { node, storage, clock } = await singleLeader();
    const errors: FlotillaError[] = [];
    node.events.on("error", (error) => errors.push(error));
    storage.failWith(new Error("disk on fire"));
    const proposal = watch(node.propose(bytes("x")));
    await clock.advance(tickMs);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StorageFailedError);
    expect(errors[0]!.message).toContain("disk on fire");
    expect(node.status().phase).toBe("failed");
    expect(proposal.error()).toBeInstanceOf(StoppedError);
    expect((proposal.error() as StoppedError).cause).toBe(errors[0]);
    await expect(node.propose(bytes("y"))).rejects.toBeInstanceOf(StoppedError);
    await node.stop();
  });

  it("stops with an error event when the state machine throws", async () => {
    const { node, machine, clock } = await singleLeader();
    const errors: FlotillaError[] = [];
    node.events.on("error", (error) => errors.push(error));
    machine.throwOn = "poison";
    const ok = node.propose(bytes("fine"));
    await clock.advance(tickMs);
    await expect(ok).resolves.toBe("2:fine");
    const poison = watch(node.propose(bytes("poison")));
    const after = watch(node.propose(bytes("after")));
    await clock.advance(tickMs);
    expect(errors.map((e) => e.constructor)).toEqual([StateMachineFailedError]);
    expect(poison.error()).toBeInstanceOf(StoppedError);
    expect(after.error()).toBeInstanceOf(StoppedError);
    expect(machine.texts).toEqual(["fine"]);
    expect(node.status()).toMatchObject({ phase: "failed", appliedIndex: 2 });
  });

  it("stops with an error event when the core itself throws", async () => {
    const clock = new VirtualClock();
    const broken = {
      ...raftReducer,
      step: (state: RaftStateInternals, event: Event) => {
        if (event.type === "propose") throw new RangeError("core bug");
        return raftReducer.step(state, event);
      },
    };
    const node = createNodeWith<RaftStateInternals, string>(broken, {
      id: a,
      voters: [a],
      tickMs,
      transport: new ProbeTransport(),
      storage: new ObservedStorage(),
      stateMachine: new LogMachine(),
      scheduler: clock,
    });
    const errors: FlotillaError[] = [];
    node.events.on("error", (error) => errors.push(error));
    await node.start();
    const proposal = watch(node.propose(bytes("x")));
    await clock.advance(tickMs);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "INTERNAL" });
    expect(errors[0]!.cause).toBeInstanceOf(RangeError);
    expect(proposal.error()).toBeInstanceOf(StoppedError);
    expect(node.status().phase).toBe("failed");
  });

  it("fails to start, with a typed error, when storage cannot load", async () => {
    const t = single();
    t.storage.inner.close();
    await expect(t.node.start()).rejects.toBeInstanceOf(StorageFailedError);
    expect(t.node.status().phase).toBe("failed");
  });
});
