// The core's own tests, chosen to cover the reducer and the codec, bundled for Chromium: the
// reducer properties (random schedules among 3 and 5 cores, replay from kept states) and the
// codec's round trips, golden bytes and rejections. Results land in `window.coreSuite`.
import "../../../../../packages/core/test/reducer/properties.test.js";
import "../../../../../packages/core/test/codec/round-trip.test.js";
import "../../../../../packages/core/test/codec/golden.test.js";
import "../../../../../packages/core/test/codec/reject.test.js";
import { runAll, type SuiteResult } from "./vitest-shim.js";

declare global {
  interface Window {
    coreSuite?: SuiteResult;
  }
}

void runAll().then((result) => {
  window.coreSuite = result;
  document.body.textContent = `${result.passed.length} passed, ${result.failed.length} failed`;
});
