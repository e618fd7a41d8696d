import type { SimNode, World } from "../model/types.js";
import { clusterFlightSvg, clusterNodeSvg, clusterStaticSvg, linkCount } from "./cluster-view.js";
import { cardHtml, nodeCardsHtml } from "./node-cards.js";
import { configLine, opsHtml, statusLine } from "./side-panel.js";

// Draws a world into the page, touching only what changed since the last one: worlds share what
// did not change, so an unchanged node, link set or operation list is the very same object. Per
// frame that leaves the messages in flight, the status line and the one or two nodes an event
// moved (a tick, a delivery), which keeps a frame's work small at 7 nodes: those nodes' cards and
// their shapes in the drawing are replaced, the rest of the page is left alone.

export type LiveElements = {
  readonly svgStatic: SVGGElement;
  readonly svgFlight: SVGGElement;
  readonly cards: HTMLElement;
  readonly ops: HTMLElement;
  readonly status: HTMLElement;
  readonly config: HTMLElement;
};

export class LiveView {
  readonly #el: LiveElements;
  #nodes: readonly SimNode[] = [];
  #cuts: readonly string[] | null = null;
  #ops: World["ops"] | null = null;
  #selected: string | null = null;

  constructor(elements: LiveElements) {
    this.#el = elements;
  }

  draw(world: World, selected: string | null): void {
    const el = this.#el;
    const selectionMoved = selected !== this.#selected;
    this.#drawStatic(world, selected, selectionMoved);
    if (world.nodes !== this.#nodes) el.config.innerHTML = configLine(world);
    el.svgFlight.innerHTML = clusterFlightSvg(world);
    this.#drawCards(world, selected, selectionMoved);
    if (world.ops !== this.#ops) el.ops.innerHTML = opsHtml(world);
    el.status.innerHTML = statusLine(world);
    this.#nodes = world.nodes;
    this.#cuts = world.cuts;
    this.#ops = world.ops;
    this.#selected = selected;
  }

  /**
   * Links and nodes: all of it when the links, the node count or the selection changed, else
   * only the nodes the last events moved (most frames move one or none).
   */
  #drawStatic(world: World, selected: string | null, selectionMoved: boolean): void {
    const svg = this.#el.svgStatic;
    const count = world.nodes.length;
    if (
      selectionMoved ||
      world.cuts !== this.#cuts ||
      count !== this.#nodes.length ||
      svg.children.length !== linkCount(count) + count
    ) {
      svg.innerHTML = clusterStaticSvg(world, selected);
      return;
    }
    if (world.nodes === this.#nodes) return;
    world.nodes.forEach((node, i) => {
      if (node !== this.#nodes[i]) {
        svg.children[linkCount(count) + i]!.outerHTML = clusterNodeSvg(world, i, selected);
      }
    });
  }

  #drawCards(world: World, selected: string | null, selectionMoved: boolean): void {
    const cards = this.#el.cards;
    if (
      selectionMoved ||
      world.nodes.length !== this.#nodes.length ||
      cards.children.length !== world.nodes.length
    ) {
      cards.innerHTML = nodeCardsHtml(world, selected);
      return;
    }
    world.nodes.forEach((node, i) => {
      if (node !== this.#nodes[i]) cards.children[i]!.outerHTML = cardHtml(node, selected);
    });
  }
}
