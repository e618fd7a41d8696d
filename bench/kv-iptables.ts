// Packet loss for the etcd side of `bench kv --loss P`: iptables rules that drop a random share of
// the TCP packets to and from etcd's peer ports on 127.0.0.1 (the `statistic` match), so etcd runs
// under the same loss as the Flotilla servers (whose UDP transport drops its own datagrams). Only
// as root with iptables on PATH; otherwise the caller prints why it skipped. Every rule lives in
// one chain of our own (named after this process), jumped to from INPUT, and `remove` deletes the
// jump and the chain; a process `exit` hook does the same if the bench dies first, so no rule
// outlives the run, and only ports this run started are touched.
import { execFileSync } from "node:child_process";

export type PacketLoss = {
  /** Deletes every rule this loss added. Idempotent. */
  remove(): void;
};

/** Why iptables loss cannot run here, or null if it can. */
export function iptablesUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root";
  try {
    execFileSync("iptables", ["-S", "INPUT"], { stdio: "ignore", timeout: 10_000 });
    return null;
  } catch {
    return "no working iptables on PATH";
  }
}

/**
 * Drops `probability` of the TCP packets whose source or destination is 127.0.0.1:`port`, for
 * each of `ports`, until `remove()`.
 */
export function dropOnLoopbackPorts(ports: readonly number[], probability: number): PacketLoss {
  if (!(probability > 0 && probability < 1)) {
    throw new RangeError(`loss probability must be in (0, 1), got ${probability}`);
  }
  const chain = `FLOTILLA_BENCH_${process.pid}`;
  const iptables = (...args: string[]) =>
    execFileSync("iptables", ["-w", "5", ...args], { stdio: "ignore", timeout: 10_000 });
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off("exit", remove);
    // Each step on its own: a step that fails (already gone) must not keep the others from running.
    for (const args of [
      ["-D", "INPUT", "-j", chain],
      ["-F", chain],
      ["-X", chain],
    ]) {
      try {
        iptables(...args);
      } catch {
        // Not there (any more).
      }
    }
  };
  process.on("exit", remove);
  try {
    iptables("-N", chain);
    for (const port of ports) {
      for (const direction of ["--dport", "--sport"]) {
        iptables(
          ...["-A", chain, "-i", "lo", "-p", "tcp", direction, String(port)],
          ...["-s", "127.0.0.1", "-d", "127.0.0.1"],
          ...["-m", "statistic", "--mode", "random", "--probability", String(probability)],
          ...["-j", "DROP"],
        );
      }
    }
    iptables("-I", "INPUT", "-j", chain);
  } catch (error) {
    remove();
    throw error;
  }
  return { remove };
}
