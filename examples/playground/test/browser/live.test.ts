import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { chromiumPresent, openPage, setRange, usePlayground } from "./harness.js";

// The production build in Chromium, driven the way a person drives it: keys and buttons, read
// back from the page. The run is seeded (?seed=3), so every count below is the same each time;
// the bounds are in simulated time (one `f` press is 1 s = 100 ticks), never in wall time.

type Card = { id: string; role: string; term: number; commit: number; kv: string };

async function cards(page: Page): Promise<Card[]> {
  return page.$$eval("#cards [data-node]", (elements) =>
    elements.map((e) => ({
      id: e.getAttribute("data-node") ?? "",
      role: e.getAttribute("data-role") ?? "",
      term: Number(e.getAttribute("data-term")),
      commit: Number(e.getAttribute("data-commit")),
      kv: e.querySelector("[data-kv]")?.getAttribute("data-kv") ?? "",
    })),
  );
}

/** Presses `f` (one simulated second) until some card shows a leader of a term above `aboveTerm`. */
async function awaitLeader(page: Page, aboveTerm = 0, secondsMax = 3): Promise<Card> {
  for (let second = 0; second < secondsMax; second++) {
    await page.keyboard.press("f");
    const leader = (await cards(page)).find((c) => c.role === "leader" && c.term > aboveTerm);
    if (leader !== undefined) return leader;
  }
  throw new Error(`no leader above term ${aboveTerm} within ${secondsMax * 100} simulated ticks`);
}

/** Drags the pointer from one node of the drawing to another, as a person would. */
async function dragNode(page: Page, from: string, to: string): Promise<void> {
  const centre = async (id: string) => {
    const box = await page.locator(`#ring [data-node="${id}"] .body`).boundingBox();
    if (box === null) throw new Error(`node ${id} is not drawn`);
    return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  };
  const a = await centre(from);
  const b = await centre(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

describe.skipIf(!chromiumPresent)("the playground in Chromium", () => {
  const playground = usePlayground();

  it("loads with no console error, elects, commits a put everywhere, survives the leader's crash, and rewinds", async () => {
    const { page, errors } = await openPage(
      playground.context(),
      `${playground.url()}?seed=3&nodes=5`,
    );
    expect(await page.locator("#cards [data-node]").count()).toBe(5);
    expect((await cards(page)).every((c) => c.role === "follower" && c.term === 0)).toBe(true);

    const first = await awaitLeader(page);
    const firstTime = await page.getAttribute("[data-time]", "data-time");

    await page.fill("#value", "colour=teal");
    await page.press("#value", "Enter");
    await page.keyboard.press("f");
    const op = page.locator("#ops [data-op]").first();
    expect(await op.getAttribute("data-outcome")).toBe("committed");
    const opIndex = Number(await op.getAttribute("data-index"));
    for (const card of await cards(page)) {
      expect(card.kv, card.id).toContain("colour=teal");
      expect(card.commit, card.id).toBeGreaterThanOrEqual(opIndex);
    }
    const cell = page.locator(`#cards [data-node="${first.id}"] [data-index="${opIndex}"]`);
    expect(await cell.getAttribute("data-committed")).toBe("true");

    await page.click(`#cards [data-pick="${first.id}"]`);
    await page.keyboard.press("c");
    expect((await cards(page)).find((c) => c.id === first.id)?.role).toBe("crashed");
    const second = await awaitLeader(page, first.term);
    expect(second.id).not.toBe(first.id);
    expect(second.term).toBeGreaterThan(first.term);

    // Back to the start, then resume: the same seed and the same choices give the same leader at
    // the same moment, and the recorded future past that point is replaced by the new branch.
    const momentsBefore = Number(await page.getAttribute("#scrubber", "max"));
    await setRange(page, "#scrubber", "min");
    expect(await page.getAttribute("[data-time]", "data-time")).toBe("0");
    expect((await cards(page)).every((c) => c.role === "follower")).toBe(true);
    const again = await awaitLeader(page);
    expect(again).toMatchObject({ id: first.id, term: first.term });
    expect(await page.getAttribute("[data-time]", "data-time")).toBe(firstTime);
    expect(Number(await page.getAttribute("#scrubber", "max"))).toBeLessThan(momentsBefore);

    expect(errors).toEqual([]);
  });

  it("cuts a link by dragging from one node to another: messages over it are dropped, and a second drag heals it", async () => {
    const { page, errors } = await openPage(
      playground.context(),
      `${playground.url()}?seed=3&nodes=3`,
    );
    const leader = await awaitLeader(page);
    const follower = (await cards(page)).find((c) => c.id !== leader.id)!;
    const between = (c: Card) => c.id === leader.id || c.id === follower.id;
    await dragNode(page, leader.id, follower.id);
    const cut = page.locator("#ring .link.cut");
    expect(await cut.count()).toBe(1);
    expect((await cut.getAttribute("data-link"))?.split(",").sort()).toEqual(
      [leader.id, follower.id].sort(),
    );
    // A drag is not a click on a node: nothing got selected.
    expect(await page.locator("#ring .node.selected").count()).toBe(0);

    // Event by event until a message over the cut link dies there (a heartbeat is due within
    // an election timeout, well under 300 events of a three-node cluster).
    const dropped = page.locator(
      `#ring [data-drop="cut"][data-from="${leader.id}"][data-to="${follower.id}"]`,
    );
    let steps = 0;
    while ((await dropped.count()) === 0 && steps < 300) {
      await page.click("#step");
      steps++;
    }
    expect(await dropped.count(), `a cut drop within ${steps} events`).toBeGreaterThan(0);

    // A put commits on the majority that is still connected; the cut-off follower never sees it.
    await page.fill("#value", "cut=yes");
    await page.press("#value", "Enter");
    await page.keyboard.press("f");
    const afterPut = await cards(page);
    expect(afterPut.find((c) => c.id === leader.id)?.kv).toContain("cut=yes");
    expect(afterPut.find((c) => c.id === follower.id)?.kv).not.toContain("cut=yes");
    expect(afterPut.filter((c) => !between(c)).every((c) => c.kv.includes("cut=yes"))).toBe(true);

    // The same drag heals it, and the follower catches up.
    await dragNode(page, follower.id, leader.id);
    expect(await page.locator("#ring .link.cut").count()).toBe(0);
    await page.keyboard.press("f");
    for (const card of await cards(page)) expect(card.kv, card.id).toContain("cut=yes");
    expect(errors).toEqual([]);
  });

  it("reads, changes membership and transfers leadership from the controls, showing the core's outcomes", async () => {
    const { page, errors } = await openPage(
      playground.context(),
      `${playground.url()}?seed=3&nodes=3`,
    );
    const leader = await awaitLeader(page);
    const follower = (await cards(page)).find((c) => c.id !== leader.id)!;
    await page.fill("#value", "colour=teal");
    await page.press("#value", "Enter");
    await page.keyboard.press("f");
    const lastOp = page.locator("#ops [data-op]").first();

    // A ReadIndex read at a follower (forwarded to the leader), then a lease read at the leader.
    await page.click(`#cards [data-pick="${follower.id}"]`);
    await page.fill("#read-key", "colour");
    await page.selectOption("#read-consistency", "readIndex");
    await page.click("#read-form button[type=submit]");
    await page.keyboard.press("f");
    expect(await lastOp.getAttribute("data-kind")).toBe("read");
    expect(await lastOp.getAttribute("data-node")).toBe(follower.id);
    expect(await lastOp.getAttribute("data-outcome")).toBe("served");
    expect(await lastOp.getAttribute("data-value")).toBe("teal");
    await page.keyboard.press("Escape");
    await page.selectOption("#read-consistency", "lease");
    await page.click("#read-form button[type=submit]");
    await page.keyboard.press("f");
    expect(await lastOp.getAttribute("data-node")).toBe(leader.id);
    expect(await lastOp.getAttribute("data-outcome")).toBe("served");
    expect(await lastOp.getAttribute("data-value")).toBe("teal");

    // A new server joins as a learner, catches up, and is promoted to voter.
    await page.click("#add-server");
    await page.keyboard.press("f");
    expect(await lastOp.getAttribute("data-kind")).toBe("membership");
    expect(await lastOp.getAttribute("data-outcome")).toBe("committed");
    const added = page.locator('#cards [data-node="n4"]');
    expect(await added.getAttribute("data-member")).toBe("learner");
    expect(await added.locator("[data-kv]").getAttribute("data-kv")).toContain("colour=teal");
    await page.click('#cards [data-pick="n4"]');
    await page.click("#promote");
    await page.keyboard.press("f");
    expect(await lastOp.getAttribute("data-outcome")).toBe("committed");
    expect(await added.getAttribute("data-member")).toBe("voter");
    expect(await page.textContent("[data-config]")).toMatch(/voters .*n4/);

    // Leadership handed to the follower chosen by selecting it.
    await page.click(`#cards [data-pick="${follower.id}"]`);
    await page.click("#transfer");
    await page.keyboard.press("f");
    expect(await lastOp.getAttribute("data-kind")).toBe("transfer");
    expect(await lastOp.getAttribute("data-outcome")).toBe("done");
    const after = await cards(page);
    const newLeader = after.find((c) => c.role === "leader")!;
    expect(newLeader.id).toBe(follower.id);
    expect(newLeader.term).toBeGreaterThan(leader.term);

    // The old leader removed: the configuration no longer lists it.
    await page.click(`#cards [data-pick="${leader.id}"]`);
    await page.click("#remove");
    await page.keyboard.press("f");
    expect(await lastOp.getAttribute("data-outcome")).toBe("committed");
    expect(await page.textContent("[data-config]")).not.toContain(leader.id);
    expect(errors).toEqual([]);
  });

  it("plays with Space, and a paused page stands still", async () => {
    const { page, errors } = await openPage(
      playground.context(),
      `${playground.url()}?seed=3&nodes=5`,
    );
    const time = async () => Number(await page.getAttribute("[data-time]", "data-time"));
    await page.keyboard.press(" ");
    await page.waitForFunction(
      () => Number(document.querySelector("[data-time]")?.getAttribute("data-time")) > 0,
      null,
      { timeout: 30_000 },
    );
    await page.keyboard.press(" ");
    const paused = await time();
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    );
    expect(await time()).toBe(paused);
    await page.keyboard.press(" "); // and it starts again after the pause
    await page.waitForFunction(
      (at) => Number(document.querySelector("[data-time]")?.getAttribute("data-time")) > at,
      paused,
      { timeout: 30_000 },
    );
    expect(errors).toEqual([]);
  });

  it("is readable on a phone-sized screen: nothing overflows sideways", async () => {
    const { page, errors } = await openPage(
      playground.context(),
      `${playground.url()}?seed=3&nodes=7`,
    );
    await page.setViewportSize({ width: 390, height: 844 });
    await page.keyboard.press("f");
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.locator("#cards [data-node]").count()).toBe(7);
    expect(errors).toEqual([]);
  });
});
