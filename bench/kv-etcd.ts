// The etcd side of `bench kv`: a 3-node etcd cluster on loopback (the `etcd` binary on PATH, e.g.
// Debian's: `apt-get update && apt-get install -y etcd-server`), each member a child process
// tracked by pid and SIGKILLed at the end, data under the caller's temporary directory. Clients
// talk gRPC through the `etcd3` npm client, as a Node user of etcd would. etcd keeps its defaults
// (100 ms heartbeat, 1 s election timeout, fsync on every commit).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { freeTcpPorts } from "../examples/kv/src/local-cluster.js";
import { pause } from "./closed-loop.js";

const host = "127.0.0.1";

export type EtcdCluster = {
  readonly endpoints: readonly string[];
  /** The members' peer (Raft) ports on 127.0.0.1, where `bench kv --loss` drops packets. */
  readonly peerPorts: readonly number[];
  put(key: string, value: Buffer): Promise<void>;
  /** The members' pids (their CPU is read from /proc). */
  pids(): number[];
  /** Closes the client and SIGKILLs every member by pid. */
  destroy(): Promise<void>;
};

/** The etcd binary on PATH, or null. */
export function findEtcd(): string | null {
  try {
    return execFileSync("sh", ["-c", "command -v etcd"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export async function startEtcd(binary: string, dir: string): Promise<EtcdCluster> {
  const names = ["e1", "e2", "e3"];
  const ports = await freeTcpPorts(names.length * 2);
  const peerUrl = (i: number) => `http://${host}:${ports[names.length + i]}`;
  const clientUrl = (i: number) => `http://${host}:${ports[i]}`;
  const initialCluster = names.map((name, i) => `${name}=${peerUrl(i)}`).join(",");
  const children: ChildProcess[] = [];
  const killAll = () => {
    for (const child of children) if (child.exitCode === null) tryKill(child.pid);
  };
  process.on("exit", killAll);
  for (const [i, name] of names.entries()) {
    const args = [
      ...["--name", name, "--data-dir", join(dir, name)],
      ...["--listen-client-urls", clientUrl(i), "--advertise-client-urls", clientUrl(i)],
      ...["--listen-peer-urls", peerUrl(i), "--initial-advertise-peer-urls", peerUrl(i)],
      ...["--initial-cluster", initialCluster, "--initial-cluster-state", "new"],
      ...["--initial-cluster-token", "flotilla-bench", "--logger", "zap", "--log-level", "warn"],
    ];
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const log = createWriteStream(join(dir, `${name}.log`));
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    children.push(child);
  }
  const endpoints = names.map((_, i) => clientUrl(i));
  const client = new Etcd3({ hosts: [...endpoints] });
  const cluster: EtcdCluster = {
    endpoints,
    peerPorts: names.map((_, i) => ports[names.length + i]!),
    // Bounded like the kv client's requests (5 s): under packet loss a call may wait on TCP
    // retransmissions, and a phase ends only when every client's last call has.
    put: (key, value) => withDeadline(client.put(key).value(value).exec(), 5000),
    pids: () => children.flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
    destroy: async () => {
      client.close();
      killAll();
      await Promise.all(
        children.map((c) =>
          c.exitCode === null && c.signalCode === null
            ? new Promise((resolve) => c.once("exit", resolve))
            : undefined,
        ),
      );
      process.off("exit", killAll);
    },
  };
  const deadline = performance.now() + 20_000;
  for (;;) {
    try {
      await cluster.put("bench-ready", Buffer.from("1"));
      return cluster;
    } catch (error) {
      if (performance.now() > deadline || children.some((c) => c.exitCode !== null)) {
        await cluster.destroy();
        throw new Error(`etcd did not start (logs in ${dir}): ${(error as Error).message}`);
      }
      await pause(100);
    }
  }
}

async function withDeadline(call: PromiseLike<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  try {
    await Promise.race([call, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function tryKill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
