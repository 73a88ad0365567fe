// "Add another Kanka server": a form beside "Connect another account" for a connection to another
// Kanka (a test server beside app.kanka.io, a self-hosted one), with the settings form's fields.
// The core checks them as it checks the settings and names the field an error is about; the client
// secret is only ever typed in and sent once, as in the settings form. What happens once the
// connection is added (its card, its sign-in) is main.ts's, shared with "Connect another account".

import { asErrorInfo, FIELDS, type ErrorInfo, type Field, type SettingsForm, type SettingsView } from "./contract.ts";
import { element, formFields } from "./fields.ts";
import { fieldInError, trimmedForm } from "./settings.ts";

/** The redirect a fresh install registers, when the settings cannot be read. */
export const DEFAULT_REDIRECT = "kanka-link://oauth/callback";

/** What the form starts with: the settings' redirect (a client on another Kanka usually registers
 * the same one), everything else blank. */
export function blankForm(view: SettingsView | null): Record<Field, string> {
  const values = Object.fromEntries(FIELDS.map((f) => [f, ""])) as Record<Field, string>;
  values.redirect_uri = view?.values.redirect_uri.trim() || DEFAULT_REDIRECT;
  return values;
}

/** What `add_server_connection` gets: each value trimmed, a blank secret as none (the core then
 * uses the one the keychain has for that server and client, and says so if it has none). */
export function formOf(inputs: Record<Field, string>): SettingsForm {
  return trimmedForm(inputs);
}

export interface AnotherHooks {
  /** The settings, for the redirect to start with. */
  load(): Promise<SettingsView>;
  /** Adds the connection and starts its sign-in; false when another add is under way. A refusal
   * is thrown. */
  add(form: SettingsForm): Promise<boolean>;
  /** A refusal that is about no field of the form: the card shows it. */
  failed(error: ErrorInfo): void;
}

export interface AnotherPanel {
  /** Hides the form (its values stay), as when the add row hides. */
  close(): void;
}

export function setUpAnother(hooks: AnotherHooks): AnotherPanel {
  const panel = element<HTMLElement>("another");
  const toggle = element<HTMLButtonElement>("add-server");
  const form = element<HTMLFormElement>("another-form");
  const submit = element<HTMLButtonElement>("another-connect");
  const fields = formFields("another");
  const { inputs, unmark } = fields;
  let busy = false;
  let filled = false;

  function setBusy(value: boolean): void {
    busy = value;
    form.setAttribute("aria-busy", String(value));
    submit.setAttribute("aria-disabled", String(value));
  }

  /** The error under its field (fields.ts); the field gets the focus. */
  function mark(field: Field, error: ErrorInfo): void {
    fields.mark(field, error);
    inputs[field].focus();
  }

  function show(shown: boolean): void {
    panel.hidden = !shown;
    toggle.setAttribute("aria-expanded", String(shown));
  }

  async function open(): Promise<void> {
    show(true);
    panel.scrollIntoView?.({ block: "nearest" });
    inputs.url.focus();
    if (filled) return;
    filled = true;
    let view: SettingsView | null = null;
    try {
      view = await hooks.load();
    } catch {
      // The built-in redirect will do: the field shows it, and the user can change it.
    }
    // Only into a field the user has not typed in meanwhile.
    if (inputs.redirect_uri.value === "") inputs.redirect_uri.value = blankForm(view).redirect_uri;
  }

  async function connect(): Promise<void> {
    if (busy) return;
    const values = Object.fromEntries(FIELDS.map((f) => [f, inputs[f].value])) as Record<Field, string>;
    setBusy(true);
    unmark();
    try {
      if (await hooks.add(formOf(values))) {
        // Added: its card takes over; the form starts afresh next time, the secret gone.
        for (const field of FIELDS) inputs[field].value = "";
        filled = false;
        show(false);
        // Not lost with the form: back where it opened (the new card's own region says it waits).
        toggle.focus();
      }
    } catch (reason) {
      // A refusal keeps what was typed, the secret too: nothing was saved.
      const error = asErrorInfo(reason);
      const field = fieldInError(error);
      if (field) mark(field, error);
      else hooks.failed(error);
    } finally {
      setBusy(false);
    }
  }

  toggle.addEventListener("click", () => {
    if (panel.hidden) void open();
    else show(false);
  });
  element<HTMLButtonElement>("another-cancel").addEventListener("click", () => {
    show(false);
    toggle.focus();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void connect();
  });
  setBusy(false);

  return { close: () => show(false) };
}
