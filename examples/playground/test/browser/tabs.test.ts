import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { chromiumPresent, openPage, usePlayground } from "./harness.js";

// Multi-tab mode in Chromium: three pages of one browser, each a real `createNode` over the
// BroadcastChannel transport, on real timers. Waits are bounded (a leader must appear within
// 20 s of wall time, many election timeouts of 0.5-1 s); nothing asserts on how long they took.

type TabStatus = { id: string; role: string; term: number; leader: string; kv: string };

async function statusOf(page: Page): Promise<TabStatus> {
  return page.$eval("#tab-status [data-id]", (e) => ({
    id: e.getAttribute("data-id") ?? "",
    role: e.getAttribute("data-role") ?? "",
    term: Number(e.getAttribute("data-term")),
    leader: e.getAttribute("data-leader") ?? "",
    kv: e.getAttribute("data-kv") ?? "",
  }));
}

/** Polls until every page agrees on one leader above `aboveTerm`; returns its page. */
async function awaitLeader(
  pages: readonly Page[],
  aboveTerm: number,
): Promise<{ page: Page; status: TabStatus }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(pages.map(statusOf));
    const leaders = statuses.filter((s) => s.role === "leader" && s.term > aboveTerm);
    if (
      leaders.length === 1 &&
      statuses.every((s) => s.leader === leaders[0]!.id && s.term === leaders[0]!.term)
    ) {
      const i = statuses.indexOf(leaders[0]!);
      return { page: pages[i]!, status: leaders[0]! };
    }
    await pages[0]!.waitForTimeout(200);
  }
  throw new Error(`no leader above term ${aboveTerm} that every tab follows within 20 s`);
}

async function proposeAndAwait(page: Page, pages: readonly Page[], text: string): Promise<void> {
  await page.fill("#tab-value", text);
  await page.press("#tab-value", "Enter");
  await page.waitForSelector('#tab-result[data-outcome="committed"]', { timeout: 10_000 });
  for (const other of pages) {
    await other.waitForFunction(
      (expected) =>
        document
          .querySelector("#tab-status [data-kv]")
          ?.getAttribute("data-kv")
          ?.includes(expected),
      text,
      { timeout: 10_000 },
    );
  }
}

describe.skipIf(!chromiumPresent)("multi-tab mode in Chromium", () => {
  const playground = usePlayground();

  it("three tabs elect a leader and commit; closing the leader's tab fails over to another", async () => {
    const opened = await Promise.all(
      [1, 2, 3].map((n) => openPage(playground.context(), `${playground.url()}?tab=${n}#tabs`)),
    );
    const pages = opened.map((o) => o.page);
    const first = await awaitLeader(pages, 0);
    await proposeAndAwait(first.page, pages, "colour=teal");

    await first.page.close();
    const rest = pages.filter((p) => p !== first.page);
    const second = await awaitLeader(rest, first.status.term);
    expect(second.status.id).not.toBe(first.status.id);
    await proposeAndAwait(second.page, rest, "shape=square");
    expect((await statusOf(rest[0]!)).kv).toContain("colour=teal");

    expect(opened.flatMap((o) => o.errors)).toEqual([]);
  });
});
