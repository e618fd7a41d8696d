import { type Message, status } from "@flotilla/core";
import { isCut } from "../model/network.js";
import type { Drop, Flight, World } from "../model/types.js";
import { lerp, nodePoint, type Point, rimToRim } from "./geometry.js";
import { memberKind, memberLabel } from "./membership.js";
import { escapeHtml, termColour } from "./palette.js";

// The cluster as an SVG drawing: nodes on a circle (role spelled out, election timer as an arc),
// the links between them (click one, or drag from one node to another, to cut or heal it; cut
// links are dashed red with a ✂), the messages in flight at their position along the wire
// (shape = type, hue = term, details on hover), and recent drops as a ✕ where the message died.

const nodeRadius = 9;
const dropShowMs = 120;

/** The number of links between `count` nodes: the drawing's first children, before the nodes. */
export function linkCount(count: number): number {
  return (count * (count - 1)) / 2;
}

/** Links and nodes: redrawn only when a node, a link or the selection changed. */
export function clusterStaticSvg(world: World, selected: string | null): string {
  const points = world.nodes.map((_, i) => nodePoint(i, world.nodes.length));
  const parts: string[] = [];
  for (let i = 0; i < world.nodes.length; i++) {
    for (let j = i + 1; j < world.nodes.length; j++) parts.push(linkSvg(world, i, j, points));
  }
  world.nodes.forEach((_, i) => {
    parts.push(nodeSvg(world, i, points[i]!, selected));
  });
  return parts.join("");
}

/** Node `i` alone, to replace its shape when only it changed. */
export function clusterNodeSvg(world: World, i: number, selected: string | null): string {
  return nodeSvg(world, i, nodePoint(i, world.nodes.length), selected);
}

/** Messages in flight and recent drops: they move with every frame. */
export function clusterFlightSvg(world: World): string {
  const points = world.nodes.map((_, i) => nodePoint(i, world.nodes.length));
  const parts: string[] = [];
  for (const flight of world.inFlight) parts.push(flightSvg(world, flight, points));
  for (const drop of world.drops) {
    if (world.timeMs - drop.atMs <= dropShowMs) parts.push(dropSvg(world, drop, points));
  }
  return parts.join("");
}

function linkSvg(world: World, i: number, j: number, points: readonly Point[]): string {
  const a = world.nodes[i]!.id;
  const b = world.nodes[j]!.id;
  const cut = isCut(world, a, b) || isCut(world, b, a);
  const [p, q] = rimToRim(points[i]!, points[j]!, nodeRadius);
  const mid = lerp(p, q, 0.5);
  const label = `${cut ? "heal" : "cut"} the link ${a} ↔ ${b}`;
  return `<g class="link${cut ? " cut" : ""}" data-link="${a},${b}" role="button" tabindex="-1" aria-label="${label}">
<title>${label}</title>
<line class="hit" x1="${p.x}" y1="${p.y}" x2="${q.x}" y2="${q.y}"/>
<line class="wire" x1="${p.x}" y1="${p.y}" x2="${q.x}" y2="${q.y}"/>
${cut ? `<text class="scissors" x="${mid.x}" y="${mid.y}">✂</text>` : ""}</g>`;
}

function endpoints(world: World, from: string, to: string, points: readonly Point[]) {
  const i = world.nodes.findIndex((n) => n.id === from);
  const j = world.nodes.findIndex((n) => n.id === to);
  return rimToRim(points[i]!, points[j]!, nodeRadius);
}

function flightSvg(world: World, flight: Flight, points: readonly Point[]): string {
  const [p, q] = endpoints(world, flight.from, flight.to, points);
  const span = Math.max(1, flight.deliverAtMs - flight.sentAtMs);
  const at = lerp(p, q, Math.min(1, Math.max(0, (world.timeMs - flight.sentAtMs) / span)));
  const m = flight.message;
  const title = `${m.type} ${m.from} → ${m.to}, term ${m.term}${describe(m)}`;
  return `<g class="msg" data-type="${m.type}"><title>${escapeHtml(title)}</title>${shape(m, at)}</g>`;
}

function describe(m: Message): string {
  switch (m.type) {
    case "requestVote":
      return `${m.preVote ? " (pre-vote)" : ""}${m.transfer === true ? " (transfer)" : ""}, last log ${m.lastLogIndex}/${m.lastLogTerm}`;
    case "requestVoteResponse":
      return `${m.preVote ? " (pre-vote)" : ""}: ${m.granted ? "granted" : "refused"}`;
    case "appendEntries":
      return `, ${m.entries.length} entries after ${m.prevLogIndex}/${m.prevLogTerm}, commit ${m.leaderCommit}`;
    case "appendEntriesResponse":
      return m.success ? `: ok up to ${m.matchIndex}` : `: conflict at ${m.conflictIndex}`;
    case "installSnapshot":
      return `, snapshot at ${m.snapshotIndex}, bytes ${m.offset}+${m.data.length}`;
    case "installSnapshotResponse":
      return `: ${m.receivedBytes} bytes${m.done ? ", done" : ""}`;
    case "readIndexRequest":
      return ` #${m.requestId}`;
    case "readIndexResponse":
      return m.success
        ? ` #${m.requestId}: read index ${m.readIndex}`
        : ` #${m.requestId}: refused`;
    case "timeoutNow":
      return ": campaign now (leadership transfer)";
    case "snapshotRequest":
      return `: send me a snapshot at or past ${m.snapshotIndex}`;
    default:
      return m satisfies never;
  }
}

/** Requests are filled, responses hollow; votes are circles, appends squares, snapshots diamonds. */
function shape(m: Message, at: Point): string {
  const colour = termColour(m.term);
  const response = m.type.endsWith("Response");
  const style = response ? `fill="#fff" stroke="${colour}" stroke-width="0.9"` : `fill="${colour}"`;
  const r = 2;
  if (m.type.startsWith("requestVote"))
    return `<circle cx="${at.x}" cy="${at.y}" r="${r}" ${style}/>`;
  if (m.type.startsWith("appendEntries")) {
    return `<rect x="${at.x - r}" y="${at.y - r}" width="${2 * r}" height="${2 * r}" ${style}/>`;
  }
  const d = `M${at.x} ${at.y - r * 1.4}L${at.x + r * 1.4} ${at.y}L${at.x} ${at.y + r * 1.4}L${at.x - r * 1.4} ${at.y}Z`;
  return `<path d="${d}" ${style}/>`;
}

function dropSvg(world: World, drop: Drop, points: readonly Point[]): string {
  const [p, q] = endpoints(world, drop.from, drop.to, points);
  const t = drop.reason === "crashed" ? 0.92 : drop.reason === "cut" ? 0.2 : 0.5;
  const at = lerp(p, q, t);
  const title = `${drop.messageType} ${drop.from} → ${drop.to} dropped: ${drop.reason}`;
  return `<text class="drop" data-drop="${drop.reason}" data-from="${drop.from}" data-to="${drop.to}" x="${at.x}" y="${at.y}"><title>${title}</title>✕</text>`;
}

function nodeSvg(world: World, i: number, at: Point, selected: string | null): string {
  const node = world.nodes[i]!;
  const view = status(node.state);
  const role = node.up ? view.role : "crashed";
  const colour = node.up ? termColour(view.term) : "#777";
  // The election timer as an arc filling up towards the timeout; a leader's does not run.
  const fraction =
    view.role === "leader" || !node.up ? 0 : view.electionElapsedTicks / view.electionTimeoutTicks;
  const arc = timerArc(at, nodeRadius + 1.6, Math.min(1, fraction));
  const member = memberKind(view.membership, node.id);
  const label = {
    leader: "★ leader",
    candidate: "? candidate",
    preCandidate: "? pre-vote",
    follower: "follower",
    crashed: "✕ crashed",
  }[role];
  return `<g class="node ${role} ${member}${selected === node.id ? " selected" : ""}" data-node="${node.id}" role="button" tabindex="-1" aria-label="select ${node.id}">
<title>${node.id}: ${label}, ${memberLabel[member]}, term ${view.term}, voted ${view.vote ?? "nobody"}; timer ${view.electionElapsedTicks}/${view.electionTimeoutTicks} ticks</title>
<circle class="body" cx="${at.x}" cy="${at.y}" r="${nodeRadius}" stroke="${colour}"/>
${arc === "" ? "" : `<path class="timer" d="${arc}"/>`}
<text class="name" x="${at.x}" y="${at.y - 1.5}">${node.id}</text>
<text class="role" x="${at.x}" y="${at.y + 3}">${label}</text>
<text class="term" x="${at.x}" y="${at.y + 6.5}">term ${view.term}${member === "voter" ? "" : ` · ${member}`}</text></g>`;
}

function timerArc(c: Point, r: number, fraction: number): string {
  if (fraction <= 0) return "";
  const end = -Math.PI / 2 + 2 * Math.PI * Math.min(fraction, 0.999);
  const x = c.x + r * Math.cos(end);
  const y = c.y + r * Math.sin(end);
  return `M${c.x} ${c.y - r}A${r} ${r} 0 ${fraction > 0.5 ? 1 : 0} 1 ${x} ${y}`;
}
