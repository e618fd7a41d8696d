import { describe, expect, it } from "vitest";
import { canonicalIp, literalLookup, parseHostPort } from "../src/address.js";

describe("parseHostPort", () => {
  it.each([
    ["127.0.0.1:7000", { host: "127.0.0.1", port: 7000 }],
    ["[::1]:7000", { host: "::1", port: 7000 }],
    ["[fe80::1%eth0]:1", { host: "fe80::1%eth0", port: 1 }],
    ["node-1.internal:65535", { host: "node-1.internal", port: 65535 }],
  ])("parses %s", (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  it.each([
    "127.0.0.1",
    "::1:7000",
    "[::1]",
    "[localhost]:1",
    "host:0",
    "host:65536",
    ":80",
    "a:b",
  ])("rejects %s", (text) => {
    expect(parseHostPort(text)).toBeNull();
  });
});

describe("canonicalIp", () => {
  it("puts addresses in the form the socket reports", () => {
    expect(canonicalIp("0:0:0:0:0:0:0:1")).toEqual({ address: "::1", family: 6 });
    expect(canonicalIp("FE80:0::A")).toEqual({ address: "fe80::a", family: 6 });
    expect(canonicalIp("127.0.0.1")).toEqual({ address: "127.0.0.1", family: 4 });
    expect(canonicalIp("localhost")).toBeNull();
  });
});

describe("literalLookup", () => {
  it.each([
    ["127.0.0.1", 4],
    ["::1", 6],
  ])("answers the literal %s before returning, so a send is not deferred", (host, family) => {
    const answers: unknown[][] = [];
    literalLookup(host, family, (...answer) => answers.push(answer));
    expect(answers).toEqual([[null, host, family]]);
  });

  it("resolves a name through DNS, later", async () => {
    const answers: unknown[][] = [];
    const done = new Promise<void>((resolve) =>
      literalLookup("localhost", 4, (...answer) => {
        answers.push(answer);
        resolve();
      }),
    );
    expect(answers).toEqual([]);
    await done;
    expect(answers[0]?.[0]).toBeNull();
    expect(answers[0]?.[2]).toBe(4);
  });
});
