import { status } from "@flotilla/core";
import type { ClientOp, World } from "../model/types.js";
import { leaderOf } from "../model/world.js";
import { membershipText } from "./membership.js";
import { escapeHtml } from "./palette.js";

// The client operations with their outcomes, and what just happened.

const outcomeMark = {
  pending: "… pending",
  accepted: "⋯ accepted",
  committed: "✓ committed",
  served: "✓ served",
  done: "✓ done",
  rejected: "✗ rejected",
  failed: "✗ failed",
  unknown: "? unknown",
} as const satisfies Record<ClientOp["outcome"], string>;

export function opsHtml(world: World): string {
  if (world.ops.length === 0)
    return `<li class="empty">no client operations yet (press P to propose, R to read)</li>`;
  return world.ops
    .slice()
    .reverse()
    .map(
      (op) =>
        `<li class="op ${op.outcome}" data-op="${op.id}" data-kind="${op.kind}" data-outcome="${op.outcome}" data-node="${op.node}" data-index="${op.index ?? ""}" data-term="${op.term ?? ""}"${op.value === null ? "" : ` data-value="${escapeHtml(op.value)}"`}><b>${op.id}</b> ${escapeHtml(op.what)} → ${op.node}: <span>${outcomeMark[op.outcome]}</span> <small>${escapeHtml(op.detail)}</small></li>`,
    )
    .join("");
}

export function statusLine(world: World): string {
  const drops = world.drops.length;
  return `t = <b data-time="${world.timeMs}">${(world.timeMs / 1000).toFixed(3)} s</b> · event <b>${world.events}</b> · ${world.inFlight.length} in flight · last: ${escapeHtml(world.lastEvent)}${drops > 0 ? ` · last drop: ${world.drops.at(-1)?.reason}` : ""}`;
}

/** The configuration in force as the leader sees it (or the first running node, without one). */
export function configLine(world: World): string {
  const source = leaderOf(world) ?? world.nodes.find((node) => node.up);
  if (source === undefined) return "configuration: every node is down";
  const membership = status(source.state).membership;
  return `configuration <small>(as ${source.id} sees it)</small>: <span data-config>${escapeHtml(membershipText(membership))}</span>`;
}
