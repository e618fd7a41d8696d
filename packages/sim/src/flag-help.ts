// What each `pnpm sim` flag does, for `pnpm sim --help`. Keyed by the flags table (flags.ts), so a
// flag added there without a line here does not compile.
import type { simFlags } from "./flags.js";

/** The flags that choose seeds and output, besides the option overrides of `simFlags`. */
export const runFlagHelp = {
  seed: "first seed, or `random` (printed); default 1",
  seeds: "how many seeds to run from the first; default 1 (then every option is printed)",
  steps: "events in the safety phase of each run; default derived from the seed",
  trace: "print every event of the run",
  verbose: "print each run's options and summary, not only failures",
  json: "print one JSON summary line on stdout; the human lines go to stderr",
  help: "print this help",
} as const;

/** One line per option override; every default is derived from the seed unless said otherwise. */
export const simFlagHelp: Readonly<Record<keyof typeof simFlags, string>> = {
  nodes: "cluster size (voters): 2 to 7",
  loss: "share of messages lost (0-1)",
  duplicate: "share of messages delivered twice (0-1)",
  reorder: "share of messages delayed past later ones (0-1)",
  partition: "how partitions split the network: none, isolate, majority, bridge, asymmetric, mixed",
  "partition-rate": "per tick while whole: chance a partition starts",
  "heal-rate": "per tick while partitioned: chance the network heals",
  "crash-rate": "per node per tick: chance it crashes",
  "leader-fault-rate": "per tick: chance the leader is crashed or cut off",
  "restart-rate": "per crashed node per tick: chance it restarts",
  "membership-rate": "per tick: chance the leader is asked for a random membership change",
  "spare-nodes": "nodes that start empty, outside the configuration, to be added: 0 to 3",
  "snapshot-crash-rate":
    "per piece of snapshot I/O (store, chunk read, chunk received): chance the node crashes then",
  "snapshot-padding":
    "pattern bytes after every snapshot's state (many chunks), checked on restore",
  "corruption-rate":
    "per down node per tick: chance a sector of a snapshot file goes bad at rest (one disk a run)",
  "snapshot-replay":
    "per restart: chance the snapshot chunks the node received before are replayed to it (default 0)",
  "state-machine-delay":
    "virtual ms per apply batch, per 64-byte snapshot slice streamed or restored (file disk)",
  "snapshot-log-ratio":
    "above 0: snapshot by createNode's default policy, once the log since the last holds this share of its size (default 0: by entries)",
  "torn-write": "on a crash: chance the write in progress is torn",
  "torn-garbage": "on a torn write: chance its sector is left scrambled, not cut clean (file disk)",
  "segment-bytes":
    "log segment size; old files over a quarter of it are cut a quarter at a time (file disk)",
  "slow-write": "per write: chance it takes one to three election timeouts longer",
  "disk-full-rate": "per node per tick: chance its disk fills up (file disk; space back later)",
  "fsync-failure": "per fsync: chance it fails with EIO (file disk)",
  "clock-skew": "each node's clock rate is drawn from [1 - X, 1 + X]",
  "latency-min": "least message latency, in virtual ms",
  "latency-max": "greatest message latency (before the odd slow one), in virtual ms",
  "disk-latency-min": "least storage write latency, in virtual ms",
  "disk-latency-max": "greatest storage write latency, in virtual ms",
  clients: "concurrent clients",
  "think-ms": "mean pause between a client's operations, in virtual ms",
  keys: "keys the clients read and write",
  "election-timeout": "election timeout, in ticks",
  amnesia: "on a crash: chance the node comes back from an older backup or an empty data dir",
  "read-share": "share of gets served as reads without a log write (ReadIndex, lease, follower)",
  "read-any-node":
    "share of those reads sent to a random node, followers forwarding them (default 1/3)",
  "transfer-rate": "per tick: chance the leader is asked to hand leadership to a random node",
  "pause-rate":
    "per node per tick: chance its process pauses (GC, SIGSTOP): no ticks, no input (default 0)",
  "pause-max-ms": "longest process pause, in virtual ms (default three election timeouts)",
  "slow-apply":
    "per apply batch: chance the state machine takes one to three election timeouts (default 0)",
  "clock-fault-rate":
    "per node per tick: chance its clock runs at the edge of --clock-skew, slow or fast, a while (default 0)",
  "timeout-now-fault":
    "per TimeoutNow sent: chance its leader is paused or cut off right after (default 0)",
  "forwarded-read-crash":
    "per read a follower forwards: chance it crashes and restarts within a latency each (default 0)",
  "client-stall-ms":
    "a request unanswered this long sends its client to whoever leads now (default 0: never)",
  "read-only-clients": "the first N clients only read (gets) (default 0)",
  "reader-think-ms":
    "the read-only clients' mean wait between gets, in ms (default 0: the same as the others')",
  disk: "file (FileStorage on the simulated disk; the default) or memory (the bare disk, faster)",
};

/** What follows each flag in the usage: the kind of value it takes, if any. */
const placeholderOf: Readonly<Record<string, string>> = {
  seed: " S|random",
  seeds: " N",
  steps: " K",
};

export function simUsage(): string {
  const all: Record<string, string> = { ...runFlagHelp, ...simFlagHelp };
  const named = (flag: string) =>
    `--${flag}${placeholderOf[flag] ?? (flag in simFlagHelp ? " X" : "")}`;
  const width = Math.max(...Object.keys(all).map((f) => named(f).length));
  const line = (flag: string, text: string) => `  ${named(flag).padEnd(width)}  ${text}`;
  return [
    "usage: pnpm sim [flags]   e.g. pnpm sim --seed 42 | pnpm sim --seeds 500 --nodes 5 --loss 0.1",
    "",
    "runs and output:",
    ...Object.entries(runFlagHelp).map(([f, t]) => line(f, t)),
    "",
    "options (each overrides the value derived from the seed):",
    ...Object.entries(simFlagHelp).map(([f, t]) => line(f, t)),
    "",
    "exit codes: 0 ok, 1 crash, 2 liveness, 3 correctness (the most severe wins), 64 usage",
  ].join("\n");
}
