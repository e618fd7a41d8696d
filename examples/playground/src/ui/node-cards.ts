import { type Entry, status } from "@flotilla/core";
import type { SimNode, World } from "../model/types.js";
import { memberKind, memberLabel } from "./membership.js";
import { escapeHtml, termColour, termTextColour } from "./palette.js";

// One card per node: role, term, vote, the election timer, and the log as cells coloured by term
// AND labelled with it. Committed cells are solid, uncommitted ones dashed and pale; applied
// cells carry a dot; a snapshot is the "S" cell standing for everything it replaced.

const cellsShown = 24;
const utf8 = new TextDecoder();

export function nodeCardsHtml(world: World, selected: string | null): string {
  return world.nodes.map((node) => cardHtml(node, selected)).join("");
}

export function cardHtml(node: SimNode, selected: string | null): string {
  const view = status(node.state);
  const role = node.up ? view.role : "crashed";
  const timer =
    view.role === "leader" || !node.up ? 0 : view.electionElapsedTicks / view.electionTimeoutTicks;
  // The node's own view of the configuration: what it acts on (a learner never campaigns).
  const member = memberKind(view.membership, node.id);
  const attrs = `data-node="${node.id}" data-role="${role}" data-member="${member}" data-term="${view.term}" data-commit="${view.commit}" data-applied="${view.applied}" data-up="${node.up}"`;
  return `<article class="card ${role} ${member}${selected === node.id ? " selected" : ""}" ${attrs}>
<header><button class="pick" data-pick="${node.id}" aria-label="select ${node.id}">${node.id}</button>
<span class="role">${roleLabel(role)}</span><span class="member ${member}">${memberLabel[member]}</span>
<span>term <b>${view.term}</b></span><span>vote ${view.vote ?? "–"}</span>
<span class="timer-bar" title="election timer: ${view.electionElapsedTicks} of ${view.electionTimeoutTicks} ticks"><span style="width:${Math.round(Math.min(1, timer) * 100)}%"></span></span>
<span>commit ${view.commit} · applied ${view.applied}</span>
<span class="kv" data-kv="${escapeHtml(kvText(node))}">store: ${escapeHtml(kvText(node)) || "empty"}</span></header>
<ol class="log" aria-label="log of ${node.id}">${logCells(node, view.commit, view.applied)}</ol>
</article>`;
}

/** The node's key-value store, as `k=v` pairs sorted by key (a few of them). */
function kvText(node: SimNode): string {
  const keys = [...node.kv.keys()].sort();
  const shown = keys.slice(0, 6).map((key) => `${key}=${node.kv.get(key)}`);
  return shown.join(" ") + (keys.length > shown.length ? " …" : "");
}

function roleLabel(role: string): string {
  return (
    {
      leader: "★ leader",
      candidate: "? candidate",
      preCandidate: "? pre-vote",
      follower: "follower",
      crashed: "✕ crashed",
    }[role] ?? role
  );
}

function logCells(node: SimNode, commit: number, applied: number): string {
  const { snapshot, entries } = node.durable;
  const shown = entries.slice(-cellsShown);
  const cells: string[] = [];
  if (snapshot !== null && shown.length === entries.length) {
    const style = `background:${termColour(snapshot.term)};color:${termTextColour(snapshot.term)}`;
    cells.push(
      `<li class="cell snapshot committed" style="${style}" title="snapshot: everything up to ${snapshot.index} (term ${snapshot.term})">S${snapshot.index}</li>`,
    );
  } else if (shown.length < entries.length) {
    cells.push(
      `<li class="cell more" title="${entries.length - shown.length} earlier entries">…</li>`,
    );
  }
  for (const entry of shown) cells.push(cellHtml(entry, commit, applied));
  return cells.join("");
}

function cellHtml(entry: Entry, commit: number, applied: number): string {
  const committed = entry.index <= commit;
  const isApplied = entry.index <= applied;
  const colour = termColour(entry.term);
  const style = committed
    ? `background:${colour};color:${termTextColour(entry.term)}`
    : `border-color:${colour}`;
  const what = entry.kind === "command" ? utf8.decode(entry.data.subarray(0, 40)) : entry.kind;
  const title = `index ${entry.index}, term ${entry.term}: ${what}; ${committed ? "committed" : "not committed"}${isApplied ? ", applied" : ""}`;
  const classes = `cell${committed ? " committed" : ""}${isApplied ? " applied" : ""}${entry.kind === "noop" ? " noop" : ""}`;
  return `<li class="${classes}" style="${style}" data-index="${entry.index}" data-term="${entry.term}" data-committed="${committed}" title="${title.replace(/"/g, "&quot;")}">${entry.term}</li>`;
}
