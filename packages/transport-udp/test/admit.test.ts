import { encodeMessage } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { admitMessage } from "../src/admit.js";
import { appendEntries, requestVote } from "./messages.js";

describe("admitMessage", () => {
  it("decodes a message from the authenticated sender to us", () => {
    const message = appendEntries("a", "b", 2, 10);
    expect(admitMessage(encodeMessage(message), "a", "b")).toEqual({ kind: "message", message });
  });

  it("drops bytes the codec rejects, never throwing", () => {
    const bytes = encodeMessage(requestVote("a", "b"));
    for (const bad of [
      new Uint8Array(0),
      bytes.subarray(0, bytes.length - 1),
      Uint8Array.of(1, 2, 3),
    ]) {
      expect(admitMessage(bad, "a", "b")).toEqual({ kind: "dropped", reason: "undecodable" });
    }
  });

  it("drops a message claiming another sender, or meant for another node", () => {
    const bytes = encodeMessage(requestVote("c", "b"));
    expect(admitMessage(bytes, "a", "b")).toEqual({ kind: "dropped", reason: "senderMismatch" });
    expect(admitMessage(bytes, "c", "d")).toEqual({ kind: "dropped", reason: "wrongRecipient" });
  });
});
