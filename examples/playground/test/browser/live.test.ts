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
