// Takes the screenshot shown in the README (docs/playground.png): the live mode at 1280×720,
// seed 3, five nodes and a learner, two terms of writes, a read, a crashed node and a cut link,
// paused mid-flight.
// Run: node --conditions=@flotilla/source --import tsx examples/playground/scripts/screenshot.ts
import { resolve } from "node:path";
import { buildSite, launch, openPage, serve } from "../test/browser/harness.js";

const out = resolve(import.meta.dirname, "../../../docs/playground.png");
const site = await serve(await buildSite());
const session = await launch();
try {
  const { page } = await openPage(session.context, `${site.url}?seed=3&nodes=5`);
  const keys = async (...sequence: string[]) => {
    for (const key of sequence) await page.keyboard.press(key);
  };
  const put = async (value: string) => {
    await page.fill("#value", value);
    await page.press("#value", "Enter");
    await keys(".", ".", ".", ".", ".", ".");
  };
  await keys("f", "f");
  await put("colour=teal");
  await put("shape=square");
  await keys("f", "2", "e", "f", "Escape"); // n2 takes over in a new term
  await put("size=7");
  await put("mood=calm");
  await keys("f", "5", "c", "f"); // n5 crashes
  await page.dispatchEvent('[data-link="n3,n4"]', "click"); // a level line has no height to click on
  await keys("Escape");
  await keys("a", "f"); // n6 joins as a learner
  await page.fill("#read-key", "mood");
  await page.press("#read-key", "Enter");
  await keys("f");
  await put("tide=high");
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await session.close();
  await site.close();
}
