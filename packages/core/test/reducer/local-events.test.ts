import { type Effect, type Index, nodeId, type PersistEffect, type Term } from "@flotilla/core";
import { init, status, step } from "@flotilla/core/runtime";
import { describe, expect, it } from "vitest";
import { snapshotEvent } from "../snapshot-event.js";
import { Cluster } from "./cluster.js";

const [n1, n2, n3] = [nodeId("n1"), nodeId("n2"), nodeId("n3")];
const persistOf = (effects: readonly Effect[]) =>
  effects.find((e): e is PersistEffect => e.type === "persist");

describe("persisted, applied and snapshot events", () => {
  it("hands committed entries out once (apply), while applied moves only with the event", () => {
    const c = new Cluster(3);
    c.step(n1, { type: "campaign" });
    c.stabilize();
    c.step(n1, { type: "propose", id: "a", data: new Uint8Array(1) });
    c.stabilize();
    const applied = c.effects.flatMap(({ id, effect }) =>
      id === n1 && effect.type === "apply" ? effect.entries.map((x) => x.index) : [],
    );
    expect(applied).toEqual([1, 2]);
    expect(status(c.state(n1)).applied).toBe(0);
    c.step(n1, { type: "applied", index: 2 as Index });
    expect(status(c.state(n1)).applied).toBe(2);
  });

  it("hard state is persisted whenever term, vote or commit change, and only then", () => {
    const c = new Cluster(3);
    const r = c.step(n1, { type: "campaign" });
    expect(persistOf(r.effects)!.hardState).toEqual({ term: 1, vote: n1, commit: 0 });
    c.stabilize();
    const quiet = step(c.state(n2), { type: "tick" });
    expect(persistOf(quiet.effects)).toBeUndefined();
  });

  it("a snapshot compacts the log, keeping snapshotTrailingEntries, and is persisted with its data", () => {
    const c = new Cluster(3, { snapshotTrailingEntries: 2 });
    c.step(n1, { type: "campaign" });
    c.stabilize();
    for (let i = 0; i < 8; i++)
      c.step(n1, { type: "propose", id: `p${i}`, data: new Uint8Array([i]) });
    c.stabilize();
    c.step(n1, { type: "applied", index: 9 as Index });
    const data = new Uint8Array([42]);
    const r = c.step(n1, snapshotEvent(6, data));
    const persist = persistOf(r.effects)!;
    expect(persist.snapshot).toEqual({
      index: 6,
      term: 1,
      membership: status(c.state(n1)).membership,
      size: 1,
      checksum: snapshotEvent(6, data).checksum,
    });
    expect(persist.entries).toEqual([]);
    // The leader still serves entries after index 4 from its log and keeps replicating.
    c.step(n1, { type: "propose", id: "after", data: new Uint8Array(1) });
    c.stabilize();
    c.tickAll(1);
    c.stabilize();
    for (const id of c.ids) expect(status(c.state(id)).commit).toBe(10);
    // Restarting from the snapshot puts the log's base at its index.
    const restarted = init(
      { id: n1, voters: [n1, n2, n3] },
      {
        hardState: { term: 1 as Term, vote: n1, commit: 6 as Index },
        snapshot: persist.snapshot!,
        entries: [],
      },
    );
    expect(status(restarted)).toMatchObject({
      lastLogIndex: 6,
      lastLogTerm: 1,
      applied: 6,
      commit: 6,
    });
  });
});
