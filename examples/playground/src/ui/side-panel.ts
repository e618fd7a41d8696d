import type { ClientOp, World } from "../model/types.js";
import { escapeHtml } from "./palette.js";

// The client operations with their outcomes, and what just happened.

const outcomeMark = {
  pending: "… pending",
  accepted: "⋯ accepted",
  committed: "✓ committed",
  rejected: "✗ rejected",
  unknown: "? unknown",
} as const satisfies Record<ClientOp["outcome"], string>;

export function opsHtml(world: World): string {
  if (world.ops.length === 0) return `<li class="empty">no client operations yet (press P)</li>`;
  return world.ops
    .slice()
    .reverse()
    .map(
      (op) =>
        `<li class="op ${op.outcome}" data-op="${op.id}" data-outcome="${op.outcome}" data-node="${op.node}" data-index="${op.index ?? ""}" data-term="${op.term ?? ""}"><b>${op.id}</b> put ${escapeHtml(op.key)}=${escapeHtml(op.value)} → ${op.node}: <span>${outcomeMark[op.outcome]}</span> <small>${escapeHtml(op.detail)}</small></li>`,
    )
    .join("");
}

export function statusLine(world: World): string {
  const drops = world.drops.length;
  return `t = <b data-time="${world.timeMs}">${(world.timeMs / 1000).toFixed(3)} s</b> · event <b>${world.events}</b> · ${world.inFlight.length} in flight · last: ${escapeHtml(world.lastEvent)}${drops > 0 ? ` · last drop: ${world.drops.at(-1)?.reason}` : ""}`;
}
