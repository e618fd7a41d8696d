// The scenario script commands. Each takes the words of one command line and returns its output.
//
//   cluster 3 [prevote=false] [checkquorum=false] [election=10] [heartbeat=1] [inflight=N]
//             [maxbytes=N] [uncommitted=N] [seed=N] [voters=K] [leasereads=true] [leasedrift=N]
//                                                         a fresh cluster of nodes 1..N; with
//                                                         voters=K only 1..K are members, the
//                                                         others start empty, waiting to join
//   change 1 add=4,5 learner=6 promote=6 demote=2 remove=3 [transition=joint|explicit] [force]
//                                                         a membership change request to node 1
//   leave-joint 1                                         ask node 1 to leave the joint config
//   transfer 1 3                                          ask node 1 to hand leadership to 3
//   membership 1                                          the configuration node 1 has in force
//   snapshot 1                                            node 1 snapshots at its applied index
//   load 2 terms=1,1,4,4 [term=4] [vote=1] [commit=0]    replace 2's disk with this log, restart it
//   lose 2 from=3                                         2's disk loses its entries from index 3
//                                                         on (a restored backup, a torn record
//                                                         dropped by recovery); 2 restarts
//   campaign 1                                            node 1 starts an election now
//   tick 1 [2 3 | all] [xN]                               N ticks of each node, in turn
//   advance 1 [2 3 | all] [xN]                            N rounds of: tick each, then stabilize
//   propose 1 data=hello | bytes=100 [xN]                 client proposals (ids p1, p2, ...) in
//                                                         one batch, then a flush (one turn)
//   read 1 [lease] [xN]                                   linearizable reads (ids r1, r2, ...)
//   deliver 1->2 [n=K]                                    deliver pending messages on one link
//   duplicate 1->2                                        deliver a copy of the oldest pending
//                                                         message on the link, keep the original
//   deliver-all                                           deliver everything pending now, once
//   drop 2->3                                             lose everything pending on one link
//   partition 1 | 2 3                                     cut every link between the groups
//   heal                                                  restore every link
//   stabilize                                             deliver until no message is pending
//   crash 2 / restart 2                                   lose volatile state and unpersisted
//                                                         writes (ends hold-persist) / start from disk
//   hold-persist 2 / persist 2 / release-persist 2        hold writes / make them durable /
//                                                         make them durable and stop holding
//   status 1 / log 2                                      the reducer's status / 2's disk
//
// Within one command's output a line that repeats is printed once, where it first appeared, with
// the count appended (`(x10)`): ten ticks of heartbeats read as one line per link.

import {
  type Entry,
  type Event,
  type Index,
  type MembershipOperation,
  type MembershipTransition,
  type NodeId,
  nodeId,
  type Term,
} from "@flotilla/core";
import { Cluster, type ConfigOverrides } from "./cluster.js";
import { describeWrite, formatEntryIds, formatMembership } from "./format.js";
import { formatStatus } from "./status-lines.js";

export class ScenarioError extends Error {}

export class Scenario {
  private cluster: Cluster | null = null;
  private proposals = 0;
  private changes = 0;
  private reads = 0;

  run(commandLine: string): string[] {
    const [name, ...args] = commandLine.split(/\s+/);
    const lines = this.dispatch(name ?? "", args);
    const collapsed = collapseRepeats(lines);
    return collapsed.length === 0 ? ["ok"] : collapsed;
  }

  private dispatch(name: string, args: readonly string[]): string[] {
    if (name === "cluster") {
      const size = Number(args[0]);
      const votersArg = args.find((a) => a.startsWith("voters="));
      const voters = votersArg === undefined ? size : Number(votersArg.slice("voters=".length));
      const rest = args.slice(1).filter((a) => a !== votersArg);
      this.cluster = new Cluster(size, parseOverrides(rest), voters);
      this.proposals = 0;
      this.reads = 0;
      return [];
    }
    const cluster = this.cluster;
    if (cluster === null) throw new ScenarioError(`"${name}" before "cluster"`);
    const one = (): NodeId => nodeArg(cluster, args[0]);
    switch (name) {
      case "load":
        cluster.load(one(), parseLoad(options(args.slice(1))));
        break;
      case "lose": {
        const from = Number(options(args.slice(1)).get("from"));
        if (!Number.isSafeInteger(from) || from < 1) throw new ScenarioError("lose needs from=N");
        cluster.loseFrom(one(), from);
        return [...cluster.takeTrace(), ...formatStatus(args[0] ?? "", cluster.status(one()))];
      }
      case "campaign":
        cluster.stepNode(one(), { type: "campaign" });
        break;
      case "tick":
        this.tick(cluster, args, false);
        break;
      case "advance":
        this.tick(cluster, args, true);
        break;
      case "propose":
        this.propose(cluster, one(), args.slice(1));
        break;
      case "read":
        this.read(cluster, one(), args.slice(1));
        break;
      case "deliver": {
        const [from, to] = linkArg(cluster, args[0]);
        const n = options(args.slice(1)).get("n");
        cluster.deliver(from, to, n === undefined ? undefined : Number(n));
        break;
      }
      case "duplicate": {
        const [from, to] = linkArg(cluster, args[0]);
        const [oldest] = cluster.pendingOn(from, to);
        if (oldest === undefined) throw new ScenarioError(`nothing pending on ${args[0] ?? ""}`);
        cluster.receive(oldest);
        break;
      }
      case "deliver-all":
        cluster.deliverAll();
        break;
      case "drop": {
        const [from, to] = linkArg(cluster, args[0]);
        return [`dropped ${cluster.drop(from, to)} messages`];
      }
      case "partition": {
        const groups = args
          .join(" ")
          .split("|")
          .map((g) => g.trim().split(/\s+/));
        const dropped = cluster.partition(groups.map((g) => g.map((id) => nodeArg(cluster, id))));
        return [...cluster.takeTrace(), ...(dropped > 0 ? [`dropped ${dropped} messages`] : [])];
      }
      case "heal":
        cluster.heal();
        break;
      case "stabilize":
        if (!cluster.stabilize()) return [...cluster.takeTrace(), "NOT STABLE after 200 rounds"];
        break;
      case "crash": {
        const lost = cluster.crash(one());
        return [`${args[0]} crashed, ${lost} unpersisted writes lost`];
      }
      case "restart":
        cluster.restart(one());
        return [...cluster.takeTrace(), ...formatStatus(args[0] ?? "", cluster.status(one()))];
      case "hold-persist":
        cluster.setHoldPersist(one(), true);
        break;
      case "persist":
        cluster.flushPersist(one());
        break;
      case "release-persist":
        cluster.setHoldPersist(one(), false);
        cluster.flushPersist(one());
        break;
      case "status":
        return formatStatus(args[0] ?? "", cluster.status(one()));
      case "change":
        this.changes++;
        cluster.stepNode(one(), parseChange(`c${this.changes}`, args.slice(1)));
        break;
      case "snapshot": {
        const applied = cluster.status(one())?.applied ?? 0;
        const data = new TextEncoder().encode(`snapshot@${applied}`);
        cluster.takeSnapshot(one(), applied, data);
        break;
      }
      case "transfer":
        // Any id: a transfer to a node outside the cluster must be refused, not rejected here.
        cluster.stepNode(one(), { type: "transferLeadership", to: nodeId(args[1] ?? "") });
        break;
      case "leave-joint":
        this.changes++;
        cluster.stepNode(one(), {
          type: "changeMembership",
          id: `c${this.changes}`,
          change: { type: "leaveJoint" },
        });
        break;
      case "membership": {
        const s = cluster.status(one());
        return [`${args[0] ?? ""}: ${s === null ? "down" : formatMembership(s.membership)}`];
      }
      case "log":
        return this.log(cluster, one());
      default:
        throw new ScenarioError(`unknown command "${name}"`);
    }
    return cluster.takeTrace();
  }

  private tick(cluster: Cluster, args: readonly string[], stabilize: boolean): void {
    const repeat = args.find((a) => /^x\d+$/.test(a));
    const times = repeat === undefined ? 1 : Number(repeat.slice(1));
    const named = args.filter((a) => a !== repeat);
    const ids = named.includes("all") ? cluster.ids : named.map((a) => nodeArg(cluster, a));
    for (let i = 0; i < times; i++) {
      for (const id of ids) if (cluster.status(id) !== null) cluster.stepNode(id, { type: "tick" });
      if (stabilize && !cluster.stabilize()) throw new ScenarioError("not stable after 200 rounds");
    }
  }

  private propose(cluster: Cluster, id: NodeId, args: readonly string[]): void {
    const opts = options(args.filter((a) => !/^x\d+$/.test(a)));
    const repeat = args.find((a) => /^x\d+$/.test(a));
    const text = opts.get("data");
    const size = opts.get("bytes");
    const data =
      text !== undefined ? new TextEncoder().encode(text) : new Uint8Array(Number(size ?? 0));
    if (text === undefined && size === undefined)
      throw new ScenarioError("propose needs data= or bytes=");
    const times = repeat === undefined ? 1 : Number(repeat.slice(1));
    for (let i = 0; i < times; i++) {
      this.proposals++;
      cluster.stepNode(id, { type: "propose", id: `p${this.proposals}`, data });
    }
    // As a driver ends its turn: the proposals' entries leave for busy followers in one message.
    cluster.stepNode(id, { type: "flush" });
  }

  private read(cluster: Cluster, id: NodeId, args: readonly string[]): void {
    const repeat = args.find((a) => /^x\d+$/.test(a));
    const consistency = args.includes("lease") ? "lease" : "readIndex";
    const times = repeat === undefined ? 1 : Number(repeat.slice(1));
    for (let i = 0; i < times; i++) {
      this.reads++;
      cluster.stepNode(id, { type: "read", id: `r${this.reads}`, consistency });
    }
  }

  private log(cluster: Cluster, id: NodeId): string[] {
    const disk = cluster.disk(id);
    const hs = disk.hardState;
    const snapshot =
      disk.snapshot === null ? "" : ` snapshot=${disk.snapshot.index}/${disk.snapshot.term}`;
    const lines = [
      `${id}: durable term=${hs.term} vote=${hs.vote ?? "none"} commit=${hs.commit}${snapshot} log=${formatEntryIds(disk.entries)}`,
    ];
    for (const write of cluster.pendingWrites(id))
      lines.push(`${id}: not durable: ${describeWrite(write)}`);
    return lines;
  }
}

function collapseRepeats(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  const out: string[] = [];
  for (const [line, count] of counts) out.push(count > 1 ? `${line} (x${count})` : line);
  return out;
}

function options(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new ScenarioError(`expected key=value, got "${arg}"`);
    out.set(arg.slice(0, eq), arg.slice(eq + 1));
  }
  return out;
}

const overrideKeys: Record<string, keyof ConfigOverrides> = {
  prevote: "preVote",
  checkquorum: "checkQuorum",
  election: "electionTimeoutTicks",
  heartbeat: "heartbeatIntervalTicks",
  inflight: "inflightMessagesMax",
  maxbytes: "entriesBytesPerMessageMax",
  uncommitted: "uncommittedBytesMax",
  seed: "seed",
  trailing: "snapshotTrailingEntries",
  leasereads: "leaseReads",
  leasedrift: "leaseClockDriftTicks",
};

function parseOverrides(args: readonly string[]): ConfigOverrides {
  const out: Record<string, unknown> = {};
  for (const [key, value] of options(args)) {
    const field = overrideKeys[key];
    if (field === undefined) throw new ScenarioError(`unknown cluster option "${key}"`);
    out[field] = value === "true" ? true : value === "false" ? false : Number(value);
  }
  return out as ConfigOverrides;
}

/** `terms=1,1,4` builds command entries 1/1 2/1 3/4, each holding its own position as data. */
function parseLoad(opts: Map<string, string>) {
  const terms = (opts.get("terms") ?? "")
    .split(",")
    .filter((t) => t !== "")
    .map(Number);
  const entries: Entry[] = terms.map((t, i) => ({
    kind: "command",
    index: (i + 1) as Index,
    term: t as Term,
    data: new TextEncoder().encode(`${i + 1}/${t}`),
  }));
  const vote = opts.get("vote");
  return {
    hardState: {
      term: Number(opts.get("term") ?? terms.at(-1) ?? 0) as Term,
      vote: vote === undefined ? null : nodeId(vote),
      commit: Number(opts.get("commit") ?? 0) as Index,
    },
    snapshot: null,
    entries,
  };
}

const operationKeys: Record<string, MembershipOperation["type"]> = {
  add: "addVoter",
  learner: "addLearner",
  promote: "promote",
  demote: "demote",
  remove: "remove",
};

/** `add=4,5 remove=1 transition=joint force` as a changeMembership event. */
function parseChange(id: string, args: readonly string[]): Event {
  const force = args.includes("force");
  const operations: MembershipOperation[] = [];
  let transition: MembershipTransition = "auto";
  for (const [key, value] of options(args.filter((a) => a !== "force"))) {
    if (key === "transition") {
      transition = value === "explicit" ? "jointExplicitLeave" : (value as MembershipTransition);
      continue;
    }
    const type = operationKeys[key];
    if (type === undefined) throw new ScenarioError(`unknown change option "${key}"`);
    for (const node of value.split(",")) operations.push({ type, id: nodeId(node) });
  }
  return {
    type: "changeMembership",
    id,
    change: { type: "change", operations, transition },
    force,
  };
}

function nodeArg(cluster: Cluster, arg: string | undefined): NodeId {
  const id = cluster.ids.find((n) => n === arg);
  if (id === undefined) throw new ScenarioError(`no node "${arg ?? ""}" in this cluster`);
  return id;
}

function linkArg(cluster: Cluster, arg: string | undefined): [NodeId, NodeId] {
  const [from, to] = (arg ?? "").split("->");
  return [nodeArg(cluster, from), nodeArg(cluster, to)];
}
