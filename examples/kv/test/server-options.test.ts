import { describe, expect, it } from "vitest";
import { parseAddressMap, parseHostPort, UsageError } from "../src/addresses.js";
import { parseServerOptions } from "../src/server-options.js";

const key = "00112233445566778899aabbccddeeff";
const base = [
  "--id",
  "a",
  "--peers",
  "a=7001,b=7002,c=7003",
  "--api",
  "a=8001,b=8002,c=8003",
  "--data-dir",
  "/tmp/x",
];

describe("parseServerOptions", () => {
  it("reads a full command line, with loopback for bare ports", () => {
    const options = parseServerOptions([...base, "--key-hex", key, "--tick-ms", "5"], {});
    if (options === "help") throw new Error("unexpected help");
    expect(options.id).toBe("a");
    expect(options.peers.get("b")).toEqual({ host: "127.0.0.1", port: 7002 });
    expect(options.api.get("c")).toEqual({ host: "127.0.0.1", port: 8003 });
    expect(options.tickMs).toBe(5);
    expect(options.key).toEqual(Uint8Array.from(Buffer.from(key, "hex")));
  });

  it("--heartbeat-ticks: a heartbeat every tick unless set, and below the election timeout", () => {
    const withKey = [...base, "--key-hex", key];
    expect(parseServerOptions(withKey, {})).toMatchObject({ heartbeatTicks: 1, electionTicks: 20 });
    expect(parseServerOptions([...withKey, "--heartbeat-ticks", "3"], {})).toMatchObject({
      heartbeatTicks: 3,
    });
    expect(() =>
      parseServerOptions([...withKey, "--heartbeat-ticks", "5", "--election-ticks", "5"], {}),
    ).toThrow(/--heartbeat-ticks \(5\) must be below --election-ticks \(5\)/);
    expect(() => parseServerOptions([...withKey, "--heartbeat-ticks", "0"], {})).toThrow(
      UsageError,
    );
  });

  it("--join: members to ask, and --peers and --api that name only this node", () => {
    const argv = ["--id", "d", "--peers", "d=7004", "--api", "d=8004", "--data-dir", "/tmp/x"];
    const options = parseServerOptions(
      [...argv, "--key-hex", key, "--join", "8001,http://[::1]:8002"],
      {},
    );
    if (options === "help") throw new Error("unexpected help");
    expect(options.join).toEqual([
      { host: "127.0.0.1", port: 8001 },
      { host: "::1", port: 8002 },
    ]);
    expect(parseServerOptions([...base, "--key-hex", key], {})).toMatchObject({ join: null });
    expect(() => parseServerOptions([...argv, "--key-hex", key, "--join", "here"], {})).toThrow(
      /--join: expected host:port, got "here"/,
    );
  });

  it("defaults to file storage and no loss; memory storage needs no data directory", () => {
    const defaults = parseServerOptions([...base, "--key-hex", key], {});
    if (defaults === "help") throw new Error("unexpected help");
    expect([defaults.storage, defaults.dataDir, defaults.loss, defaults.lossSeed]).toEqual([
      "file",
      "/tmp/x",
      0,
      1,
    ]);
    const argv = [...base.slice(0, 6), "--key-hex", key, "--storage", "memory", "--loss", "0.3"];
    const memory = parseServerOptions(
      [...argv, "--loss-seed", "9", "--max-datagram-bytes", "8192"],
      {},
    );
    if (memory === "help") throw new Error("unexpected help");
    expect([memory.storage, memory.dataDir, memory.loss, memory.lossSeed]).toEqual([
      "memory",
      null,
      0.3,
      9,
    ]);
    // Loopback peers get 60,000-byte datagrams unless told otherwise; others the transport's 1,232.
    expect([defaults.maxDatagramBytes, memory.maxDatagramBytes]).toEqual([60_000, 8192]);
    const lan = base.map((arg) => arg.replace("b=7002", "b=10.0.0.2:7002"));
    const remote = parseServerOptions([...lan, "--key-hex", key], {});
    if (remote === "help") throw new Error("unexpected help");
    expect(remote.maxDatagramBytes).toBeNull();
    expect([defaults.tickMs, defaults.electionTicks]).toEqual([10, 20]);
  });

  it("logs JSON lines unless stdout is a terminal, at info unless --log-level says otherwise", () => {
    const piped = parseServerOptions([...base, "--key-hex", key], {});
    const terminal = parseServerOptions([...base, "--key-hex", key], {}, true);
    const chosen = parseServerOptions(
      [...base, "--key-hex", key, "--log-level", "warn", "--log-format", "pretty"],
      {},
    );
    const pick = (o: typeof piped) => (o === "help" ? o : [o.logLevel, o.logFormat]);
    expect([pick(piped), pick(terminal), pick(chosen)]).toEqual([
      ["info", "json"],
      ["info", "pretty"],
      ["warn", "pretty"],
    ]);
    expect(() =>
      parseServerOptions([...base, "--key-hex", key, "--log-level", "loud"], {}),
    ).toThrow(/--log-level: expected debug, info, warn, error, got "loud"/);
  });

  it("takes the key from FLOTILLA_KEY_HEX, and runs keyless only with --insecure", () => {
    const fromEnv = parseServerOptions(base, { FLOTILLA_KEY_HEX: key });
    expect(fromEnv !== "help" && fromEnv.key?.length).toBe(16);
    const insecure = parseServerOptions([...base, "--insecure"], {});
    expect(insecure !== "help" && insecure.key).toBeNull();
  });

  it.each([
    [[...base], /cluster key is required/],
    [[...base, "--key-hex", "abcd"], /at least 16 bytes/],
    [[...base, "--key-hex", key, "--insecure"], /cannot be combined/],
    [
      ["--peers", "a=7001", "--api", "a=8001", "--data-dir", "d", "--key-hex", key],
      /--id is required/,
    ],
    [
      [...base.slice(0, 2), "--peers", "b=7002", ...base.slice(4), "--key-hex", key],
      /must include this node/,
    ],
    [[...base, "--key-hex", key, "--tick-ms", "0"], /--tick-ms: expected an integer >= 1/],
    [[...base, "--key-hex", key, "--tick-ms", "ten"], /--tick-ms/],
    [[...base, "--key-hex", key, "--bogus"], /Unknown option '--bogus'/],
    [[...base, "--key-hex", key, "--storage", "disk"], /--storage: expected file or memory/],
    [[...base.slice(0, 6), "--key-hex", key], /--data-dir is required/],
    [[...base, "--key-hex", key, "--loss", "1.5"], /--loss: expected a number from 0 to 1/],
    [[...base, "--key-hex", key, "--loss", "-0.1"], /--loss/],
    [[...base, "--key-hex", key, "--loss", "ten"], /--loss/],
    [
      [
        "--id",
        "a",
        "--peers",
        "a=7001,b=7002",
        "--api",
        "a=8001",
        "--data-dir",
        "d",
        "--key-hex",
        key,
      ],
      /--api has no address for node b/,
    ],
  ])("refuses %j with a UsageError naming the problem", (argv, message) => {
    expect(() => parseServerOptions(argv, {})).toThrow(UsageError);
    expect(() => parseServerOptions(argv, {})).toThrow(message);
  });
});

describe("addresses", () => {
  it("parses host:port, [v6]:port and bare ports", () => {
    expect(parseHostPort("10.0.0.1:9000")).toEqual({ host: "10.0.0.1", port: 9000 });
    expect(parseHostPort("[::1]:9000")).toEqual({ host: "::1", port: 9000 });
    expect(parseHostPort("9000")).toEqual({ host: "127.0.0.1", port: 9000 });
    expect(parseHostPort("::1:9000")).toBeNull();
    expect(parseHostPort("host:99999")).toBeNull();
  });

  it("refuses duplicate and malformed entries", () => {
    expect(() => parseAddressMap("peers", "a=1,a=2")).toThrow(/listed twice/);
    expect(() => parseAddressMap("peers", "a")).toThrow(/expected id=host:port/);
    expect(() => parseAddressMap("peers", "")).toThrow(/no nodes given/);
  });
});
