import { init, step } from "@flotilla/core/runtime";
import {
  deriveOptions,
  runSimulation,
  type SimulationOverrides,
  simFlags,
  type ViolationKind,
} from "@flotilla/sim";
import type { PackedFrames } from "./frames.js";
import { type PlantedDefectName, plantedDefects } from "./planted-defects.js";
import { Recorder } from "./recorder.js";

// A `pnpm sim` command line, pasted, run by the real simulator with a recorder on its core seam.
// Runs in a Web Worker (replay-worker.ts) so the page stays responsive; plain data in and out.

export type ReplayRequest = {
  /** What `pnpm sim` printed or was given: `pnpm sim --seed 42 --nodes 5 --loss 0.1`. */
  readonly command: string;
  /** One of the simulator's planted defects, or null for the real core. */
  readonly defect: PlantedDefectName | null;
  /**
   * Record every step to watch it (the default), or only run it: the fingerprint and verdict
   * alone, at the simulator's own speed.
   */
  readonly record?: boolean;
};

export type ReplayResult = {
  readonly seed: number;
  readonly command: string;
  readonly defect: PlantedDefectName | null;
  readonly outcome: string;
  readonly steps: number;
  readonly simulatedMs: number;
  readonly fingerprint: string;
  readonly violation: {
    readonly kind: ViolationKind;
    readonly node: string | null;
    readonly detail: string;
  } | null;
  readonly livenessFailure: string | null;
  readonly error: string | null;
  readonly nodeIds: readonly string[];
  /** Every step as a frame; none when the request asked not to record. */
  readonly frames: PackedFrames | null;
  /** The frame of the step that exposed the violation (the run stops there). */
  readonly violationFrame: number | null;
  /** Wall time of the simulation (with its recording), and of packing the frames to post. */
  readonly runMs: number;
  readonly packMs: number;
};

/** The options whose flags take words, not numbers (as the CLI reads them). */
const textFields = new Set<string>(["partitionPattern", "disk"]);

/** Thrown for a command line the simulator would refuse too. */
export class ReplayCommandError extends Error {}

export function parseSimCommand(text: string): { seed: number; overrides: SimulationOverrides } {
  const tokens = text.trim().split(/\s+/);
  const start = tokens.findIndex((token) => token.startsWith("--"));
  const flags = start < 0 ? [] : tokens.slice(start);
  let seed = 1;
  const overrides: Record<string, unknown> = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!.replace(/^--/, "");
    const value = flags[i + 1];
    if (flag === "trace" || flag === "verbose") continue;
    if (value === undefined || value.startsWith("--"))
      throw new ReplayCommandError(`--${flag} needs a value`);
    i++;
    if (flag === "seed") seed = numberOf(flag, value);
    else if (flag === "steps") overrides.steps = numberOf(flag, value);
    else if (flag === "seeds") throw new ReplayCommandError("one seed at a time: drop --seeds");
    else if (flag in simFlags) {
      const field = simFlags[flag as keyof typeof simFlags];
      overrides[field] = textFields.has(field) ? value : numberOf(flag, value);
    } else throw new ReplayCommandError(`unknown flag --${flag}`);
  }
  return { seed, overrides: overrides as SimulationOverrides };
}

function numberOf(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value))
    throw new ReplayCommandError(`--${flag} needs a number, got ${text}`);
  return value;
}

export async function runReplay(
  request: ReplayRequest,
  nowMs: () => number,
): Promise<ReplayResult> {
  const { seed, overrides } = parseSimCommand(request.command);
  const options = deriveOptions(seed, overrides);
  // A run with membership changes has spare nodes (waiting to be added) after the voters.
  const nodeCount = options.nodeCount + options.spareNodeCount;
  const nodeIds = Array.from({ length: nodeCount }, (_, i) => String(i + 1));
  const recorder =
    request.record === false ? null : new Recorder(nodeIds, undefined, options.steps);
  // The runtime's init and step are the core's own, typed on the full state the recorder reads.
  const core = request.defect === null ? { init, step } : plantedDefects[request.defect];
  const started = nowMs();
  const result = await runSimulation(
    options,
    recorder === null ? { core } : { core: recorder.wrap(core), traceListener: recorder.listen },
  );
  const ran = nowMs();
  const frames = recorder?.pack() ?? null;
  const packMs = nowMs() - ran;
  const flags = request.command.trim().split(/\s+/);
  const canonical = `pnpm sim ${flags
    .slice(
      Math.max(
        0,
        flags.findIndex((t) => t.startsWith("--")),
      ),
    )
    .join(" ")}`;
  return {
    seed,
    command: canonical,
    defect: request.defect,
    outcome: result.outcome,
    steps: result.steps,
    simulatedMs: result.simulatedMs,
    fingerprint: result.fingerprint,
    violation: result.violation,
    livenessFailure: result.livenessFailure,
    error: result.error === null ? null : String(result.error),
    nodeIds,
    frames,
    violationFrame: result.outcome === "correctness" && frames !== null ? frames.count - 1 : null,
    runMs: ran - started,
    packMs,
  };
}
