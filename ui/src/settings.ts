// The settings panel: where each value comes from, the form, and saving it. The client secret is
// only ever typed in: the core says whether one is saved, never what it is.

import {
  FIELDS,
  SETTING_KEYS,
  asErrorInfo,
  type ErrorInfo,
  type Field,
  type SettingsForm,
  type SettingsView,
} from "./contract.ts";
import { element, formFields } from "./fields.ts";

export { FIELDS, type Field } from "./contract.ts";

export const SAVED_TEXT = "Settings saved.";
export const SECRET_PLACEHOLDER = "saved in the keychain";

export interface FieldView {
  value: string;
  readOnly: boolean;
  note: string;
  placeholder: string;
}

/** The core names the variable that set a value (`variables`). */
const readOnlyNote = (variable: string | null) =>
  variable ? `Read-only: set by ${variable}.` : "Read-only: set by the environment.";

/** How each input looks for a SettingsView. */
export function describeFields(view: SettingsView): Record<Field, FieldView> {
  const fields = {} as Record<Field, FieldView>;
  for (const key of SETTING_KEYS) {
    const origin = view.origins[key];
    const value = view.values[key];
    const note =
      origin === "environment"
        ? readOnlyNote(view.variables[key])
        : origin === "file"
          ? "From the config file."
          : origin !== "default"
            ? ""
            : value === ""
              ? "Not set yet."
              : "Built-in default.";
    fields[key] = { value, readOnly: origin === "environment", note, placeholder: "" };
  }
  const secret = view.origins.client_secret;
  fields.client_secret = {
    value: "",
    readOnly: secret === "environment",
    note:
      secret === "environment"
        ? readOnlyNote(view.variables.client_secret)
        : view.client_secret_saved
          ? "Leave empty to keep the saved secret."
          : secret === "default"
            ? "Built into this build; enter one to use your own."
            : "Not saved yet: Kanka shows it when you create the application (Settings → API).",
    placeholder: view.client_secret_saved ? SECRET_PLACEHOLDER : "",
  };
  return fields;
}

/** A form's values as a command gets them: trimmed, a blank secret (or one `sendSecret` says not to
 * send) as none. */
export function trimmedForm(inputs: Record<Field, string>, sendSecret = true): SettingsForm {
  const secret = inputs.client_secret.trim();
  return {
    url: inputs.url.trim(),
    api_url: inputs.api_url.trim(),
    client_id: inputs.client_id.trim(),
    redirect_uri: inputs.redirect_uri.trim(),
    client_secret: secret === "" || !sendSecret ? null : secret,
  };
}

/** What `save_settings` gets from the inputs: an empty or fixed secret kept as it is. */
export function formFrom(inputs: Record<Field, string>, fields: Record<Field, FieldView>): SettingsForm {
  return trimmedForm(inputs, !fields.client_secret.readOnly);
}

/** The input an error is about, as the core names it (`setting`); never read from its words. */
export function fieldInError(error: ErrorInfo | null): Field | null {
  return FIELDS.find((field) => field === error?.setting) ?? null;
}

export interface SettingsHooks {
  load(): Promise<SettingsView>;
  save(form: SettingsForm): Promise<SettingsView>;
  /** Saving is a command: it replaces the messages shown. */
  begin(): void;
  saved(text: string): void;
  failed(error: ErrorInfo): void;
}

export interface SettingsPanel {
  /** Shows the form, focused on the field an error is about (marked with it) if it says. */
  open(error?: ErrorInfo | null): Promise<void>;
}

export function setUpSettings(hooks: SettingsHooks): SettingsPanel {
  const panel = element<HTMLElement>("settings");
  const toggleButton = element<HTMLButtonElement>("settings-toggle");
  const form = element<HTMLFormElement>("settings-form");
  const saveButton = element<HTMLButtonElement>("settings-save");
  const configFile = element<HTMLElement>("config-file");
  const formFieldsOf = formFields("setting");
  const { inputs, notes, unmark } = formFieldsOf;
  let fields: Record<Field, FieldView> | null = null;
  let busy = false;

  function setBusy(value: boolean): void {
    busy = value;
    form.setAttribute("aria-busy", String(value));
    saveButton.setAttribute("aria-disabled", String(value || fields === null));
  }

  function fill(view: SettingsView): void {
    fields = describeFields(view);
    for (const field of FIELDS) {
      const input = inputs[field];
      const described = fields[field];
      input.value = described.value;
      input.readOnly = described.readOnly;
      input.placeholder = described.placeholder;
      notes[field].textContent = described.note;
    }
    unmark();
    configFile.textContent = view.config_file;
  }

  /** The error under its field (fields.ts); the field gets the focus unless it is read-only. */
  function mark(field: Field | null, error: ErrorInfo): boolean {
    if (!field) return false;
    formFieldsOf.mark(field, error);
    const input = inputs[field];
    if (input.readOnly) return false;
    input.focus();
    return true;
  }

  function show(shown: boolean): void {
    panel.hidden = !shown;
    toggleButton.setAttribute("aria-expanded", String(shown));
  }

  async function load(): Promise<void> {
    setBusy(true);
    try {
      fill(await hooks.load());
    } catch (reason) {
      hooks.failed(asErrorInfo(reason));
    } finally {
      setBusy(false);
    }
  }

  async function save(): Promise<void> {
    if (busy || !fields) return;
    const values = Object.fromEntries(FIELDS.map((f) => [f, inputs[f].value])) as Record<Field, string>;
    hooks.begin();
    setBusy(true);
    unmark();
    try {
      const view = await hooks.save(formFrom(values, fields));
      fill(view);
      hooks.saved(view.notice ? `${SAVED_TEXT} ${view.notice}` : SAVED_TEXT);
    } catch (reason) {
      const error = asErrorInfo(reason);
      hooks.failed(error);
      mark(fieldInError(error), error);
    } finally {
      setBusy(false);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void save();
  });
  toggleButton.addEventListener("click", () => {
    const opening = panel.hidden !== false;
    show(opening);
    if (opening) {
      panel.scrollIntoView?.({ block: "nearest" });
      void load();
    }
  });
  setBusy(false);

  return {
    async open(error) {
      // An open form may hold the user's edits: only a closed one is (re)loaded.
      if (panel.hidden !== false) {
        show(true);
        await load();
      }
      if (!(error && mark(fieldInError(error), error))) {
        (FIELDS.map((f) => inputs[f]).find((i) => !i.readOnly) ?? toggleButton).focus();
      }
      panel.scrollIntoView?.({ block: "nearest" });
    },
  };
}
