// `pnpm bench udp` part (b): three Flotilla nodes over the UDP transport, each in its own process
// (udp-cluster-worker.ts), with MemoryStorage (or FileStorage: --storage-dir) and an in-memory
// state machine. The leader runs a
// closed loop with 1 and then 64 proposals in flight; committed proposals/s and propose→resolve
// latency (p50/p99) are measured in the leader process.
import { type ChildProcess, fork } from "node:child_process";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePorts, timePingPong } from "./loopback-udp.js";
import type { LoadResult, WorkerReply, WorkerRequest } from "./udp-cluster-worker.js";

const host = "127.0.0.1";
const workerScript = fileURLToPath(new URL("./udp-cluster-worker.ts", import.meta.url));
const echoScript = fileURLToPath(new URL("./udp-echo-worker.ts", import.meta.url));

export type ClusterOptions = {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly payloadBytes: number;
  readonly tickMs: number;
  /** The transport's maxDatagramBytes; undefined keeps its default (about 1,200 bytes). */
  readonly maxDatagramBytes: number | undefined;
  /** The transports' busyPollUs (0: off, the default). */
  readonly busyPollUs: number;
  /** Write each process's trace of the 1-in-flight phase into this directory (udp-trace.ts). */
  readonly traceDir: string | undefined;
  /** FileStorage for each node in a directory of its own under this one; undefined: memory. */
  readonly storageDir: string | undefined;
  /** Extra node flags for the workers, e.g. ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"]. */
  readonly workerExecArgv: readonly string[];
};

/** CPU time (user + system) each process spent per committed proposal in the measured window. */
export type CpuPerCommit = { readonly leaderUs: number; readonly followersUs: readonly number[] };

export type ClusterRun = LoadResult & { readonly cpuPerCommit: CpuPerCommit };

export type ClusterResult = {
  readonly inflight1: ClusterRun;
  readonly inflight64: ClusterRun;
  /** The trace files the processes wrote (empty without traceDir), complete once it resolves. */
  readonly traceFiles: readonly string[];
};

type Worker = { readonly id: string; readonly child: ChildProcess };

export async function clusterBench(options: ClusterOptions): Promise<ClusterResult> {
  const ports = await freePorts(3, host);
  const ids = ["a", "b", "c"];
  const peers = Object.fromEntries(ids.map((id, i) => [id, `${host}:${ports[i]}`]));
  const workers: Worker[] = [];
  try {
    for (const id of ids) {
      const child = fork(
        workerScript,
        [
          ...[
            "--id",
            id,
            "--peers",
            JSON.stringify(peers),
            "--key",
            "benchmark cluster key, not a secret",
          ],
          ...["--tick-ms", String(options.tickMs), "--payload-bytes", String(options.payloadBytes)],
          ...(options.maxDatagramBytes === undefined
            ? []
            : ["--max-datagram-bytes", String(options.maxDatagramBytes)]),
          ...["--busy-poll-us", String(options.busyPollUs)],
          ...(options.traceDir === undefined
            ? []
            : ["--trace", join(options.traceDir, `${id}.json`)]),
          ...(options.storageDir === undefined
            ? []
            : ["--storage-dir", join(options.storageDir, id)]),
        ],
        {
          execArgv: ["--conditions=@flotilla/source", "--import", "tsx", ...options.workerExecArgv],
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        },
      );
      workers.push({ id, child });
    }
    await Promise.all(workers.map((w) => next(w, "ready")));
    const run = async (inflight: number): Promise<ClusterRun> => {
      // Asked again for every phase: the leader of the previous one may have lost an election
      // since (on a loaded machine), and proposals on a follower only fail.
      const leader = await waitForLeader(workers);
      const request: WorkerRequest = {
        type: "load",
        inflight,
        durationMs: options.durationMs,
        warmupMs: options.warmupMs,
      };
      leader.child.send(request);
      const answered = next(leader, "load", options.warmupMs + options.durationMs + 30_000);
      // CPU is sampled from the end of the warm-up (our timer, close enough to the leader's) to
      // the answer, which the leader sends as soon as its measured window ends.
      await new Promise((resolve) => setTimeout(resolve, options.warmupMs));
      const cpuFrom = await cpuTimes(workers);
      const answer = await answered;
      const cpuTo = await cpuTimes(workers);
      if (answer.type !== "load") throw new Error("unexpected answer");
      const perCommit = (i: number) =>
        Math.round((cpuTo[i]! - cpuFrom[i]!) / Math.max(1, answer.result.committed));
      const leaderAt = workers.indexOf(leader);
      const cpuPerCommit = {
        leaderUs: perCommit(leaderAt),
        followersUs: workers.flatMap((_, i) => (i === leaderAt ? [] : [perCommit(i)])),
      };
      return { ...answer.result, cpuPerCommit };
    };
    const traceFiles =
      options.traceDir === undefined ? [] : ids.map((id) => join(options.traceDir!, `${id}.json`));
    return { inflight1: await run(1), inflight64: await run(64), traceFiles };
  } finally {
    // Ask nicely (so --cpu-prof can write its profile), then make sure, by pid.
    await Promise.all(
      workers.map(async (w) => {
        if (w.child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => w.child.once("exit", () => resolve()));
        w.child.send({ type: "stop" } satisfies WorkerRequest);
        const timer = setTimeout(
          () => w.child.pid !== undefined && process.kill(w.child.pid, "SIGKILL"),
          5000,
        );
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

/**
 * Raw node:dgram round trips between this process and an echo process (p50/p99 in µs): the floor
 * for a round trip between cluster processes, which part (a)'s in-process ping-pong is not, since
 * there neither side ever sleeps.
 */
export async function crossProcessRtt(
  rounds: number,
  warmup: number,
): Promise<{ p50Us: number; p99Us: number }> {
  const child = fork(echoScript, [], {
    execArgv: ["--conditions=@flotilla/source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const socket = createSocket("udp4");
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once("message", (m) => resolve((m as { port: number }).port));
      child.once("exit", () => reject(new Error("the echo process exited")));
    });
    await new Promise<void>((r) => socket.bind(0, host, () => r()));
    const samples = await timePingPong(socket, host, port, rounds, warmup);
    samples.sort();
    const at = (q: number) =>
      Math.round((samples[Math.min(rounds - 1, Math.floor(q * rounds))] ?? 0) * 10) / 10;
    return { p50Us: at(0.5), p99Us: at(0.99) };
  } finally {
    await new Promise<void>((r) => socket.close(() => r()));
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }
}

/** Each worker's CPU time so far (user + system), µs, in `workers` order. */
async function cpuTimes(workers: readonly Worker[]): Promise<number[]> {
  return Promise.all(
    workers.map(async (w) => {
      w.child.send({ type: "cpu" } satisfies WorkerRequest);
      const answer = await next(w, "cpu");
      return answer.type === "cpu" ? answer.userUs + answer.systemUs : 0;
    }),
  );
}

async function waitForLeader(workers: readonly Worker[]): Promise<Worker> {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    const statuses = await Promise.all(
      workers.map(async (w) => {
        w.child.send({ type: "status" } satisfies WorkerRequest);
        return next(w, "status");
      }),
    );
    const leaders = statuses.flatMap((s) =>
      s.type === "status" && s.role === "leader" ? [s.id] : [],
    );
    const agreed = statuses.every((s) => s.type === "status" && s.leader === leaders[0]);
    const leader = workers.find((w) => w.id === leaders[0]);
    if (leaders.length === 1 && agreed && leader !== undefined) return leader;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("no leader within 15 s");
}

/** The worker's next reply of `type` (an error reply or an exit rejects). */
function next(worker: Worker, type: WorkerReply["type"], timeoutMs = 15_000): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`worker ${worker.id}: no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (raw: unknown): void => {
      const message = raw as WorkerReply;
      if (message.type === "error") done(new Error(`worker ${worker.id}: ${message.message}`));
      else if (message.type === type) done(null, message);
    };
    const onExit = (code: number | null): void =>
      done(new Error(`worker ${worker.id} exited (${code})`));
    function done(error: Error | null, message?: WorkerReply): void {
      clearTimeout(timer);
      worker.child.off("message", onMessage);
      worker.child.off("exit", onExit);
      if (error !== null) reject(error);
      else resolve(message as WorkerReply);
    }
    worker.child.on("message", onMessage);
    worker.child.once("exit", onExit);
  });
}
