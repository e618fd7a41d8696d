import { describe, expect, it } from "vitest";
import { bufferedStateMachine, type Index, type SnapshotStream } from "../../src/index.js";

async function gather(stream: SnapshotStream): Promise<number[][]> {
  const slices: number[][] = [];
  for await (const slice of stream) slices.push([...slice]);
  return slices;
}

async function* streamOf(...slices: number[][]): SnapshotStream {
  for (const slice of slices) yield Uint8Array.from(slice);
}

describe("bufferedStateMachine", () => {
  it("captures the bytes when the snapshot is asked for, not when the stream is read", async () => {
    let state = [1, 2, 3];
    const machine = bufferedStateMachine<number>({
      apply: (command) => {
        state = [...state, command[0]!];
        return state.length;
      },
      snapshot: () => Uint8Array.from(state),
      restore: () => undefined,
    });
    const stream = await machine.snapshot();
    expect(await machine.apply(Uint8Array.of(4), 4 as Index)).toBe(4);
    expect(await gather(stream)).toEqual([[1, 2, 3]]);
  });

  it("gathers a restore stream of many slices into the one array the machine restores from", async () => {
    const restored: number[][] = [];
    const machine = bufferedStateMachine({
      apply: () => 0,
      snapshot: async () => new Uint8Array(0),
      restore: (data) => {
        restored.push([...data]);
      },
    });
    await machine.restore(streamOf([1], [], [2, 3], [4]));
    expect(restored).toEqual([[1, 2, 3, 4]]);
    // An empty state still travels as one (empty) slice, and restores as empty.
    expect(await gather(await machine.snapshot())).toEqual([[]]);
  });
});
