// What the page's forms share (the settings form, settings.ts; the form for another Kanka server,
// another.ts): finding an element, and a form's fields with their notes and the error a refusal
// puts under one, tied to it for assistive technology.

import { FIELDS, type ErrorInfo, type Field } from "./contract.ts";

export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

export interface FormFields {
  inputs: Record<Field, HTMLInputElement>;
  notes: Record<Field, HTMLElement>;
  errors: Record<Field, HTMLElement>;
  /** Every field as it is without an error. */
  unmark(): void;
  /** Ties an error to its field: shown under it, and named by aria-errormessage (which only counts
   * with aria-invalid) and by aria-describedby too, for screen readers that do not know the first.
   * The caller decides on the focus. */
  mark(field: Field, error: ErrorInfo): void;
}

/** The fields of a form whose inputs are `#PREFIX-FIELD` (`client_id` as `client-id`), each with
 * `-note` and `-error` beside it. */
export function formFields(prefix: string): FormFields {
  const byField = <T extends HTMLElement>(suffix: string) =>
    Object.fromEntries(FIELDS.map((f) => [f, element<T>(`${prefix}-${f.replaceAll("_", "-")}${suffix}`)])) as Record<
      Field,
      T
    >;
  const inputs = byField<HTMLInputElement>("");
  const notes = byField<HTMLElement>("-note");
  const errors = byField<HTMLElement>("-error");
  return {
    inputs,
    notes,
    errors,
    unmark() {
      for (const field of FIELDS) {
        const input = inputs[field];
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-errormessage");
        input.setAttribute("aria-describedby", notes[field].id);
        errors[field].hidden = true;
        errors[field].textContent = "";
      }
    },
    mark(field, error) {
      const input = inputs[field];
      errors[field].textContent = error.message;
      errors[field].hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-errormessage", errors[field].id);
      input.setAttribute("aria-describedby", `${errors[field].id} ${notes[field].id}`);
    },
  };
}
