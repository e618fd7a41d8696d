// A cluster of kv servers as child processes on loopback: the demo and the multi-process tests
// drive it. Ports are picked free at run time, data lives under one directory the caller owns.
// Every child is tracked by pid and killed (SIGKILL) when `destroy()` runs or this process exits,
// so an error half-way never leaves servers behind.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KvClient } from "./client.js";
import { type LogRecord, parseLogRecords, readableLog } from "./log-records.js";
import type { ServerStatus } from "./server-views.js";

const host = "127.0.0.1";
const serverScript = fileURLToPath(new URL("./server.ts", import.meta.url));
/** The package directory: `--import tsx` resolves from the child's working directory. */
const packageDir = fileURLToPath(new URL("..", import.meta.url));

export type LocalClusterOptions = {
  /** The initial configuration's voters. */
  readonly ids: readonly string[];
  /**
   * Nodes outside the initial configuration: each starts with --join (asking the running nodes
   * for the cluster's addresses) and waits to be added (`kv member add`).
   */
  readonly joiners?: readonly string[];
  /** Where each node's data directory and log file go. */
  readonly dir: string;
  /** Extra server options for every node, e.g. ["--snapshot-every", "50"]. */
  readonly serverArgs?: readonly string[];
  /** Extra options for node itself, before the script, e.g. ["--cpu-prof"]. */
  readonly nodeArgs?: readonly string[];
  /** Let tests cut a node off its peers (`partition`): FLOTILLA_FAULT_INJECTION=1 on each. */
  readonly faultInjection?: boolean;
};

type Member = {
  readonly id: string;
  readonly joins: boolean;
  readonly raftPort: number;
  readonly apiPort: number;
  child: ChildProcess | null;
  exited: Promise<void> | null;
};

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort: a crashed or interrupted parent still takes its servers down with it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) if (child.pid !== undefined) tryKill(child.pid, "SIGKILL");
  });
}

export class LocalCluster {
  readonly ids: readonly string[];
  readonly dir: string;
  readonly keyHex = randomBytes(32).toString("hex");
  readonly #members: Map<string, Member>;
  readonly #serverArgs: readonly string[];
  readonly #nodeArgs: readonly string[];
  readonly #faultInjection: boolean;
  readonly #logs = new Map<string, WriteStream>();

  private constructor(options: LocalClusterOptions, members: Member[]) {
    this.ids = members.map((m) => m.id);
    this.dir = options.dir;
    this.#serverArgs = options.serverArgs ?? [];
    this.#nodeArgs = options.nodeArgs ?? [];
    this.#faultInjection = options.faultInjection ?? false;
    this.#members = new Map(members.map((m) => [m.id, m]));
  }

  /** Picks free ports for every node; starts nothing. */
  static async create(options: LocalClusterOptions): Promise<LocalCluster> {
    const ids = [...options.ids, ...(options.joiners ?? [])];
    const udp = await freeUdpPorts(ids.length);
    const tcp = await freeTcpPorts(ids.length);
    const members = ids.map((id, i) => ({
      id,
      joins: i >= options.ids.length,
      raftPort: udp[i] as number,
      apiPort: tcp[i] as number,
      child: null,
      exited: null,
    }));
    return new LocalCluster(options, members);
  }

  url(id: string): string {
    return `http://${host}:${this.#member(id).apiPort}`;
  }

  get urls(): string[] {
    return this.ids.map((id) => this.url(id));
  }

  /** Node `id`'s Raft (UDP) address, HOST:PORT. */
  raftAddress(id: string): string {
    return `${host}:${this.#member(id).raftPort}`;
  }

  /** Node `id`'s client (HTTP) address, HOST:PORT. */
  apiAddress(id: string): string {
    return `${host}:${this.#member(id).apiPort}`;
  }

  pid(id: string): number | null {
    return this.#member(id).child?.pid ?? null;
  }

  isRunning(id: string): boolean {
    return this.#member(id).child !== null;
  }

  logFile(id: string): string {
    return join(this.dir, `${id}.log`);
  }

  /** Starts node `id` and waits until its API answers (tsx compiling the sources takes ~20 s under load). */
  async start(id: string, readyTimeoutMs = 60_000): Promise<void> {
    const member = this.#member(id);
    if (member.child !== null) throw new Error(`node ${id} is already running`);
    // The initial configuration's nodes know each other from the command line; a joining node
    // knows itself and asks the running nodes for the rest.
    const all = [...this.#members.values()];
    const known = member.joins ? [member] : all.filter((m) => !m.joins);
    const running = all.filter((m) => m.child !== null);
    const args = [
      ...this.#nodeArgs,
      "--conditions=@flotilla/source",
      "--import",
      "tsx",
      serverScript,
      ...["--id", id, "--data-dir", join(this.dir, id)],
      ...["--peers", known.map((m) => `${m.id}=${host}:${m.raftPort}`).join(",")],
      ...["--api", known.map((m) => `${m.id}=${host}:${m.apiPort}`).join(",")],
      ...(member.joins ? ["--join", running.map((m) => `${host}:${m.apiPort}`).join(",")] : []),
      ...this.#serverArgs,
    ];
    installExitHook();
    const child = spawn(process.execPath, args, {
      cwd: packageDir,
      env: {
        ...process.env,
        FLOTILLA_KEY_HEX: this.keyHex,
        ...(this.#faultInjection ? { FLOTILLA_FAULT_INJECTION: "1" } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    member.child = child;
    let log = this.#logs.get(id);
    if (log === undefined) {
      log = createWriteStream(this.logFile(id), { flags: "a" });
      this.#logs.set(id, log);
    }
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    member.exited = new Promise<void>((resolve) => {
      child.once("exit", () => {
        live.delete(child);
        if (member.child === child) member.child = null;
        resolve();
      });
    });
    await this.#waitReady(member, readyTimeoutMs);
  }

  /** Sends `signal` to node `id`'s process by pid and waits until it has exited. */
  async kill(id: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const member = this.#member(id);
    const pid = member.child?.pid;
    if (pid === undefined) return;
    tryKill(pid, signal);
    await member.exited;
  }

  /** Resolves once node `id`'s process has exited (at once if it is not running). */
  async exited(id: string): Promise<void> {
    await this.#member(id).exited;
  }

  /** Sends `signal` (e.g. SIGSTOP, SIGCONT) to node `id` by pid, without waiting for anything. */
  signal(id: string, signal: NodeJS.Signals): void {
    const pid = this.#member(id).child?.pid;
    if (pid !== undefined) tryKill(pid, signal);
  }

  /**
   * Cuts node `id` off from `peers` both ways (every Raft message between them dropped on `id`'s
   * side); `[]` heals. Needs `faultInjection`.
   */
  async partition(id: string, peers: readonly string[]): Promise<void> {
    const response = await fetch(`${this.url(id)}/admin/partition`, {
      method: "POST",
      body: JSON.stringify({ cut: peers }),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`partition ${id}: HTTP ${response.status}`);
  }

  async restart(id: string): Promise<void> {
    await this.kill(id);
    await this.start(id);
  }

  /**
   * Polls until the running nodes agree on one leader in one term (a majority of the voters it
   * knows of name it); returns its id.
   */
  async waitForLeader(timeoutMs = 15_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      const statuses = await this.statuses();
      const leaders = statuses.filter((s) => s.role === "leader");
      const leader = leaders.length === 1 ? leaders[0] : undefined;
      if (leader !== undefined) {
        const majority = Math.floor(leader.membership.voters.length / 2) + 1;
        const agree = statuses.filter((s) => s.leader === leader.id && s.term === leader.term);
        if (agree.length >= majority) return leader.id;
      }
      await pause(50);
    }
    throw new Error(`no leader elected within ${timeoutMs} ms`);
  }

  /** Waits until every running node applied at least `index`. */
  async waitForApplied(index: number, timeoutMs = 15_000): Promise<ServerStatus[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const statuses = await this.statuses();
      const running = this.ids.filter((id) => this.isRunning(id)).length;
      if (statuses.length === running && statuses.every((s) => s.appliedIndex >= index)) {
        return statuses;
      }
      if (performance.now() > deadline) {
        const seen = statuses.map((s) => `${s.id}@${s.appliedIndex}`).join(", ");
        throw new Error(`nodes did not apply index ${index} within ${timeoutMs} ms (${seen})`);
      }
      await pause(50);
    }
  }

  /** The status of every running node that answers. */
  async statuses(): Promise<ServerStatus[]> {
    const client = new KvClient({ servers: this.urls, requestTimeoutMs: 1000 });
    const running = this.ids.filter((id) => this.isRunning(id));
    const answers = await Promise.all(
      running.map((id) => client.status(this.url(id)).catch(() => null)),
    );
    return answers.filter((s): s is ServerStatus => s !== null);
  }

  async readLog(id: string): Promise<string> {
    return readFile(this.logFile(id), "utf8").catch(() => "");
  }

  /** Node `id`'s log records, oldest first (its servers write JSON lines: stdout is a pipe). */
  async logRecords(id: string): Promise<LogRecord[]> {
    return parseLogRecords(await this.readLog(id));
  }

  /** Kills every node this cluster started (by pid) and waits for them to exit. */
  async destroy(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.kill(id)));
    for (const log of this.#logs.values()) log.end();
    this.#logs.clear();
  }

  async #waitReady(member: Member, timeoutMs: number): Promise<void> {
    const client = new KvClient({ servers: [this.url(member.id)], requestTimeoutMs: 1000 });
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (member.child === null) {
        const tail = readableLog(await this.readLog(member.id))
          .slice(-8)
          .join("\n");
        throw new Error(`node ${member.id} exited during start-up; its log ends:\n${tail}`);
      }
      try {
        await client.status(this.url(member.id));
        return;
      } catch {
        await pause(50);
      }
    }
    await this.kill(member.id);
    throw new Error(`node ${member.id} did not answer within ${timeoutMs} ms`);
  }

  #member(id: string): Member {
    const member = this.#members.get(id);
    if (member === undefined) throw new Error(`unknown node ${id}`);
    return member;
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Ports free right now (bind to 0, read, release). Another process could take one meanwhile. */
export async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = Array.from({ length: count }, () => createSocket("udp4"));
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.bind(0, host, () => r()))));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export async function freeTcpPorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, host, () => r()))));
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
