import { describe, expect, it } from "vitest";
import { ConfigError, nodeId, validateConfig } from "../src/index.js";

const a = nodeId("a");
const b = nodeId("b");

describe("validateConfig", () => {
  it("fills defaults", () => {
    const config = validateConfig({ id: a, voters: [a, b] });
    expect(config.electionTimeoutTicks).toBe(10);
    expect(config.electionJitterTicks).toBeNull();
    expect(config.preVote).toBe(true);
    expect(config.learners).toEqual([]);
    expect(config.inflightBytesMax).toBe(4 * 1024 * 1024);
    expect(config.entryBytesMax).toBe(1024 * 1024);
  });

  it.each([
    [{ id: a, voters: [] }, "voters"],
    [{ id: nodeId("c"), voters: [a, b] }, "id"],
    [{ id: a, voters: [a, b], learners: [b] }, "learners"],
    [{ id: a, voters: [a, a] }, "voters"],
    [
      { id: a, voters: [a], heartbeatIntervalTicks: 10, electionTimeoutTicks: 10 },
      "heartbeatIntervalTicks",
    ],
    [{ id: a, voters: [a], electionJitterTicks: 0 }, "electionJitterTicks"],
    [{ id: a, voters: [a], inflightMessagesMax: 0 }, "inflightMessagesMax"],
    [{ id: a, voters: [a], inflightBytesMax: 0 }, "inflightBytesMax"],
    [{ id: a, voters: [a], entryBytesMax: 1.5 }, "entryBytesMax"],
    [{ id: a, voters: [a], preVote: "yes" as unknown as boolean }, "preVote"],
    [{ id: a, voters: [a], crc32: 0 as unknown as () => number }, "crc32"],
  ])("rejects %j naming %s", (input, field) => {
    const thrown = (() => {
      try {
        validateConfig(input);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).field).toBe(field);
  });
});
