// The page's animation loop runs only while something moves (the live run or the replay
// playing): a paused page schedules no frames at all, so it leaves the CPU to the replay's
// worker. Anything a person does while paused draws at once, without the loop.

export class AnimationLoop {
  #running = false;
  readonly #frame: (nowMs: number) => void;
  readonly #busy: () => boolean;
  readonly #stopped: () => void;

  /** `stopped` runs when the loop ends, so that the next start does not count the pause as time. */
  constructor(frame: (nowMs: number) => void, busy: () => boolean, stopped: () => void) {
    this.#frame = frame;
    this.#busy = busy;
    this.#stopped = stopped;
  }

  /** Starts the loop if something moves and it is not running yet. */
  wake(): void {
    if (this.#running || !this.#busy()) return;
    this.#running = true;
    requestAnimationFrame(this.#tick);
  }

  readonly #tick = (nowMs: number): void => {
    this.#frame(nowMs);
    if (this.#busy()) {
      requestAnimationFrame(this.#tick);
      return;
    }
    this.#running = false;
    this.#stopped();
  };
}
