import { describe, expect, it } from "vitest";
import { FlotillaError, InvalidValueError, index, nodeId, term } from "../src/index.js";

describe("nodeId, term and index", () => {
  it("brand valid values unchanged", () => {
    expect([nodeId("n1"), term(0), term(7), index(0), index(42)]).toEqual(["n1", 0, 7, 0, 42]);
  });

  it.each([
    ["an empty node id", () => nodeId(""), /node id must be a non-empty string, got ""/],
    ["a node id that is not a string", () => nodeId(3 as unknown as string), /got 3/],
    ["a negative term", () => term(-1), /term must be a non-negative safe integer, got -1/],
    ["a fractional index", () => index(1.5), /log index must be .* got 1.5/],
    ["a NaN index", () => index(Number.NaN), /got NaN/],
  ])("refuse %s with InvalidValueError (a FlotillaError, code INVALID_VALUE)", (_, call, text) => {
    let thrown: unknown;
    try {
      call();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidValueError);
    expect(thrown).toBeInstanceOf(FlotillaError);
    expect((thrown as FlotillaError).code).toBe("INVALID_VALUE");
    expect((thrown as Error).message).toMatch(text);
  });
});
