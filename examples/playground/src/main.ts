import { TabPanel } from "./multitab/tab-panel.js";
import { ReplayPanel } from "./replay/replay-panel.js";
import { AnimationLoop } from "./ui/animation-loop.js";
import { App, type Elements } from "./ui/app.js";
import { bindKeyboard } from "./ui/keyboard.js";

// Wires the page's controls to the app. The run's seed and size come from the URL
// (?seed=…&nodes=…), so a link reproduces a run.

function byId<T extends Element>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as unknown as T;
}

const params = new URLSearchParams(location.search);
const seedInput = byId<HTMLInputElement>("seed");
const nodesInput = byId<HTMLSelectElement>("nodes");
seedInput.value = params.get("seed") ?? seedInput.value;
nodesInput.value = params.get("nodes") ?? nodesInput.value;

const elements: Elements = {
  svgStatic: byId("ring-static"),
  svgFlight: byId("ring-flight"),
  cards: byId("cards"),
  ops: byId("ops"),
  status: byId("status"),
  config: byId("config"),
  scrubber: byId("scrubber"),
  play: byId("play"),
  speed: byId("speed"),
  selected: byId("selected"),
};
const app = new App(elements, Number(seedInput.value), Number(nodesInput.value));

byId<HTMLFormElement>("run-form").addEventListener("submit", (event) => {
  event.preventDefault();
  app.restartRun(Number(seedInput.value), Number(nodesInput.value));
});
byId("play").addEventListener("click", () => app.togglePlay());
byId("step").addEventListener("click", () => app.stepOne());
byId("ffwd").addEventListener("click", () => app.fastForward(1000));
byId("slower").addEventListener("click", () => app.changeSpeed(-1));
byId("faster").addEventListener("click", () => app.changeSpeed(1));
elements.scrubber.addEventListener("input", () => app.seek(Number(elements.scrubber.value)));
const valueInput = byId<HTMLInputElement>("value");
byId<HTMLFormElement>("propose-form").addEventListener("submit", (event) => {
  event.preventDefault();
  app.proposeValue(valueInput.value.trim());
  valueInput.value = "";
  valueInput.blur(); // hand the keys back to the playground's shortcuts
});
const readKey = byId<HTMLInputElement>("read-key");
const readConsistency = byId<HTMLSelectElement>("read-consistency");
const readNow = (): void => {
  app.readKey(readKey.value.trim(), readConsistency.value === "lease" ? "lease" : "readIndex");
  readKey.blur();
};
byId<HTMLFormElement>("read-form").addEventListener("submit", (event) => {
  event.preventDefault();
  readNow();
});
byId("add-server").addEventListener("click", () => app.addServer());
byId("promote").addEventListener("click", () => app.changeMember("promote"));
byId("demote").addEventListener("click", () => app.changeMember("demote"));
byId("remove").addEventListener("click", () => app.changeMember("remove"));
byId("transfer").addEventListener("click", () => app.transfer());
byId("crash").addEventListener("click", () => app.crashOrRestart());
byId("election").addEventListener("click", () => app.election());
byId("snapshot").addEventListener("click", () => app.snapshot());
byId("isolate").addEventListener("click", () => app.isolateTarget());
byId("heal").addEventListener("click", () => app.heal());
const loss = byId<HTMLInputElement>("loss");
loss.addEventListener("input", () => {
  byId("loss-out").textContent = `${loss.value}%`;
  app.setLoss(Number(loss.value));
});
const latency = byId<HTMLInputElement>("latency");
latency.addEventListener("input", () => {
  byId("latency-out").textContent = `≤${latency.value} ms`;
  app.setLatency(Number(latency.value));
});

// Dragging from one node to another cuts or heals the link between them (as clicking the link
// does); the click that ends a drag is not also a selection.
const ring = byId<SVGSVGElement>("ring");
const nodeAt = (target: EventTarget | Element | null): string | null =>
  target instanceof Element
    ? (target.closest("[data-node]")?.getAttribute("data-node") ?? null)
    : null;
let dragFrom: string | null = null;
let dragged = false;
ring.addEventListener("pointerdown", (event) => {
  dragFrom = nodeAt(event.target);
  dragged = false;
  if (dragFrom !== null) event.preventDefault(); // no text selection while dragging
});
window.addEventListener("pointerup", (event) => {
  const from = dragFrom;
  dragFrom = null;
  const to = nodeAt(document.elementFromPoint(event.clientX, event.clientY));
  if (from === null || to === null || to === from) return;
  dragged = true;
  app.link(from, to);
});

// Clicks on the drawing and the cards: a link toggles, a node selects.
ring.addEventListener("click", (event) => {
  if (dragged) {
    dragged = false;
    return;
  }
  const target = event.target as Element;
  const link = target.closest("[data-link]")?.getAttribute("data-link");
  if (link) {
    const [a, b] = link.split(",");
    app.link(a!, b!);
    return;
  }
  const node = target.closest("[data-node]")?.getAttribute("data-node");
  app.select(node ?? null);
});
elements.cards.addEventListener("click", (event) => {
  const pick = (event.target as Element).closest("[data-pick]")?.getAttribute("data-pick");
  if (pick) app.select(app.selected === pick ? null : pick);
});

// Three modes, by the URL's hash: #live (the default), #replay and #tabs (this tab is a node).
const replay = new ReplayPanel(byId("replay"));
const tabs = new TabPanel(byId("tabs"), Number(params.get("tab") ?? "1"));
type Mode = "live" | "replay" | "tabs";
const mode = (): Mode =>
  location.hash === "#replay" ? "replay" : location.hash === "#tabs" ? "tabs" : "live";
function showMode(): void {
  const shown = mode();
  byId<HTMLElement>("live").hidden = shown !== "live";
  byId<HTMLElement>("controls").hidden = shown !== "live";
  byId<HTMLElement>("replay").hidden = shown !== "replay";
  byId<HTMLElement>("tabs").hidden = shown !== "tabs";
  for (const link of document.querySelectorAll("[data-mode]")) {
    if (link.getAttribute("data-mode") === shown) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (shown === "tabs" && !tabs.started) void tabs.start();
}
window.addEventListener("hashchange", showMode);
showMode();

bindKeyboard(app, { proposeInput: valueInput, read: readNow }, () => mode() === "live");

const loop = new AnimationLoop(
  (now) => {
    if (mode() === "replay") replay.frame(now);
    else if (mode() === "live") app.frame(now);
  },
  () => (mode() === "live" && app.playing) || (mode() === "replay" && replay.playing),
  () => {
    app.pauseClock();
    replay.pauseClock();
  },
);
app.onPlay = () => loop.wake();
replay.onPlay = () => loop.wake();
window.addEventListener("hashchange", () => loop.wake());
app.render(true);
