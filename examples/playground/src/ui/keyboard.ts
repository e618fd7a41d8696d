import type { App } from "./app.js";

// Keyboard controls. Keys typed into a form field are the field's, not ours.

/** What the keys need from the page's form fields. */
export type KeyFields = {
  readonly proposeInput: HTMLInputElement;
  /** Reads the key typed in the read field, with the consistency chosen there. */
  readonly read: () => void;
};

export function bindKeyboard(app: App, fields: KeyFields, active: () => boolean): void {
  document.addEventListener("keydown", (event) => {
    if (!active()) return;
    const target = event.target as HTMLElement;
    if (
      target.closest("input, textarea, select") !== null ||
      event.ctrlKey ||
      event.metaKey ||
      event.altKey
    )
      return;
    const handled = handle(app, event.key, fields);
    if (handled) event.preventDefault();
  });
}

function handle(app: App, key: string, fields: KeyFields): boolean {
  if (/^[1-9]$/.test(key)) {
    app.selectNumber(Number(key));
    return true;
  }
  switch (key) {
    case " ":
      app.togglePlay();
      return true;
    case ".":
    case "ArrowRight":
      app.stepOne();
      return true;
    case "ArrowLeft":
      app.seek(app.timeline.cursor - 1);
      return true;
    case "+":
    case "=":
      app.changeSpeed(1);
      return true;
    case "-":
      app.changeSpeed(-1);
      return true;
    case "f":
      app.fastForward(1000);
      return true;
    case "p":
      app.proposeValue(fields.proposeInput.value.trim());
      fields.proposeInput.value = "";
      return true;
    case "r":
      fields.read();
      return true;
    case "a":
      app.addServer();
      return true;
    case "t":
      app.transfer();
      return true;
    case "c":
      app.crashOrRestart();
      return true;
    case "e":
      app.election();
      return true;
    case "s":
      app.snapshot();
      return true;
    case "i":
      app.isolateTarget();
      return true;
    case "h":
      app.heal();
      return true;
    case "Escape":
      app.select(null);
      return true;
    default:
      return false;
  }
}
