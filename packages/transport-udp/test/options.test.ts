import { ConfigError } from "@flotilla/core";
import { describe, expect, it } from "vitest";
import { checkOptions, type UdpTransportOptions } from "../src/options.js";
import { secretA } from "./layers.js";

const base: UdpTransportOptions = {
  id: "a",
  listen: { host: "127.0.0.1", port: 0 },
  peers: { a: "127.0.0.1:7001", b: "127.0.0.1:7002" },
  key: secretA,
};

function fieldOf(options: unknown): string {
  try {
    checkOptions(options as UdpTransportOptions);
  } catch (error) {
    if (error instanceof ConfigError) return error.field;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("checkOptions", () => {
  it("fills defaults and leaves this node out of its peers", () => {
    const checked = checkOptions(base);
    expect(checked.maxDatagramBytes).toBe(1232);
    expect(checked.socketBufferBytes).toBe(8 * 1024 * 1024);
    expect(checked.peers).toEqual([{ id: "b", host: "127.0.0.1", port: 7002 }]);
    expect(checked.keys).toEqual([{ id: 0, secret: secretA }]);
  });

  it.each<[string, Partial<UdpTransportOptions> | Record<string, unknown>]>([
    ["id", { id: "" }],
    ["id", { id: "x".repeat(256) }],
    ["listen.host", { listen: { host: "", port: 1 } }],
    ["listen.port", { listen: { host: "127.0.0.1", port: 70_000 } }],
    ["peers.b", { peers: { b: "127.0.0.1" } }],
    ["peers", { peers: null }],
    ["key", { key: undefined }],
    ["key", { key: "short" }],
    ["keys", { keys: [] }],
    ["keys", { keys: [{ id: 1, secret: secretA }] }],
    [
      "keys[1].id",
      {
        key: undefined,
        keys: [
          { id: 1, secret: secretA },
          { id: 1, secret: secretA },
        ],
      },
    ],
    ["keys[0].id", { key: undefined, keys: [{ id: 256, secret: secretA }] }],
    ["keys[0].secret", { key: undefined, keys: [{ id: 1, secret: new Uint8Array(8) }] }],
    ["insecure", { insecure: true }],
    ["encrypt", { key: undefined, insecure: true, encrypt: true }],
    ["encrypt", { encrypt: "yes" }],
    ["maxDatagramBytes", { maxDatagramBytes: 100 }],
    ["maxDatagramBytes", { maxDatagramBytes: 70_000 }],
    ["reassemblyMessagesMax", { reassemblyMessagesMax: 0 }],
    ["reassemblyTimeoutMs", { reassemblyTimeoutMs: 1.5 }],
    ["sendQueueBytesMax", { sendQueueBytesMax: -1 }],
    ["busyPollUs", { busyPollUs: -1 }],
    ["busyPollUs", { busyPollUs: 2_000_000 }],
    ["dropProbability", { dropProbability: -0.1 }],
    ["dropProbability", { dropProbability: 1.5 }],
    ["dropProbability", { dropProbability: Number.NaN }],
    ["dropProbability", { dropProbability: "0.1" }],
    ["dropSeed", { dropSeed: 1.5 }],
    ["socketBufferBytes", { socketBufferBytes: 100 }],
    ["logger", { logger: {} }],
  ])("names %s", (field, patch) => {
    expect(fieldOf({ ...base, ...patch })).toBe(field);
  });
});
