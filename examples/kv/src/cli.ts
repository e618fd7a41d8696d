// `kv`: the command-line client.
//
//   kv [--servers URL,URL,...] put KEY VALUE | get [--consistency index|lease|log] KEY
//                              | cas KEY OLD NEW | transfer ID | status
//   kv [--servers URL,URL,...] member list | add ID --raft HOST:PORT --api HOST:PORT [--learner]
//                                | promote ID | remove ID         (cli-member.ts)
//
// --servers defaults to $KV_SERVERS, then to http://127.0.0.1:8001,8002,8003. `cas` takes "-" as
// OLD to mean "only if KEY is absent". Exit codes: 0 done, 1 failed (the message says whether the
// write may have happened; a transfer that did not complete in time), 2 usage, 3 refused (cas: the
// value was not OLD; transfer: ID cannot lead, e.g. a learner or not a member), 4 get of an absent
// key.

import { parseArgs } from "node:util";
import { type MemberFlags, memberMistake, runMember } from "./cli-member.js";
import { KvClient, KvRequestError } from "./client.js";

const usage = `usage: kv [--servers URL,URL,...] [--timeout-ms N] <command>
  put KEY VALUE      set KEY to VALUE
  get KEY            print KEY's value (exit 4 if absent); linearizable whatever the consistency
  get --consistency index|lease|log KEY
                     how the leader makes the read linearizable: index (the default) confirms it
                     still leads with one heartbeat round (ReadIndex, no log write); lease skips
                     the round while its lease holds (assumes clocks drift less than the
                     servers' bound); log commits the read as a command, like a write
  cas KEY OLD NEW    set KEY to NEW if it is OLD ("-" for absent); exit 3 if it was not
  transfer ID        hand leadership to node ID (a planned restart of the leader); exit 3 if
                     refused (ID is not a voter), 1 if ID did not take over in time
  status             every server's view: role, term, leader, commit and applied index
  member list        the members (voters, learners) and their addresses, as the leader sees them
  member add ID --raft HOST:PORT --api HOST:PORT [--learner]
                     add node ID (started with kv-server --join) at those Raft (UDP) and client
                     (HTTP) addresses: a voter once it has caught up, or a learner
  member promote ID  make learner ID a voter once it has caught up
  member remove ID   remove voter or learner ID from the cluster
options:
  --servers URL,...  the servers to try (default $KV_SERVERS, else 127.0.0.1:8001,8002,8003)
  --timeout-ms N     give up after N ms (default 10000; 60000 for member commands)
  --consistency C    get only: index (default), lease or log (see get)
  -h, --help         this text`;

const defaultServers = "http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003";

/** `get --consistency`: the CLI's names for the server's GET ?consistency= values. */
const consistencies = { index: "readIndex", lease: "lease", log: "log" } as const;
type Consistency = (typeof consistencies)[keyof typeof consistencies];

type Parsed = {
  servers: string[];
  timeoutMs: number;
  command: string[];
  flags: MemberFlags;
  /** Undefined when --consistency was not given (a get reads by ReadIndex). */
  consistency: Consistency | undefined;
};

function parse(argv: readonly string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      servers: { type: "string" },
      "timeout-ms": { type: "string" },
      raft: { type: "string" },
      api: { type: "string" },
      learner: { type: "boolean" },
      consistency: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    return { servers: [], timeoutMs: 0, command: ["help"], flags: {}, consistency: undefined };
  }
  const servers = (values.servers ?? process.env.KV_SERVERS ?? defaultServers)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => (/^https?:\/\//.test(s) ? s : `http://${s}`));
  for (const server of servers) {
    if (!URL.canParse(server)) throw new Error(`--servers: ${JSON.stringify(server)} is not a URL`);
  }
  // A member add waits for the new node to catch up (member-api.ts: up to 30 s).
  const timeoutMs = Number(
    values["timeout-ms"] ?? (positionals[0] === "member" ? "60000" : "10000"),
  );
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new Error("--timeout-ms: expected a positive integer");
  }
  const { raft, api, learner } = values;
  const consistency = parseConsistency(values.consistency);
  return { servers, timeoutMs, command: positionals, flags: { raft, api, learner }, consistency };
}

function parseConsistency(text: string | undefined): Consistency | undefined {
  if (text === undefined) return undefined;
  // The server's own name for the default is accepted too.
  if (text === "readIndex") return "readIndex";
  if (!Object.hasOwn(consistencies, text)) {
    throw new Error(`--consistency: expected index, lease or log, got ${JSON.stringify(text)}`);
  }
  return consistencies[text as keyof typeof consistencies];
}

const operands: Readonly<Record<string, readonly string[]>> = {
  put: ["KEY", "VALUE"],
  get: ["KEY"],
  cas: ["KEY", "OLD", "NEW"],
  transfer: ["ID"],
  status: [],
  member: [],
};

/** One sentence saying what is wrong with the command line, or null if nothing is. */
function commandMistake(
  name: string | undefined,
  args: readonly string[],
  flags: MemberFlags,
  consistency: Consistency | undefined,
): string | null {
  if (name === undefined) return "no command given";
  const expected = operands[name];
  if (expected === undefined) return `unknown command ${JSON.stringify(name)}`;
  if (consistency !== undefined && name !== "get") return "--consistency goes only with get";
  if (name === "member") return memberMistake(args, flags);
  const memberFlag = (["raft", "api", "learner"] as const).find((f) => flags[f] !== undefined);
  if (memberFlag !== undefined) return `--${memberFlag} goes only with member add`;
  if (expected.length !== args.length) {
    const wanted = expected.length === 0 ? "no operands" : expected.join(" ");
    return `${name} takes ${wanted}, got ${args.length} operand${args.length === 1 ? "" : "s"}`;
  }
  if (expected[0] === "KEY" && args[0] === "") return "the key must not be empty";
  if (expected[0] === "ID" && args[0] === "") return "the node id must not be empty";
  return null;
}

async function run(parsed: Parsed): Promise<number> {
  const [name, ...args] = parsed.command;
  const { servers, timeoutMs, flags } = parsed;
  const client = new KvClient({
    servers,
    deadlineMs: timeoutMs,
    // A membership change waits for its commit (and an added voter's catch-up) in one request.
    ...(name === "member" ? { requestTimeoutMs: timeoutMs } : {}),
  });
  const mistake = commandMistake(name, args, flags, parsed.consistency);
  if (mistake !== null) {
    console.error(`kv: ${mistake} (kv --help lists the commands)`);
    return 2;
  }
  const [a = "", b = "", c = ""] = args;
  switch (name) {
    case "member":
      return runMember(client, args, flags);
    case "put":
      await client.put(a, b);
      console.log("OK");
      return 0;
    case "get": {
      const value = await client.get(a, parsed.consistency);
      if (value === null) {
        console.error(`(${a} is not set)`);
        return 4;
      }
      console.log(value);
      return 0;
    }
    case "cas": {
      const ok = await client.cas(a, b === "-" ? null : b, c);
      console.log(ok ? "OK" : `refused: ${a} was not ${b === "-" ? "absent" : JSON.stringify(b)}`);
      return ok ? 0 : 3;
    }
    case "transfer":
      try {
        await client.transfer(a);
      } catch (error) {
        if (!(error instanceof KvRequestError) || error.code !== "TRANSFER_REFUSED") throw error;
        console.error(`kv: refused: ${error.message}`);
        return 3;
      }
      console.log(`OK: ${a} leads`);
      return 0;
    default:
      return status(client, parsed.servers);
  }
}

async function status(client: KvClient, servers: readonly string[]): Promise<number> {
  let reachable = 0;
  for (const server of servers) {
    try {
      const s = await client.status(server);
      reachable += 1;
      console.log(
        `${server}  node ${s.id}  ${s.role.padEnd(9)} term ${s.term}  leader ${s.leader ?? "-"}  ` +
          `commit ${s.commitIndex}  applied ${s.appliedIndex}  keys ${s.keys}  pid ${s.pid}`,
      );
    } catch (error) {
      console.log(`${server}  unreachable (${(error as Error).message})`);
    }
  }
  return reachable > 0 ? 0 : 1;
}

async function main(): Promise<void> {
  let parsed: Parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`kv: ${(error as Error).message} (kv --help lists the commands)`);
    process.exit(2);
  }
  if (parsed.command[0] === "help") {
    console.log(usage);
    return;
  }
  try {
    process.exitCode = await run(parsed);
  } catch (error) {
    if (!(error instanceof KvRequestError)) throw error;
    const may = error.retry === "unknown" ? " (it may or may not have been applied)" : "";
    console.error(`kv: failed${may}: ${error.message}`);
    process.exitCode = 1;
  }
}

await main();
