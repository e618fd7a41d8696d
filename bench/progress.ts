// On a terminal, a running benchmark shows how long it has been going (cli-progress, on stderr),
// with the lines it prints scrolling above; in a pipe or a CI log nothing changes. Long runs
// (bench kv, growth, failover) print little until a phase ends, so this is how a person at the
// terminal knows it is alive.
import { MultiBar } from "cli-progress";

/** Starts the elapsed-time line when stderr is a terminal; returns what stops it. */
export function showElapsed(name: string): () => void {
  if (process.stderr.isTTY !== true) return () => undefined;
  const bars = new MultiBar({
    format: `bench ${name}: {duration_formatted} elapsed`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
    fps: 2,
  });
  bars.create(1, 0);
  const log = console.log.bind(console);
  const error = console.error.bind(console);
  const stdoutIsTerminal = process.stdout.isTTY === true;
  // Lines for the terminal go above the elapsed line; stdout redirected elsewhere gets its own.
  console.log = (...args: unknown[]) => {
    if (stdoutIsTerminal) bars.log(`${args.map(String).join(" ")}\n`);
    else log(...args);
  };
  console.error = (...args: unknown[]) => bars.log(`${args.map(String).join(" ")}\n`);
  return () => {
    bars.update(); // flushes the lines logged since the last redraw; stop() would drop them
    bars.stop();
    console.log = log;
    console.error = error;
  };
}
