// What `pnpm bench --help` and `pnpm bench NAME --help` print: each benchmark in a line, and each
// of its flags with its default. One table beside run.ts's list; bench/help.test.ts checks that
// every flag a benchmark's parseArgs accepts is described here, so the two cannot drift apart.

export type BenchHelp = {
  /** One line: what the benchmark measures. */
  readonly summary: string;
  /** Each flag (without `--`) and what it does, default included. */
  readonly flags: Readonly<Record<string, string>>;
};

export const benchHelp: Readonly<Record<string, BenchHelp>> = {
  core: {
    summary: "the reducer alone: a 3-node cluster of cores in one process, entries/s",
    flags: {
      entries: "entries proposed in the pipelined phase (default 1000000)",
      sequential: "proposals committed one at a time (default 100000)",
      inflight: "proposals in flight in the pipelined phase (default 1000)",
      "large-log": "entries in the log of the large-log phase (default 1000000)",
    },
  },
  storage: {
    summary: "durable appends through FileStorage: fsyncs/s and entries/s",
    flags: {
      seconds: "length of each measured round, in seconds (default 5)",
      rounds: "rounds to run (default 5)",
      dir: "directory the storage writes in (default: the system temp directory)",
      "beside-snapshot-mb":
        "instead: the log's appends while two snapshots of this many MB are written and put in force at once, twice",
    },
  },
  udp: {
    summary: "UDP round trips, the transport's throughput, and a 3-process cluster over UDP",
    flags: {
      rounds: "raw ping-pong round trips measured (default 20000)",
      warmup: "round trips before measuring (default 2000)",
      messages: "small messages sent between two transports (default 100000)",
      fragmented: "16 KiB messages sent between two transports (default 5000)",
      "cluster-ms": "measured window of each cluster phase, in ms (default 3000)",
      "cluster-warmup-ms": "warm-up of each cluster phase, in ms (default 1000)",
      "payload-bytes": "bytes per proposal in the cluster phases (default 64)",
      "tick-ms": "the cluster nodes' tick, in ms (default 10)",
      "max-datagram-bytes": "the cluster transports' datagram size (default: the transport's)",
      "busy-poll-us": "keep polling the socket this many µs after traffic (default 0: off)",
      "cpu-prof": "write a V8 CPU profile of every cluster process into this directory",
      trace: "record the 1-in-flight phase in every process into this directory",
      "storage-dir": "cluster nodes use FileStorage (fsync) under this directory (default: memory)",
    },
  },
  compaction: {
    summary: "is a node's memory flat in the length of its log? (heap growth, target < 20 MB)",
    flags: {
      entries: "commands applied (default 1000000)",
      "snapshot-every": "applied entries between snapshots (default 10000)",
      trailing: "entries kept before each snapshot (default 1000)",
      batch: "proposals per step (default 100)",
    },
  },
  network: {
    summary: "raw throughput of the simulated network (messages/s)",
    flags: {
      messages: "messages delivered (default 2000000)",
      seed: "the network's PRNG seed (default 1)",
    },
  },
  codec: {
    summary: "encode and decode throughput of a typical AppendEntries",
    flags: {
      entries: "entries per message (default 64)",
      bytes: "bytes per entry (default 64)",
      ms: "measured time per direction, in ms (default 2000)",
    },
  },
  driver: {
    summary: "proposals/s through createNode: 1 and 3 nodes over an in-process network",
    flags: {
      proposals: "proposals made (default 200000)",
      window: "proposals in flight (default 1000)",
      bytes: "bytes per proposal (default 64)",
    },
  },
  kv: {
    summary: "examples/kv under closed-loop PUT load, side by side with etcd when on PATH",
    flags: {
      quick: "short phases (2 s measured, 0.5 s warm-up) for a smoke run",
      "duration-ms": "measured window of each phase, in ms (default 5000; 2000 with --quick)",
      "warmup-ms": "warm-up of each phase, in ms (default 1000; 500 with --quick)",
      "cluster-warmup-ms":
        "untimed PUTs each fresh cluster, etcd's too, takes before its first phase: 64 clients, then 1 (default 2000; 0: none)",
      "large-value-bytes": "value size of the large-values phase (default 1048576)",
      loss: "comma-separated shares of Raft datagrams to drop in the lossy phases (e.g. 0.1,0.3)",
      "no-etcd": "skip etcd even when an etcd binary is on PATH",
      "server-args": 'extra kv-server options for every Flotilla cluster ("--tick-ms 20")',
      "reads-only": "run one 64-client PUT phase and the read phases (log, ReadIndex, lease) alone",
      "loss-only": "run the loss phases alone (a lossless cluster, then one per --loss share)",
      "read-rounds":
        "how many times the three read phases run, interleaved; reads are their means (default 3)",
      "c1-rounds":
        "1-client rounds of the full run, etcd's after each: file.c1 and etcd.c1 are the median-ratio round's (default 3)",
      "http-floor":
        "add a GET /health phase (HTTP, no Raft work) to each read round: reads.httpFloor, the bound",
      "put-only":
        "run only the file-storage PUT phases (etcd's after each), --rounds times: putRounds in the JSON",
      clients: "client counts of the --put-only phases, comma-separated (default 1,16,64)",
      rounds: "how many times --put-only repeats its phases, interleaved with etcd (default 1)",
      "value-bytes": "value size of the --put-only phases (default 64)",
      "cpu-prof": "write a V8 CPU profile of every kv server process into this directory",
      trace:
        "with --put-only: one more 1-client phase, traced in every process into this directory, and where a PUT's time goes",
    },
  },
  latency: {
    summary: "commit latency through the driver over a memory network with a fixed delay",
    flags: {
      seconds: "measured time per in-flight level, in seconds (default 3)",
      "delay-ms": "one-way delay of every message, in ms (default 5)",
      virtual: "run on virtual time: work takes no time, only the protocol's own waiting shows",
      workers:
        "each node on its own worker thread (own event loop and heap), as separate processes would be",
      loss: "share of datagrams lost, each message lost whole if any of its datagrams is (default 0)",
      "datagram-bytes": "datagram size that messages are cut into for --loss (default 1232)",
      "election-ticks": "election timeout in 10 ms ticks (default 10)",
      "message-bytes": "entriesBytesPerMessageMax of every node (default: the core's)",
      seed: "seed of the loss draws (default 1)",
      "write-ms":
        "each storage write that touches the log takes this long, an fsync's stand-in (default 0)",
      "think-ms": "each lane waits a seeded random 0..N ms between its proposals (default 0)",
      "plain-timers":
        "deliver on plain timers, ~0.5-1 ms late a message (default: a timer, then a sleep to the due time)",
      inflight: "comma-separated proposals in flight, one phase each (default 1,8,64)",
      "young-mb":
        "young generation of each thread that runs nodes, in MB; 0: V8's default (default 3)",
      "off-heap-log":
        "nodes keep their log encoded off the JS heap, as FileStorage does (default: MemoryStorage)",
    },
  },
  growth: {
    summary: "a kv cluster whose state grows large: throughput, stalls, catch-up by snapshot, RSS",
    flags: {
      "state-mb": "state size to reach, in MiB (default 200)",
      phases: "phases of equal growth; a follower is down for the second half (default 4)",
      clients: "concurrent writers (default 16)",
      "value-bytes": "bytes per value, each on a new key (default 1024)",
      "time-limit-s": "stop growing after this many seconds (default 1800)",
      "server-args": "extra kv-server options for every server",
      "profile-dir": "write a V8 CPU profile of every server process into this directory",
      "log-dir": "copy every server's log into this directory at the end",
      "node-args": "extra options for node in every server process (--node-args=--trace-gc)",
      "stall-causes":
        "say what each phase's stalls >= 40 ms were: GC pauses, waiting for a CPU, blocked",
    },
  },
  failover: {
    summary:
      "time from a leader fault (kill, stop, partition) to a client's next acknowledged write",
    flags: {
      trials: "trials of each fault (default 10)",
      "time-limit-s": "start no further round of trials after this many seconds (default 600)",
      "server-args": 'extra kv-server options for every node ("--election-ticks 30")',
    },
  },
  pauses: {
    summary:
      "leader and follower frozen (SIGSTOP) for less than an election timeout under writes: leader changes",
    flags: {
      "pause-ms": "comma-separated freeze lengths, each in turn (default 50,100,150,180)",
      rounds: "rounds of all the freeze lengths, on the leader then on a follower (default 5)",
      writers: "closed-loop writers (default 8)",
      "gap-ms": "writing time between freezes (default 300)",
      "server-args": 'extra kv-server options for every node ("--election-ticks 30")',
    },
  },
  sim: {
    summary: "simulated events/s of the cluster simulator running the shipped runtime",
    flags: {
      steps: "steps per seed (default 200000)",
      seeds: "comma-separated seeds (default 1,2,3)",
      disk: "file (FileStorage on the simulated disk, the default) or memory",
      workload:
        "swarm (each seed's whole scenario, the default) or bca3b0b (without the storage faults and leadership transfers drawn since, to compare with that commit)",
      allocation:
        "run each seed under V8's sampling heap profiler: bytes allocated per event and the functions that allocate most (the run is slower: its events/s are not the speed)",
    },
  },
};

/** Flags every benchmark takes, handled by run.ts. */
export const commonFlags: Readonly<Record<string, string>> = {
  json: "print only the final JSON line on stdout; the human lines go to stderr as progress",
  help: "print this help",
};

export function benchUsage(names: readonly string[]): string {
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((n) => `  ${n.padEnd(width)}  ${benchHelp[n]?.summary ?? ""}`);
  return [
    "usage: pnpm bench <name> [--json] [options]   (pnpm bench <name> --help lists its options)",
    "",
    ...lines,
  ].join("\n");
}

export function benchFlagsUsage(name: string): string {
  const help = benchHelp[name];
  const flags = { ...(help?.flags ?? {}), ...commonFlags };
  const width = Math.max(...Object.keys(flags).map((f) => f.length + 2));
  return [
    `usage: pnpm bench ${name} [options]`,
    "",
    `  ${help?.summary ?? ""}`,
    "",
    ...Object.entries(flags).map(([flag, text]) => `  ${`--${flag}`.padEnd(width)}  ${text}`),
  ].join("\n");
}
