// "Keep linked when Kanka Link is closed": a checkbox that shows what the login check's autostart
// entry says, and asks the core to write or remove it. It shows only once the real state is
// known, and after a change it shows what the file says, not what was clicked.

import { asErrorInfo, type ErrorInfo } from "./contract.ts";

export interface KeepLinked {
  /** The real state: the entry is there and runs this install's command line. */
  get(): Promise<boolean>;
  /** Switches it; resolves to the real state afterwards. */
  set(on: boolean): Promise<boolean>;
  failed(error: ErrorInfo): void;
}

export function setUpKeepLinked(deps: KeepLinked): void {
  const row = document.getElementById("keep-linked-row");
  const box = document.getElementById("keep-linked");
  if (!row || !(box instanceof HTMLInputElement)) throw new Error("The page has no #keep-linked.");
  let pending = false;
  deps.get().then(
    (on) => {
      box.checked = on;
      row.hidden = false;
    },
    // Not available here (another platform): the switch stays hidden.
    () => undefined,
  );
  box.addEventListener("change", () => {
    // One change at a time; the box shows the state asked for until the answer says otherwise.
    if (pending) {
      box.checked = !box.checked;
      return;
    }
    pending = true;
    const wanted = box.checked;
    box.setAttribute("aria-busy", "true");
    deps.set(wanted).then(
      // The box itself says it (and a screen reader reads its new state): no message that
      // would stand in for the connection's own news.
      (on) => {
        box.checked = on;
      },
      (reason) => {
        box.checked = !wanted;
        deps.failed(asErrorInfo(reason));
      },
    ).finally(() => {
      pending = false;
      box.removeAttribute("aria-busy");
    });
  });
}
