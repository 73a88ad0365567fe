// Draws a ViewModel into the page. Text is only written when it changes, so the live regions
// announce news, not every redraw.

import type { SetupInfo } from "./contract.ts";
import { whenText, type Action, type Details, type Message, type ViewModel, type When } from "./model.ts";
import type { SetupModel } from "./setup.ts";

export const ACTIONS: readonly Action[] = [
  "connect",
  "refresh",
  "try-again",
  "open-settings",
  "open-again",
  "cancel",
  "disconnect",
];

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

function setText(target: HTMLElement, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

function paragraph(className: string, text: string): HTMLParagraphElement {
  const p = document.createElement("p");
  p.className = className;
  p.textContent = text;
  return p;
}

/** "Label <time datetime=…>date</time> (relative)", rebuilt only when it reads differently. */
function setWhen(target: HTMLElement, line: When): void {
  const key = `${line.datetime ?? ""}\n${whenText(line)}`;
  if (target.dataset.shown === key) return;
  target.dataset.shown = key;
  const time = document.createElement("time");
  if (line.datetime) time.dateTime = line.datetime;
  time.textContent = line.date;
  target.replaceChildren(`${line.label} `, time, line.relative ? ` (${line.relative})` : "");
}

function isShown(target: Element): boolean {
  return target.isConnected && target.closest("[hidden]") === null;
}

/** The setup view's own buttons (not in `model.actions`: they show with the view). */
export const SETUP_BUTTONS = ["open-new-client", "copy-redirect", "setup-save", "setup-close"] as const;
export type SetupButton = (typeof SETUP_BUTTONS)[number];

export interface View {
  render(model: ViewModel, setup: SetupModel): void;
  buttons: Record<Action | SetupButton | "open-kanka-settings" | "copy-url", HTMLButtonElement>;
  authorizeUrl: HTMLInputElement;
  setup: { form: HTMLFormElement; redirect: HTMLTextAreaElement; clientId: HTMLInputElement; secret: HTMLInputElement };
}

export function bindView(): View {
  const card = element<HTMLElement>("connection");
  const heading = element<HTMLElement>("connection-heading");
  const state = element<HTMLDataElement>("state");
  const progress = element<HTMLElement>("progress");
  const message = element<HTMLElement>("message");
  const regions = { error: element<HTMLElement>("message-alert"), info: element<HTMLElement>("message-status") };
  const noticeActions = element<HTMLElement>("notice-actions");
  const intro = element<HTMLElement>("intro");
  const waiting = element<HTMLElement>("waiting");
  const remaining = element<HTMLElement>("remaining");
  const urlRow = element<HTMLElement>("url-row");
  const authorizeUrl = element<HTMLInputElement>("authorize-url");
  const details = element<HTMLElement>("details");
  const statusActions = element<HTMLElement>("actions");
  const setupPanel = element<HTMLElement>("setup");
  const setupParts = {
    form: element<HTMLFormElement>("setup-form"),
    redirect: element<HTMLTextAreaElement>("setup-redirect"),
    clientId: element<HTMLInputElement>("setup-client-id"),
    secret: element<HTMLInputElement>("setup-client-secret"),
  };
  const setupText = {
    page: element<HTMLElement>("new-client-page"),
    name: element<HTMLElement>("client-name"),
    redirectNote: element<HTMLElement>("setup-redirect-note"),
    idNote: element<HTMLElement>("setup-client-id-note"),
    secretNote: element<HTMLElement>("setup-client-secret-note"),
  };
  let shownInfo: SetupInfo | null = null;
  const lines = {
    account: element<HTMLElement>("account"),
    accountNote: element<HTMLElement>("account-note"),
    expires: element<HTMLElement>("expires"),
    lastRefresh: element<HTMLElement>("last-refresh"),
    nextRefresh: element<HTMLElement>("next-refresh"),
  };
  const buttons = Object.fromEntries(
    [...ACTIONS, ...SETUP_BUTTONS, "open-kanka-settings", "copy-url"].map((id) => [id, element<HTMLButtonElement>(id)]),
  ) as View["buttons"];
  let shownMessage = "";

  function drawMessage(next: Message | null): void {
    const key = next ? `${next.tone}\n${next.text}\n${next.hint ?? ""}` : "";
    if (key === shownMessage) return;
    shownMessage = key;
    // An error interrupts (role="alert"); news waits until the reader is done (role="status").
    regions.error.replaceChildren();
    regions.info.replaceChildren();
    if (!next) {
      delete message.dataset.tone;
      return;
    }
    message.dataset.tone = next.tone;
    const parts = [paragraph("message-text", next.text)];
    if (next.hint) parts.push(paragraph("message-hint", next.hint));
    regions[next.tone].replaceChildren(...parts);
  }

  function drawDetails(next: Details | null): void {
    details.hidden = next === null;
    if (!next) return;
    setText(lines.account, next.account);
    lines.accountNote.hidden = !next.accountPending;
    setWhen(lines.expires, next.expires);
    setWhen(lines.lastRefresh, next.lastRefresh);
    lines.nextRefresh.hidden = next.nextRefresh === null;
    if (next.nextRefresh) setWhen(lines.nextRefresh, next.nextRefresh);
  }

  /** Fills the steps when new info arrives; the fields the user types in are set only then. */
  function drawSetup(setup: SetupModel): void {
    setupPanel.hidden = !setup.shown;
    buttons["setup-close"].hidden = !setup.canClose;
    const info = setup.info;
    if (!setup.shown || info === shownInfo) return;
    shownInfo = info;
    if (!info) return;
    setText(setupText.page, info.new_client_page);
    setText(setupText.name, info.client_name);
    // Its text too, so that what reads the element (WebDriver) sees the address.
    setupParts.redirect.value = info.redirect_uri;
    setupParts.redirect.textContent = info.redirect_uri;
    setupText.redirectNote.hidden = !info.redirect_uri_fixed;
    setText(setupText.redirectNote, info.redirect_uri_fixed ? "Set by KANKA_LINK_REDIRECT_URI." : "");
    setupParts.clientId.value = info.client_id;
    setupParts.clientId.readOnly = info.client_id_fixed;
    setText(setupText.idNote, info.client_id_fixed ? "Read-only: set by KANKA_LINK_CLIENT_ID." : "");
    setupText.idNote.hidden = !info.client_id_fixed;
    setupParts.secret.value = "";
    setupParts.secret.readOnly = info.client_secret_fixed;
    setText(
      setupText.secretNote,
      info.client_secret_fixed
        ? "Read-only: set by KANKA_LINK_CLIENT_SECRET."
        : "Kept in your system keychain, never in a file.",
    );
  }

  function render(model: ViewModel, setup: SetupModel): void {
    const focused = document.activeElement;
    const hadFocus = focused instanceof HTMLElement && card.contains(focused);

    // The words for people, the raw name for scripts and tests (<data value>).
    if (state.value !== model.state) state.value = model.state;
    setText(state, model.stateLabel);
    drawSetup(setup);
    // The setup view replaces the status panel, its messages included.
    if (setup.shown) {
      const actions: Action[] = setup.settingsFix ? ["open-settings"] : [];
      model = { ...model, message: setup.message, progress: "", intro: false, kankaSettings: false, waiting: null,
        details: null, actions, primary: null };
    }
    statusActions.hidden = model.actions.length === 0;
    setText(progress, model.progress);
    drawMessage(model.message);
    noticeActions.hidden = !model.kankaSettings;
    intro.hidden = !model.intro;

    waiting.hidden = model.waiting === null;
    urlRow.hidden = !model.waiting?.url;
    if (model.waiting?.url && authorizeUrl.value !== model.waiting.url) {
      // The attribute too, so that what reads attributes (WebDriver) sees the address.
      authorizeUrl.value = model.waiting.url;
      authorizeUrl.setAttribute("value", model.waiting.url);
    }
    remaining.hidden = !model.waiting?.remaining;
    setText(remaining, model.waiting?.remaining ?? "");

    drawDetails(model.details);

    for (const action of ACTIONS) {
      const button = buttons[action];
      button.hidden = !model.actions.includes(action);
      button.disabled = model.disabled.includes(action);
      button.classList.toggle("primary", model.primary === action);
    }
    for (const button of Object.values(buttons)) {
      // aria-disabled, not disabled, so a busy button keeps the focus.
      if (model.busy === button.id) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
    card.setAttribute("aria-busy", String(model.busy !== null));

    // A control that just went away must not take the keyboard focus with it: it goes to the
    // view's main action, or to the heading, never to a button the user did not aim at.
    if (hadFocus && !isShown(focused)) {
      const next = model.primary ? buttons[model.primary] : null;
      (next && isShown(next) && !next.disabled ? next : heading).focus();
    }
  }

  return { render, buttons, authorizeUrl, setup: setupParts };
}
