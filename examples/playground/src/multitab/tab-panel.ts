import {
  bufferedStateMachine,
  createNode,
  type FlotillaNode,
  MemoryStorage,
  NotLeaderError,
  nodeId,
} from "@flotilla/core";
import { encodeKvCommand, type KvOutput, KvStateMachine } from "@flotilla/kv-model";
import { escapeHtml } from "../ui/palette.js";
import { BroadcastTransport } from "./broadcast-transport.js";

// Multi-tab mode: this tab IS a node. It runs the real driver (`createNode`, real timers) over
// the BroadcastChannel transport, with the key-value state machine, as one of three members
// tab1..tab3 (chosen by ?tab=N). Open the other two, propose, then close the leader's tab and
// watch the other two elect a new leader.
// NB: storage is in memory, so a reopened tab starts with an empty disk; a production node must
// never rejoin under its old id without its disk (it could vote twice in a term).

export const tabChannel = "flotilla-playground-tabs";
const members = ["tab1", "tab2", "tab3"].map(nodeId);

export class TabPanel {
  readonly #root: HTMLElement;
  readonly #number: number;
  #node: FlotillaNode<KvOutput> | null = null;
  readonly #kv = new KvStateMachine();
  #last = "";
  #proposals = 0;

  constructor(root: HTMLElement, tabNumber: number) {
    this.#root = root;
    this.#number = Math.min(members.length, Math.max(1, tabNumber));
  }

  get started(): boolean {
    return this.#node !== null;
  }

  async start(): Promise<void> {
    const id = members[this.#number - 1]!;
    const others = members
      .map((member, i) =>
        member === id
          ? ""
          : `<a href="?tab=${i + 1}#tabs" target="_blank" rel="noopener">open ${member}</a>`,
      )
      .join(" ");
    this.#root.innerHTML = `<h2>This tab is node <b>${id}</b></h2>
<p>Each tab runs a real <code>createNode</code> over a <code>BroadcastChannel</code> transport. ${others}</p>
<p id="tab-status" aria-live="polite"></p>
<form id="tab-propose"><input id="tab-value" placeholder="key=value" aria-label="value to propose" /><button type="submit">propose</button></form>
<p id="tab-result"></p>`;
    const node = createNode<KvOutput>({
      id,
      voters: members,
      transport: new BroadcastTransport(id, tabChannel),
      storage: new MemoryStorage(),
      stateMachine: bufferedStateMachine(this.#kv),
      tickMs: 50,
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 2,
      seed: this.#number,
    });
    this.#node = node;
    for (const event of ["role", "commit", "apply"] as const)
      node.events.on(event, () => this.render());
    (this.#root.querySelector("#tab-propose") as HTMLFormElement).addEventListener(
      "submit",
      (event) => {
        event.preventDefault();
        const input = this.#root.querySelector("#tab-value") as HTMLInputElement;
        void this.propose(input.value.trim() || `x=${++this.#proposals}`);
        input.value = "";
      },
    );
    await node.start();
    this.render();
  }

  async propose(text: string): Promise<void> {
    const node = this.#node;
    if (node === null) return;
    const [key, value] = text.includes("=") ? text.split("=", 2) : ["x", text];
    const result = this.#root.querySelector("#tab-result") as HTMLElement;
    try {
      await node.propose(encodeKvCommand({ op: "put", key: key!, value: value! }), {
        timeoutMs: 5000,
      });
      result.textContent = `committed: ${key}=${value}`;
      result.dataset.outcome = "committed";
    } catch (error) {
      result.textContent =
        error instanceof NotLeaderError
          ? `not the leader${error.leader === null ? "" : `: propose in ${error.leader}'s tab`}`
          : `failed: ${error instanceof Error ? error.message : String(error)}`;
      result.dataset.outcome = "failed";
    }
  }

  render(): void {
    const node = this.#node;
    if (node === null) return;
    const s = node.status();
    const kv = [...this.#kv.state.entries()]
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(" ");
    const html = `<span data-id="${s.id}" data-role="${s.role}" data-term="${s.term}" data-leader="${s.leader ?? ""}" data-commit="${s.commitIndex}" data-kv="${escapeHtml(kv)}">
${s.role === "leader" ? "★ leader" : s.role} · term <b>${s.term}</b> · leader ${s.leader ?? "none yet"} · commit ${s.commitIndex} · applied ${s.appliedIndex} · store: ${escapeHtml(kv) || "empty"}</span>`;
    if (html === this.#last) return;
    this.#last = html;
    (this.#root.querySelector("#tab-status") as HTMLElement).innerHTML = html;
  }
}
