import { describe, expect, it } from "vitest";
import { checkLinearizability, HistoryError, type HistoryOperation } from "../../src/index.js";
import { cas, get, put } from "./history-builders.js";

function verdict(history: readonly HistoryOperation[]): string {
  return checkLinearizability(history).result;
}

describe("checkLinearizability accepts linearizable histories", () => {
  it.each<[string, HistoryOperation[]]>([
    ["an empty history", []],
    ["a get of a key never written returns empty", [get("c1", 0, 5, "x", null)]],
    ["a sequential put then get", [put("c1", 0, 10, "x", "1"), get("c2", 20, 30, "x", "1")]],
    [
      "a get concurrent with a put may see either value",
      [
        put("c1", 0, 100, "x", "1"),
        get("c2", 10, 20, "x", null),
        get("c3", 30, 40, "x", "1"),
        get("c4", 110, 120, "x", "1"),
      ],
    ],
    [
      "two concurrent puts, with reads that agree on one order",
      [
        put("c1", 0, 50, "x", "1"),
        put("c2", 0, 50, "x", "2"),
        get("c3", 10, 20, "x", "2"),
        get("c4", 60, 70, "x", "1"),
      ],
    ],
    [
      "cas success and failure",
      [
        put("c1", 0, 10, "x", "1"),
        cas("c2", 20, 30, "x", "1", "2", true),
        cas("c3", 40, 50, "x", "1", "3", false),
        cas("c1", 60, 70, "x", null, "4", false),
        get("c2", 80, 90, "x", "2"),
      ],
    ],
    [
      "cas on an absent key expecting absence",
      [cas("c1", 0, 10, "y", null, "a", true), get("c1", 20, 30, "y", "a")],
    ],
    [
      "an indeterminate put that took effect",
      [put("c1", 0, null, "x", "1"), get("c2", 100, 110, "x", "1")],
    ],
    [
      "an indeterminate put that never took effect",
      [
        put("c1", 0, null, "x", "1"),
        get("c2", 100, 110, "x", null),
        get("c2", 200, 210, "x", null),
      ],
    ],
    [
      "an indeterminate put that took effect late, long after it was invoked",
      [put("c1", 0, null, "x", "1"), get("c2", 100, 110, "x", null), get("c2", 200, 210, "x", "1")],
    ],
    [
      "an indeterminate cas whose effect is seen",
      [
        put("c1", 0, 10, "x", "1"),
        cas("c2", 20, null, "x", "1", "2", true),
        get("c3", 50, 60, "x", "2"),
      ],
    ],
    [
      "operations that touch at one instant count as concurrent",
      [put("c1", 0, 10, "x", "1"), get("c2", 10, 20, "x", null)],
    ],
    [
      "independent keys",
      [
        put("c1", 0, 10, "x", "1"),
        put("c2", 0, 10, "y", "2"),
        get("c3", 20, 30, "y", "2"),
        get("c3", 40, 50, "x", "1"),
      ],
    ],
  ])("%s", (_name, history) => {
    expect(verdict(history)).toBe("ok");
  });
});

describe("checkLinearizability rejects non-linearizable histories", () => {
  it.each<[string, HistoryOperation[], number[]]>([
    [
      "a stale read after a completed write",
      [put("c1", 0, 10, "x", "1"), get("c2", 20, 30, "x", null)],
      [0, 1],
    ],
    [
      "a lost write: the older value returns after a newer write completed",
      [put("c1", 0, 10, "x", "1"), put("c1", 20, 30, "x", "2"), get("c2", 40, 50, "x", "1")],
      [0, 1, 2],
    ],
    [
      "a cas that succeeded against a value that could not be there",
      [put("c1", 0, 10, "x", "1"), cas("c2", 20, 30, "x", "5", "6", true)],
      [0, 1],
    ],
    [
      "two successful cas from the same expected value",
      [
        put("c1", 0, 10, "x", "0"),
        cas("c2", 20, 40, "x", "0", "a", true),
        cas("c3", 20, 40, "x", "0", "b", true),
      ],
      [0, 1, 2],
    ],
    [
      "a read of a value nobody wrote",
      [put("c1", 0, 10, "x", "1"), get("c2", 20, 30, "x", "7")],
      [0, 1],
    ],
    [
      "another client's read saw the write, then the writer's own later read did not",
      [put("c1", 0, 10, "x", "1"), get("c2", 12, 14, "x", "1"), get("c1", 20, 30, "x", null)],
      [0, 2],
    ],
    [
      "reads flip between two concurrent writes (each write happens once)",
      [
        put("c1", 0, 100, "x", "1"),
        put("c2", 0, 100, "x", "2"),
        get("c3", 10, 20, "x", "2"),
        get("c4", 30, 40, "x", "1"),
        get("c5", 50, 60, "x", "2"),
      ],
      [0, 1, 2, 3, 4],
    ],
    [
      "an indeterminate write cannot take effect twice",
      [
        put("c1", 0, null, "x", "1"),
        put("c2", 5, 10, "x", "2"),
        get("c3", 20, 25, "x", "1"),
        get("c3", 30, 35, "x", "2"),
      ],
      [0, 1, 2, 3],
    ],
  ])("%s", (_name, history, minimal) => {
    const result = checkLinearizability(history);
    expect(result.result).toBe("violation");
    if (result.result !== "violation") return;
    expect(result.key).toBe("x");
    expect(result.minimal).toBe(true);
    expect(result.positions).toEqual(minimal);
    expect(result.explanation).toContain('key "x" is not linearizable');
  });

  it("shrinks a violation buried in noise to the write and the stale read, naming the key", () => {
    const history: HistoryOperation[] = [];
    for (let i = 0; i < 20; i++) {
      history.push(put(`c${i % 3}`, i * 10, i * 10 + 15, "y", `v${i}`));
      history.push(get("c9", i * 10 + 20, i * 10 + 25, "y", `v${i}`));
    }
    history.push(put("c1", 500, 510, "z", "new"), get("c2", 600, 610, "z", null));
    const result = checkLinearizability(history);
    expect(result.result).toBe("violation");
    if (result.result !== "violation") return;
    expect(result.key).toBe("z");
    expect(result.positions).toEqual([40, 41]);
    expect(result.explanation).toMatch(/put\(z, "new"\)[\s\S]*get\(z\) -> ∅/);
  });

  it("reports unknown rather than hanging when the budget runs out", () => {
    const history: HistoryOperation[] = [];
    for (let i = 0; i < 24; i++) history.push(put(`c${i}`, 0, 1000, "x", `v${i}`));
    history.push(get("r", 2000, 2010, "x", "never"));
    const result = checkLinearizability(history, { budgetStepsPerKey: 5000 });
    expect(result).toMatchObject({ result: "unknown", keys: ["x"] });
  });

  it("throws HistoryError on a malformed history", () => {
    expect(() => checkLinearizability([put("c1", 10, 5, "x", "1")])).toThrow(HistoryError);
    const mismatched = { ...get("c1", 0, 1, "x", null), output: { op: "put" } } as HistoryOperation;
    expect(() => checkLinearizability([mismatched])).toThrow(HistoryError);
  });
});
