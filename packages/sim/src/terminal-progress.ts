// `pnpm sim`'s progress bar on a terminal (stderr), through cli-progress: seeds done, failures so
// far, rate and time left. Only the CLI uses it; a pipe or a test gets no bar.
import { Presets, SingleBar } from "cli-progress";
import type { SimProgress } from "./cli.js";

export function terminalProgress(): SimProgress {
  const bar = new SingleBar(
    {
      format: "seeds {bar} {value}/{total} | failures {failures} | {eta_formatted} left",
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  let total = 0;
  let done = 0;
  let failures = 0;
  return {
    start(seeds) {
      total = seeds;
      bar.start(total, 0, { failures: 0 });
    },
    update(seedsDone, failed) {
      done = seedsDone;
      failures = failed;
      bar.update(done, { failures });
    },
    pause() {
      bar.stop();
    },
    resume() {
      bar.start(total, done, { failures });
    },
    stop() {
      bar.stop();
    },
  };
}
