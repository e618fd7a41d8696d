import { describe, expect, it } from "vitest";
import { deriveOptions } from "../src/derive-options.js";
import { runSimulation } from "../src/simulator.js";
import { chunkWriteNotAwaited, unserializedFileStorage } from "./call-order-defects.js";
import { caughtAsExpected, findViolation, seedsFrom } from "./search.js";

// FileStorage serves its queued calls one at a time (`#enqueue`), and the driver never has two of
// them outstanding: one write in flight at a time, chunk writes only between writes, and the turn
// waits for each chunk write (createNode's turn-shell.ts; node-turns.ts in the simulator). Either
// rule alone keeps the calls apart: FileStorage without its queue runs exactly as with it under
// this driver (no call ever finds another pending), and a turn that goes on past its chunk write
// is put back in order by the queue. So each is planted alone and passes, and the search finds
// the two together: the write that installs a received snapshot, or the next chunk, called while
// the last chunk is still being written (the simulated disk interleaves their operations).

const both = { storageRules: unserializedFileStorage, shell: chunkWriteNotAwaited };

describe("a bounded seed search finds FileStorage's calls run into each other", () => {
  it("unserializedFileStorage with chunkWriteNotAwaited (the install checked before the last chunk is stored)", async () => {
    const found = await findViolation(both, seedsFrom([4], 1, 40), {}, "crash");
    expect(found, "no failure in seeds 1..40").not.toBeNull();
    if (found === null) return;
    console.log(caughtAsExpected("unserializedFileStorage + chunkWriteNotAwaited", found));
    // FileStorage refuses the install (no stored bytes yet) or the next chunk (it does not continue
    // the one being received): an untyped storage failure, which ends the run as a crash.
    expect(String(found.result.error)).toMatch(/no stored bytes|does not continue/);
  });

  it("passes with either rule alone, on the seeds where the two together fail", async () => {
    for (const seed of [4, 8, 9]) {
      const options = deriveOptions(seed, {});
      expect((await runSimulation(options, both)).outcome, `seed ${seed}, both`).toBe("crash");
      const shipped = await runSimulation(options);
      // The driver never calls while a queued call is pending: without the queue, the same run.
      const unserialized = await runSimulation(options, { storageRules: unserializedFileStorage });
      expect(unserialized.outcome, `seed ${seed}, unserialized`).toBe("ok");
      expect(unserialized.fingerprint).toBe(shipped.fingerprint);
      const notAwaited = await runSimulation(options, { shell: chunkWriteNotAwaited });
      expect(notAwaited.outcome, `seed ${seed}, chunk write not awaited`).toBe("ok");
    }
  });
});
