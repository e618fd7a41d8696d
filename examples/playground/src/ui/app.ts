import { type NodeId, nodeId, type ReadConsistency } from "@flotilla/core";
import {
  forceElection,
  healAll,
  isolate,
  propose,
  setLink,
  takeSnapshot,
  toggleLink,
  toggleUp,
} from "../model/actions.js";
import { addServer, changeMember, read, transferLeadership } from "../model/admin.js";
import { Timeline } from "../model/timeline.js";
import type { World } from "../model/types.js";
import { advance, advanceTo, createWorld, leaderOf } from "../model/world.js";
import { type LiveElements, LiveView } from "./live-view.js";
import { memberOfCluster } from "./membership.js";

// The live playground: a timeline of worlds, a cursor into it, and a loop that, while playing,
// moves virtual time forward with the wall clock (scaled by the speed) and records the new world.
// Every control turns the world at the cursor into a new one; from a past moment that starts a
// new branch. Rendering reads only the world at the cursor.

/** Virtual ms per real ms. At 1× a 10 ms tick takes 100 ms: slow enough to follow messages. */
export const speeds = [0.025, 0.05, 0.1, 0.2, 0.5, 2] as const;
const speedLabels = ["¼×", "½×", "1×", "2×", "5×", "20×"] as const;
const frameMsMax = 100;

export type Elements = LiveElements & {
  readonly scrubber: HTMLInputElement;
  readonly play: HTMLButtonElement;
  readonly speed: HTMLElement;
  readonly selected: HTMLElement;
};

export class App {
  timeline: Timeline;
  playing = false;
  speedIndex = 2;
  selected: NodeId | null = null;
  #rendered: World | null = null;
  #renderedSelection: NodeId | null = null;
  #lastFrameMs: number | null = null;
  /** Called when playing starts (main.ts starts the animation loop). */
  onPlay: () => void = () => {};
  readonly #el: Elements;
  readonly #view: LiveView;
  #proposals = 0;

  constructor(elements: Elements, seed: number, nodeCount: number) {
    this.#el = elements;
    this.#view = new LiveView(elements);
    this.timeline = new Timeline(createWorld({ seed, nodeCount }));
  }

  get world(): World {
    return this.timeline.current;
  }

  restartRun(seed: number, nodeCount: number): void {
    this.timeline = new Timeline(createWorld({ seed, nodeCount }));
    this.selected = null;
    this.render();
  }

  /** One animation frame: advance virtual time while playing, then draw if anything changed. */
  frame(nowMs: number): void {
    const elapsed =
      this.#lastFrameMs === null ? 0 : Math.min(frameMsMax, nowMs - this.#lastFrameMs);
    this.#lastFrameMs = nowMs;
    if (this.playing && elapsed > 0) {
      const target = this.world.timeMs + elapsed * speeds[this.speedIndex]!;
      this.timeline.push(advanceTo(this.world, target));
    }
    this.render();
  }

  /** The animation loop stopped: the next frame starts the clock afresh. */
  pauseClock(): void {
    this.#lastFrameMs = null;
  }

  act(change: (world: World) => World): void {
    this.timeline.push(change(this.world));
    this.render();
  }

  togglePlay(): void {
    this.playing = !this.playing;
    this.render(true);
    if (this.playing) this.onPlay();
  }

  stepOne(): void {
    this.playing = false;
    this.act(advance);
  }

  fastForward(ms: number): void {
    this.act((world) => advanceTo(world, world.timeMs + ms));
  }

  /** Moves the cursor through the recorded moments (and pauses: you are looking at the past). */
  seek(position: number): void {
    this.playing = false;
    this.timeline.seek(position);
    this.render(true);
  }

  changeSpeed(delta: number): void {
    this.speedIndex = Math.max(0, Math.min(speeds.length - 1, this.speedIndex + delta));
    this.render(true);
  }

  select(id: string | null): void {
    this.selected = id === null ? null : nodeId(id);
    this.render();
  }

  selectNumber(n: number): void {
    const node = this.world.nodes[n - 1];
    if (node !== undefined) this.select(node.id);
  }

  /** The selected node, or the leader, or the first node: what a node action applies to. */
  target(): NodeId {
    return this.selected ?? leaderOf(this.world)?.id ?? this.world.nodes[0]!.id;
  }

  proposeValue(text: string): void {
    this.#proposals++;
    const [key, value] = text.includes("=") ? text.split("=", 2) : ["x", text];
    this.act((world) =>
      propose(world, key || "x", value || String(this.#proposals), this.selected ?? undefined),
    );
  }

  /** Reads `key` at the selected node (a follower forwards it to its leader) or the leader. */
  readKey(key: string, consistency: ReadConsistency): void {
    this.act((world) => read(world, key || "x", consistency, this.selected ?? undefined));
  }

  /**
   * Adds a server as a learner: the selected one if it is not a member yet (a refused add asked
   * again), else a new one.
   */
  addServer(): void {
    this.act((world) => {
      const selected = world.nodes.find((node) => node.id === this.selected);
      const outside = selected !== undefined && !memberOfCluster(world, selected.id);
      return addServer(world, outside ? selected.id : undefined);
    });
  }

  changeMember(type: "promote" | "demote" | "remove"): void {
    this.act((world) => changeMember(world, type, this.target()));
  }

  /** Hands leadership to the selected node (with nothing selected, the leader: refused as `self`). */
  transfer(): void {
    this.act((world) => transferLeadership(world, this.target()));
  }

  crashOrRestart(): void {
    this.act((world) => toggleUp(world, this.target()));
  }

  election(): void {
    this.act((world) => forceElection(world, this.target()));
  }

  snapshot(): void {
    this.act((world) => takeSnapshot(world, this.target()));
  }

  isolateTarget(): void {
    this.act((world) => isolate(world, this.target()));
  }

  heal(): void {
    this.act(healAll);
  }

  link(a: string, b: string): void {
    this.act((world) => toggleLink(world, nodeId(a), nodeId(b)));
  }

  setLoss(percent: number): void {
    this.act((world) => setLink(world, { lossProbability: percent / 100 }));
  }

  setLatency(maxMs: number): void {
    this.act((world) =>
      setLink(world, { latencyMinMs: Math.max(1, Math.round(maxMs / 3)), latencyMaxMs: maxMs }),
    );
  }

  render(force = false): void {
    const world = this.world;
    if (!force && world === this.#rendered && this.selected === this.#renderedSelection) return;
    this.#rendered = world;
    this.#renderedSelection = this.selected;
    const el = this.#el;
    this.#view.draw(world, this.selected);
    el.scrubber.max = String(this.timeline.length - 1);
    el.scrubber.value = String(this.timeline.cursor);
    el.scrubber.setAttribute(
      "aria-valuetext",
      `moment ${this.timeline.cursor + 1} of ${this.timeline.length}`,
    );
    el.play.textContent = this.playing ? "Pause" : "Play";
    el.play.setAttribute("aria-pressed", String(this.playing));
    el.speed.textContent = speedLabels[this.speedIndex]!;
    el.selected.textContent = this.selected ?? `${this.target()} (leader or first)`;
  }
}
