// The loss phases of `pnpm bench kv` (`--loss 0.1,0.3`): a fresh lossless file cluster, then a
// fresh file cluster per share P, every server dropping P of its outgoing Raft datagrams
// (transport-udp dropProbability), 16 clients; each lossy rate as a share of the lossless one
// measured just before it (on a shared machine the load moves in minutes). etcd's phase follows
// each, under the same share of its peer packets dropped by iptables when run as root
// (kv-iptables.ts), else "skipped".
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PhaseResult } from "./closed-loop.js";
import { type EtcdCluster, startEtcd } from "./kv-etcd.js";
import { dropOnLoopbackPorts, iptablesUnavailable } from "./kv-iptables.js";
import { pick, type Row, round2 } from "./kv-report.js";
import { warmCluster } from "./kv-warmup.js";

/** What the loss phases need from the bench: where to work, and how a phase is measured. */
export type LossSettings = {
  /** The run's temporary directory (etcd's data goes in `etcd-loss` there). */
  readonly dir: string;
  /** The shares of datagrams to drop, one phase each. */
  readonly losses: readonly number[];
  /** Untimed PUTs etcd's cluster takes before its first phase, as ours do (kv-warmup.ts). */
  readonly clusterWarmupMs: number;
  /** A fresh Flotilla file cluster started with these kv-server options, measured and closed. */
  measureOurs(name: string, args: readonly string[]): Promise<Row["ours"]>;
  /** etcd's phase through `put`, under the same load as ours. */
  measureEtcd(put: EtcdCluster["put"]): Promise<PhaseResult>;
  /** Registers a clean-up that must run even if the bench ends early. */
  onClose(close: () => Promise<void>): void;
};

/** Runs the loss phases, adds their rows to the table and returns the JSON line's `lossy`. */
export async function lossPhases(
  s: LossSettings,
  rows: Row[],
  etcdBinary: string | null,
): Promise<Record<string, unknown>> {
  const skipped = etcdBinary === null ? "no etcd on PATH" : iptablesUnavailable();
  let etcd: EtcdCluster | null = null;
  if (etcdBinary !== null && skipped === null) {
    await mkdir(join(s.dir, "etcd-loss"));
    etcd = await startEtcd(etcdBinary, join(s.dir, "etcd-loss"));
    s.onClose(etcd.destroy);
    await warmCluster(etcd.put, s.clusterWarmupMs);
  } else {
    console.log(`etcd under loss: skipped (${skipped})`);
  }
  const etcdPhase = async (loss: number) => {
    if (etcd === null) return null;
    const dropped = loss > 0 ? dropOnLoopbackPorts(etcd.peerPorts, loss) : null;
    try {
      return await s.measureEtcd(etcd.put);
    } finally {
      dropped?.remove();
    }
  };
  const lossless = await s.measureOurs("loss0", []);
  const etcdLossless = await etcdPhase(0);
  const label = (what: string) => `file, 16 clients, ${what}`;
  rows.push({ label: label("lossless (fresh cluster)"), ours: lossless, etcd: etcdLossless });
  const lossy: Record<string, unknown> = { lossless: { c16: pick(lossless) } };
  const etcdRates: Record<string, unknown> = {};
  if (etcdLossless !== null) etcdRates.lossless = { c16: pick(etcdLossless) };
  for (const loss of s.losses) {
    const name = `loss${Math.round(loss * 100)}`;
    const ours = await s.measureOurs(name, ["--loss", String(loss)]);
    const theirs = await etcdPhase(loss);
    rows.push({ label: label(`${loss * 100}% loss`), ours, etcd: theirs });
    lossy[name] = {
      c16: pick(ours),
      leaderChanges: ours.leaderChanges,
      minPerSecond: Math.min(...ours.perSecond),
      ofLossless: round2(ours.opsPerSec / Math.max(1, lossless.opsPerSec)),
      ...(theirs === null
        ? {}
        : { oursToEtcd: round2(ours.opsPerSec / Math.max(1, theirs.opsPerSec)) }),
    };
    if (theirs !== null && etcdLossless !== null) {
      etcdRates[name] = {
        c16: pick(theirs),
        minPerSecond: Math.min(...theirs.perSecond),
        ofLossless: round2(theirs.opsPerSec / Math.max(1, etcdLossless.opsPerSec)),
      };
    }
  }
  await etcd?.destroy();
  lossy.etcd = etcd === null ? `skipped: ${skipped}` : etcdRates;
  return lossy;
}
