import { describe, expect, it } from "vitest";
import { configDefaults, EntryTooLargeError } from "../../src/index.js";
import { watch } from "./fixtures.js";
import { singleLeader, tickMs } from "./single-node.js";

describe("createNode: the entry size limit", () => {
  it("rejects a command over entryBytesMax with EntryTooLargeError and commits one at it", async () => {
    const { node, clock } = await singleLeader();
    const limit = configDefaults.entryBytesMax;
    const tooLarge = watch(node.propose(new Uint8Array(limit + 1)));
    const atLimit = node.propose(new Uint8Array(limit));
    await clock.advance(tickMs);
    expect(tooLarge.error()).toBeInstanceOf(EntryTooLargeError);
    expect(tooLarge.error()).toMatchObject({ code: "ENTRY_TOO_LARGE" });
    await expect(atLimit).resolves.toBeDefined();
    await node.stop();
  });
});
