import type { Membership, NodeId } from "@flotilla/core";
import type { Prng } from "@flotilla/transport-memory";
import type { FaultView } from "./fault-view.js";
import type { MembershipTarget, MembershipWorkload } from "./membership-workload.js";
import { applyPartition } from "./partition-shapes.js";
import type { SimStorage } from "./sim-storage.js";
import type { ScheduledFault } from "./simulation-types.js";

// The faults of the safety phase: random fault rounds drawn from the "faults" PRNG stream, or a
// fixed script in their place. Once the liveness phase begins (`stop`), neither injects more.

/** What a fault does to a node. */
export interface FaultTarget extends MembershipTarget {
  readonly id: NodeId;
  readonly up: boolean;
  crash(torn: Prng | null, tornEntries?: number): void;
  restart(): void;
  backup(): void;
  forget(fromBackup: boolean): void;
  readonly storage: Pick<SimStorage, "fill" | "free" | "full" | "corruptAtRest">;
  /** Asks the node (a leader) to hand leadership to `to`. */
  transferLeadership(to: NodeId): void;
}

/** Per nominal tick, for a full disk: the chance that space comes back. */
const spaceBackProbability = 0.02;

/** Per running node per nominal tick, in runs with amnesia: the chance that a backup is taken. */
const backupProbability = 0.01;

/** What the injector needs from the simulator. */
export interface FaultHost extends FaultView<FaultTarget> {
  /** The node leading the highest term any running node is in, if one does. */
  leader(): FaultTarget | null;
  /** The configuration in force on `node` (the latest in its log). */
  membership(node: FaultTarget): Membership;
  /** Asks leaders for membership changes at random (its own PRNG stream). */
  readonly membershipWorkload: MembershipWorkload;
  /** Calls `round()` at `atMs`. */
  scheduleRound(atMs: number): void;
  /** Calls `scripted(i)` at `atMs`. */
  scheduleScripted(atMs: number, i: number): void;
}

export class FaultInjector {
  crashes = 0;
  amnesias = 0;
  disksFilled = 0;
  partitions = 0;
  transfers = 0;
  corruptions = 0;
  readonly #host: FaultHost;
  readonly #prng: Prng;
  /** Its own stream, so the faults drawn for a seed stay what they were before transfers. */
  readonly #transferPrng: Prng;
  /** Its own stream too: corruption at rest, in runs that draw it. */
  readonly #corruptionPrng: Prng;
  /** A stream of its own for the leader's disk, so the down nodes' draws stay what they were. */
  readonly #runningCorruptionPrng: Prng;
  /** Sectors damaged under a running leader (one a run). */
  runningCorruptions = 0;
  /** The one disk a corruption fault damaged in this run, if any. */
  #damagedDisk: FaultTarget["id"] | null = null;
  readonly #script: readonly ScheduledFault[] | undefined;
  #partitioned = false;
  #healed = false;

  constructor(
    host: FaultHost,
    prng: Prng,
    script: readonly ScheduledFault[] | undefined,
    transferPrng: Prng,
    corruptionPrng: Prng,
  ) {
    this.#host = host;
    this.#corruptionPrng = corruptionPrng;
    this.#runningCorruptionPrng = corruptionPrng.fork("running");
    this.#prng = prng;
    this.#transferPrng = transferPrng;
    this.#script = script;
  }

  /** Schedules the first fault round, or every scripted fault. */
  start(): void {
    const host = this.#host;
    if (this.#script === undefined) host.scheduleRound(host.options.tickMs);
    else {
      this.#script.forEach((fault, i) => {
        host.scheduleScripted(Math.max(0, Math.floor(fault.atMs)), i);
      });
    }
  }

  /** Whether faults are still on: the liveness phase has not begun. */
  get on(): boolean {
    return !this.#healed;
  }

  /** The liveness phase begins: no more faults (the simulator heals the network itself). */
  stop(): void {
    this.#healed = true;
    this.#partitioned = false;
  }

  // One round per nominal tick: maybe partition or heal, maybe crash or restart each node.
  round(): void {
    if (this.#healed) return;
    const host = this.#host;
    const o = host.options;
    const prng = this.#prng;
    if (this.#partitioned && prng.chance(o.healProbability)) {
      host.network.heal();
      this.#partitioned = false;
      host.trace.fault(host.nowMs, "heal");
    } else if (
      !this.#partitioned &&
      o.partitionPattern !== "none" &&
      prng.chance(o.partitionProbability)
    ) {
      this.#partitioned = true;
      this.partitions++;
      host.trace.fault(
        host.nowMs,
        applyPartition(host.network, host.ids, o.partitionPattern, prng),
      );
    }
    const leader = host.leader();
    if (leader !== null && prng.chance(o.leaderFaultProbability)) {
      if (prng.chance(0.5)) {
        this.#crash(leader);
      } else if (!this.#partitioned) {
        this.#partitioned = true;
        this.partitions++;
        host.network.isolate(leader.id, host.ids);
        host.trace.fault(host.nowMs, `partition isolate leader n${leader.id}`);
      }
    }
    const transferFrom = host.leader();
    if (transferFrom !== null && this.#transferPrng.chance(o.transferProbability)) {
      this.transfers++;
      transferFrom.transferLeadership(this.#transferPrng.pick(host.ids));
    }
    const changeFrom = host.leader();
    if (changeFrom !== null && o.membershipProbability > 0) {
      host.membershipWorkload.round(
        changeFrom,
        host.membership(changeFrom),
        o.membershipProbability,
      );
    }
    for (const node of host.nodes) {
      if (node.up && prng.chance(o.crashProbability)) {
        this.#crash(node);
      } else if (!node.up && prng.chance(o.restartProbability)) {
        node.restart();
      } else if (node.up && o.amnesiaProbability > 0 && prng.chance(backupProbability)) {
        node.backup();
      }
    }
    if (o.diskFullProbability > 0) for (const node of host.nodes) this.#diskSpace(node);
    if (o.corruptionProbability > 0 && this.corruptions === 0) this.#corruptOne();
    if (o.corruptionProbability > 0 && this.runningCorruptions === 0) this.#corruptLeader();
    host.scheduleRound(host.nowMs + o.tickMs);
  }

  /**
   * A down node's snapshot file or log may go bad at rest: one sector, one disk per run (a fault
   * of one server, which the rest of the cluster must ride out while that node repairs its
   * snapshot, or for good: a log damaged before a whole record is refused, and the node stays down).
   */
  #corruptOne(): void {
    const host = this.#host;
    const prng = this.#corruptionPrng;
    for (const node of host.nodes) {
      if (node.up || !prng.chance(host.options.corruptionProbability)) continue;
      if (!this.#mayDamage(node.id) || !this.#spares(node)) continue;
      const damaged = node.storage.corruptAtRest(prng, "snapshotsAndLog");
      if (damaged === null) continue;
      this.corruptions++;
      this.#damagedDisk = node.id;
      host.trace.fault(host.nowMs, `n${node.id}'s disk damaged at rest: ${damaged}`);
      return;
    }
  }

  /**
   * The leader's snapshot file may go bad at rest while it runs (once a run): the next chunk it
   * reads to send must fail its check, and the leader take a fresh snapshot instead.
   */
  #corruptLeader(): void {
    const host = this.#host;
    const prng = this.#runningCorruptionPrng;
    const leader = host.leader();
    if (leader === null || !prng.chance(host.options.corruptionProbability)) return;
    if (!this.#mayDamage(leader.id) || !this.#spares(leader)) return;
    const damaged = leader.storage.corruptAtRest(prng, "snapshots");
    if (damaged === null) return;
    this.runningCorruptions++;
    this.#damagedDisk = leader.id;
    host.trace.fault(host.nowMs, `n${leader.id}'s disk damaged at rest while it leads: ${damaged}`);
  }

  /**
   * Both corruption faults damage one disk per run: the fault model's bound. Two damaged disks
   * may be the only ones holding the newest entries, and a node repairing its snapshot never
   * campaigns, so no one could win an election (seed 657, before this bound) — as with two of
   * four servers down.
   */
  #mayDamage(node: FaultTarget["id"]): boolean {
    return this.#damagedDisk === null || this.#damagedDisk === node;
  }

  /**
   * A damaged disk takes its node out until it is repaired (a snapshot quarantined: the node never
   * campaigns until its leader sends one) or for good (a damaged log): only where the other voters
   * of every configuration it votes in still make a majority (three voters or more). Of two, the
   * other may lack the damaged node's newest entries and so never get its vote (seed 30 of the
   * corruption test's `whileLeading` options) or have no one to vote for it (seed 48).
   */
  #spares(node: FaultTarget): boolean {
    const { voters, outgoing } = this.#host.membership(node);
    const spared = (group: readonly NodeId[] | undefined): boolean =>
      group === undefined || !group.includes(node.id) || group.length >= 3;
    return spared(voters) && spared(outgoing);
  }

  /** A running node's disk may fill up (a few KiB left); a full one may get its space back. */
  #diskSpace(node: FaultTarget): void {
    const host = this.#host;
    const prng = this.#prng;
    const storage = node.storage;
    if (storage.full) {
      if (!prng.chance(spaceBackProbability)) return;
      storage.free();
      host.trace.fault(host.nowMs, `space back on the disk of n${node.id}`);
    } else if (node.up && prng.chance(host.options.diskFullProbability)) {
      const headroomBytes = prng.int(8192);
      storage.fill(headroomBytes);
      this.disksFilled++;
      host.trace.fault(host.nowMs, `disk of n${node.id} full (${headroomBytes} bytes left)`);
    }
  }

  /**
   * A random crash, tearing unsynced writes as the options allow; with amnesia in the run, the
   * node may also lose its data. (No draw for amnesia unless it is on: other runs replay as before.)
   */
  #crash(node: FaultTarget): void {
    this.crash(node, this.#prng);
  }

  /** A crash drawn from `prng` (the fault rounds' stream, or another fault's own). */
  crash(node: Pick<FaultTarget, "crash" | "forget">, prng: Prng): void {
    const o = this.#host.options;
    this.crashes++;
    node.crash(prng.chance(o.tornWriteProbability) ? prng : null);
    if (o.amnesiaProbability > 0 && prng.chance(o.amnesiaProbability)) {
      this.amnesias++;
      node.forget(prng.chance(0.5));
    }
  }

  /** Injects the script's fault number `i`. */
  scripted(i: number): void {
    const fault = this.#script?.[i];
    if (fault === undefined || this.#healed) return;
    const host = this.#host;
    const node = (n: number) => host.nodes[n];
    switch (fault.kind) {
      case "crash": {
        const target = node(fault.node);
        if (target?.up) {
          this.crashes++;
          target.crash(null, fault.tornEntries);
        }
        return;
      }
      case "restart": {
        const target = node(fault.node);
        if (target !== undefined && !target.up) target.restart();
        return;
      }
      case "backup":
        node(fault.node)?.backup();
        return;
      case "amnesia": {
        const target = node(fault.node);
        if (target === undefined) return;
        if (target.up) {
          this.crashes++;
          target.crash(null);
        }
        this.amnesias++;
        target.forget(fault.fromBackup);
        return;
      }
      case "partition": {
        const groups = fault.groups.map((g) => g.flatMap((n) => host.ids[n] ?? []));
        host.network.partition(groups);
        this.partitions++;
        host.trace.fault(
          host.nowMs,
          `partition ${groups.map((g) => g.map((n) => `n${n}`).join(",")).join(" | ")}`,
        );
        return;
      }
      case "cut": {
        const from = host.ids[fault.from];
        const to = host.ids[fault.to];
        if (from === undefined || to === undefined || from === to) return;
        host.network.cutLink(from, to);
        host.trace.fault(host.nowMs, `cut n${from}->n${to}`);
        return;
      }
      case "heal":
        host.network.heal();
        host.trace.fault(host.nowMs, "heal");
        return;
      default: {
        const never: never = fault;
        throw new TypeError(`unknown fault ${JSON.stringify(never)}`);
      }
    }
  }
}
