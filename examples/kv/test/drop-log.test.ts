// DropLog: the first drop from an address for a reason is logged at once with the likely cause;
// more within the interval are counted into the next line, not logged one by one.
import { describe, expect, it } from "vitest";
import { DropLog } from "../src/drop-log.js";

describe("DropLog", () => {
  it("names the sender at once, then rate-limits per address and reason", () => {
    const lines: string[] = [];
    let nowMs = 0;
    const log = new DropLog(
      (line) => lines.push(line),
      1000,
      () => nowMs,
    );
    const drop = {
      reason: "foreignCluster",
      address: "127.0.0.1",
      port: 7003,
      sender: "c",
    } as const;
    log.report(drop);
    expect(lines).toEqual([
      "dropped 1 datagram from 127.0.0.1:7003 claiming to be c: foreignCluster (another cluster id: a different cluster key (or cluster name), or another cluster)",
    ]);
    for (nowMs = 10; nowMs < 1000; nowMs += 10) log.report(drop);
    log.report({ ...drop, reason: "badTag" }); // another reason: its own first line
    expect(lines).toHaveLength(2);
    nowMs = 1000;
    log.report(drop);
    expect(lines[2]).toMatch(
      /^dropped 100 datagrams from 127\.0\.0\.1:7003 claiming to be c: foreignCluster/,
    );
  });
});
