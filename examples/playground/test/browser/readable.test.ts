import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { chromiumPresent, openPage, usePlayground } from "./harness.js";

// Readable at 1280x720 and on a phone, told apart without colour: the live mode at seven nodes
// (the most crowded) with messages in flight, screenshotted at both sizes (the files are kept in
// a temporary directory, printed, to look at), and what makes it readable asserted on the page:
// nothing runs off sideways, no text is smaller than 9 px, the drawing and the play, step and
// time controls are on the first screen without scrolling, and every fact shown by hue is also
// shown by a label or a shape.

const sizes = [
  { name: "1280x720", width: 1280, height: 720 },
  { name: "phone 390x844", width: 390, height: 844 },
] as const;

const textPxMin = 9;

/** Plays a few seconds with a put in flight, then stops on a moment with messages travelling. */
async function crowdedMoment(page: Page): Promise<void> {
  for (const key of ["f", "f", "p", ".", ".", ".", ".", "."]) await page.keyboard.press(key);
}

/** The smallest rendered text: HTML text's font size, SVG text's height on screen. */
async function smallestText(page: Page): Promise<{ px: number; text: string }> {
  return page.evaluate(() => {
    let smallest = { px: Number.POSITIVE_INFINITY, text: "" };
    for (const element of document.querySelectorAll<Element>("body *")) {
      const rect = element.getBoundingClientRect();
      const ownText = [...element.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent?.trim() ?? "")
        .join("");
      if (rect.width === 0 || ownText === "" || element.closest("[hidden], title") !== null)
        continue;
      const px =
        element instanceof SVGElement
          ? rect.height
          : Number.parseFloat(getComputedStyle(element).fontSize);
      if (px < smallest.px) smallest = { px, text: ownText.slice(0, 30) };
    }
    return smallest;
  });
}

/** Elements (by selector) not wholly inside the first screen, at the top of the page. */
async function offFirstScreen(page: Page, selectors: readonly string[]): Promise<string[]> {
  return page.evaluate((all) => {
    window.scrollTo(0, 0);
    return all.filter((selector) => {
      const rect = document.querySelector(selector)?.getBoundingClientRect();
      return (
        rect === undefined ||
        rect.top < 0 ||
        rect.left < 0 ||
        rect.bottom > window.innerHeight ||
        rect.right > window.innerWidth
      );
    });
  }, selectors);
}

describe.skipIf(!chromiumPresent)("the playground is readable", () => {
  const playground = usePlayground();
  const shots = mkdtempSync(join(tmpdir(), "flotilla-playground-shots-"));

  it.each(sizes)(
    "at $name: screenshot, no sideways overflow, text ≥ 9 px, controls on the first screen",
    async (size) => {
      const { page, errors } = await openPage(
        playground.context(),
        `${playground.url()}?seed=3&nodes=7`,
      );
      await page.setViewportSize({ width: size.width, height: size.height });
      await crowdedMoment(page);
      const path = join(shots, `playground-${size.width}x${size.height}.png`);
      await page.screenshot({ path });
      console.log(`screenshot at ${size.name}: ${path}`);

      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      const smallest = await smallestText(page);
      expect(smallest.px, `"${smallest.text}" is ${smallest.px} px`).toBeGreaterThanOrEqual(
        textPxMin,
      );
      // The drawing's first row of nodes, and what a person needs to run it, without scrolling.
      expect(
        await offFirstScreen(page, [
          '#ring [data-node="n1"]',
          "#play",
          "#step",
          "#scrubber",
          "#status",
        ]),
      ).toEqual([]);
      expect(await page.locator("#cards [data-node]").count()).toBe(7);
      expect(errors).toEqual([]);
    },
  );

  it("tells roles, terms and message types apart without colour, and names them on hover", async () => {
    const { page, errors } = await openPage(
      playground.context(),
      `${playground.url()}?seed=3&nodes=5`,
    );
    await crowdedMoment(page);
    // Roles are spelled out on the drawing and the cards.
    const roles = await page.$$eval("#ring [data-node] text.role", (texts) =>
      texts.map((t) => t.textContent),
    );
    expect(roles).toContain("★ leader");
    expect(roles.filter((r) => r === "follower")).toHaveLength(4);
    expect(await page.textContent('#cards [data-role="leader"] .role')).toBe("★ leader");
    // Every log cell carries its term as its label, not only as its colour.
    const cells = await page.$$eval("#cards .cell[data-term]", (all) =>
      all.map((c) => ({ term: c.getAttribute("data-term"), label: c.textContent })),
    );
    expect(cells.length).toBeGreaterThan(0);
    for (const cell of cells) expect(cell.label).toBe(cell.term);
    // A message's type has its own shape (and a request is filled, a reply hollow), and hovering
    // it names the type: its SVG title, which the browser shows as the tooltip.
    const messages = await page.$$eval("#ring .msg", (all) =>
      all.map((m) => ({
        type: m.getAttribute("data-type") ?? "",
        shape: m.lastElementChild?.tagName ?? "",
        hollow: m.lastElementChild?.getAttribute("fill") === "#fff",
        title: m.querySelector("title")?.textContent ?? "",
      })),
    );
    expect(messages.length).toBeGreaterThan(0);
    const shapeOf = { requestVote: "circle", appendEntries: "rect" } as Record<string, string>;
    for (const m of messages) {
      expect(m.title.startsWith(`${m.type} `)).toBe(true);
      const family = m.type.replace(/Response$/, "");
      if (family in shapeOf) expect(m.shape).toBe(shapeOf[family]);
      expect(m.hollow).toBe(m.type.endsWith("Response"));
    }
    await page.hover("#ring .msg");
    // The election timer: an arc on the drawing and a bar on the card, both named on hover.
    const timer = await page.getAttribute('#cards [data-role="follower"] .timer-bar', "title");
    expect(timer).toMatch(/^election timer: \d+ of \d+ ticks$/);
    expect(await page.locator("#ring [data-node] path.timer").count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
