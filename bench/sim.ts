// `pnpm bench sim [--steps N] [--seeds A,B,C] [--disk file|memory]`: simulated events per second
// of @flotilla/sim on 5 nodes, each running the node runtime createNode runs, on FileStorage over
// the simulated page-cache file system by default (`--disk memory`: the bare simulated disk). An
// event is anything the simulator handles: a delivered message, a tick, a disk completion, a
// client or fault event. Each seed's own scenario (loss, partitions, crashes, disk latency) with
// the node count pinned to 5. Wall time includes the final linearizability check. Also printed:
// events per CPU second of this process (user + system), which a machine shared with other work
// does not distort the way it distorts wall time.
//
// `--allocation`: each seed's run under V8's sampling heap profiler (sim-allocation.ts): the bytes
// allocated per event, and the functions that allocate most. Its events/s are not the speed.
//
// `--workload bca3b0b`: the same seeds without the fault kinds drawn since bca3b0b (slow writes,
// full disks, failed fsyncs, leadership transfers), so that a run at that commit and one here
// handle the same scenario (the other options are drawn before these, so they stay as they were).
// Reads are not in either workload (`readShare` is not drawn).
import { parseArgs } from "node:util";
import {
  type DiskKind,
  deriveOptions,
  runSimulation,
  type SimulationOverrides,
} from "@flotilla/sim";
import { type AllocationReport, measureAllocation } from "./sim-allocation.js";

/** How many allocating functions `--allocation` lists per seed. */
const allocationSitesShown = 15;

/** The options bench sim turns off for `--workload bca3b0b`: drawn per seed since that commit. */
const addedSinceBca3b0b: SimulationOverrides = {
  slowWriteProbability: 0,
  diskFullProbability: 0,
  fsyncFailureProbability: 0,
  transferProbability: 0,
};

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      steps: { type: "string", default: "200000" },
      seeds: { type: "string", default: "1,2,3" },
      disk: { type: "string", default: "file" },
      workload: { type: "string", default: "swarm" },
      allocation: { type: "boolean", default: false },
    },
  });
  const workload = String(values.workload);
  if (workload !== "swarm" && workload !== "bca3b0b") {
    throw new RangeError(`--workload must be swarm or bca3b0b, not ${workload}`);
  }
  const steps = Number(values.steps);
  const seeds = String(values.seeds).split(",").map(Number);
  const disk = values.disk as DiskKind;
  const rows: {
    seed: number;
    events: number;
    coreSteps: number;
    seconds: number;
    cpuSeconds: number;
    outcome: string;
    bytesPerEvent: number | null;
  }[] = [];
  console.log(`sim: 5 nodes, ${steps} steps per seed, disk ${disk}, workload ${workload}`);
  console.log("seed   events   core steps   wall s   events/s   events/cpu-s   outcome");
  for (const seed of seeds) {
    const overrides = workload === "bca3b0b" ? addedSinceBca3b0b : {};
    const options = deriveOptions(seed, { ...overrides, steps, nodeCount: 5, disk });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const { result, allocation } = values.allocation
      ? await measureAllocation(() => runSimulation(options))
      : { result: await runSimulation(options), allocation: null };
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    rows.push({
      seed,
      events: result.steps,
      coreSteps: result.coreSteps,
      seconds,
      cpuSeconds,
      outcome: result.outcome,
      bytesPerEvent: allocation === null ? null : Math.round(allocation.bytes / result.steps),
    });
    console.log(
      `${String(seed).padStart(4)} ${String(result.steps).padStart(8)} ${String(result.coreSteps).padStart(12)} ` +
        `${seconds.toFixed(2).padStart(8)} ${rate(result.steps, seconds).padStart(10)} ` +
        `${rate(result.steps, cpuSeconds).padStart(14)}   ${result.outcome}`,
    );
    if (allocation !== null) printAllocation(allocation, result.steps);
  }
  const events = rows.reduce((sum, row) => sum + row.events, 0);
  const seconds = rows.reduce((sum, row) => sum + row.seconds, 0);
  const cpuSeconds = rows.reduce((sum, row) => sum + row.cpuSeconds, 0);
  console.log(
    `total: ${rate(events, seconds)} events/s (wall), ${rate(events, cpuSeconds)} events/cpu-s`,
  );
  console.log(
    JSON.stringify({
      bench: "sim",
      disk,
      workload,
      nodes: 5,
      steps,
      eventsPerSecond: Math.round(events / seconds),
      eventsPerCpuSecond: Math.round(events / cpuSeconds),
      perSeed: rows.map((row) => ({
        seed: row.seed,
        eventsPerSecond: Math.round(row.events / row.seconds),
        eventsPerCpuSecond: Math.round(row.events / row.cpuSeconds),
        outcome: row.outcome,
        ...(row.bytesPerEvent === null ? {} : { bytesPerEvent: row.bytesPerEvent }),
      })),
    }),
  );
}

function printAllocation(report: AllocationReport, events: number): void {
  const perEvent = (bytes: number) => Math.round(bytes / events).toString();
  console.log(`       allocated ${perEvent(report.bytes)} bytes per event; by function:`);
  for (const { site, bytes } of report.byFunction.slice(0, allocationSitesShown)) {
    const share = ((bytes / report.bytes) * 100).toFixed(1);
    console.log(`       ${share.padStart(5)}% ${perEvent(bytes).padStart(5)} B/event  ${site}`);
  }
}

function rate(events: number, seconds: number): string {
  return Math.round(events / seconds).toString();
}
