// Draws a ViewModel into a connection's card (the settings' own is in the page; an added one is a
// copy of it with ids of its own), and the setup view into the settings' own. Text is only
// written when it changes, so the live regions announce news, not every redraw.

import type { SetupInfo } from "./contract.ts";
import { element } from "./fields.ts";
import { whenText, type Action, type Details, type Message, type ViewModel, type When } from "./model.ts";
import type { SetupModel } from "./setup.ts";

/** "Disconnect" on an added connection that holds no account: it only goes from the list. */
export const REMOVE_TEXT = "Remove";

export const ACTIONS: readonly Action[] = [
  "connect",
  "refresh",
  "try-again",
  "open-settings",
  "open-again",
  "cancel",
  "make-default",
  "disconnect",
];

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

/** A card's own buttons: its actions, and those of its notice and its sign-in address. */
export const CARD_BUTTONS = [...ACTIONS, "open-kanka-settings", "copy-url"] as const;
export type CardButton = (typeof CARD_BUTTONS)[number];

/** One connection's card. */
export interface CardView {
  root: HTMLElement;
  heading: HTMLElement;
  render(model: ViewModel): void;
  /** Its heading, and whether it is the default (`data-default`, for scripts and tests). */
  setHeading(text: string, isDefault: boolean): void;
  buttons: Record<CardButton, HTMLButtonElement>;
  authorizeUrl: HTMLInputElement;
}

/** The setup view, in the settings' own card. */
export interface SetupView {
  render(setup: SetupModel, busy: string | null): void;
  buttons: Record<SetupButton, HTMLButtonElement>;
  form: HTMLFormElement;
  redirect: HTMLTextAreaElement;
  clientId: HTMLInputElement;
  secret: HTMLInputElement;
}

// What an added card refers to by id, renamed with it.
const REFERENCES = ["for", "aria-labelledby", "aria-describedby", "aria-controls", "aria-errormessage"];
// Parts of the settings' own card that no other card has.
const MAIN_ONLY = ["setup", "keep-linked-row"];

/** A pristine copy of the settings' own card, for added ones: taken before the first render. */
export function cardTemplate(): HTMLElement {
  const copy = element<HTMLElement>("connection").cloneNode(true) as HTMLElement;
  for (const id of MAIN_ONLY) copy.querySelector(`#${id}`)?.remove();
  return copy;
}

/** An added card in the page, after `after`: the template with every id (and every reference to
 * one) given `suffix`, so no id repeats and labels still name their inputs. */
export function insertCard(template: HTMLElement, suffix: string, after: Element): HTMLElement {
  const card = template.cloneNode(true) as HTMLElement;
  for (const part of [card, ...card.querySelectorAll<HTMLElement>("*")]) {
    if (part.id) part.id += suffix;
    for (const name of REFERENCES) {
      const value = part.getAttribute(name);
      if (value) part.setAttribute(name, value.split(/\s+/).map((id) => id + suffix).join(" "));
    }
  }
  after.after(card);
  return card;
}

/** Binds a card in the page: the settings' own (`suffix` "", with the footer's state) or an
 * added one (insertCard). */
export function bindCard(suffix: string, footer: HTMLDataElement | null): CardView {
  const part = <T extends HTMLElement>(id: string) => element<T>(id + suffix);
  const card = part<HTMLElement>("connection");
  const heading = part<HTMLElement>("connection-heading");
  const progress = part<HTMLElement>("progress");
  const message = part<HTMLElement>("message");
  const regions = { error: part<HTMLElement>("message-alert"), info: part<HTMLElement>("message-status") };
  const noticeActions = part<HTMLElement>("notice-actions");
  const intro = part<HTMLElement>("intro");
  const waiting = part<HTMLElement>("waiting");
  const remaining = part<HTMLElement>("remaining");
  const urlRow = part<HTMLElement>("url-row");
  const authorizeUrl = part<HTMLInputElement>("authorize-url");
  const details = part<HTMLElement>("details");
  const statusActions = part<HTMLElement>("actions");
  const lines = {
    account: part<HTMLElement>("account"),
    accountNote: part<HTMLElement>("account-note"),
    expires: part<HTMLElement>("expires"),
    lastRefresh: part<HTMLElement>("last-refresh"),
    nextRefresh: part<HTMLElement>("next-refresh"),
  };
  const buttons = Object.fromEntries(CARD_BUTTONS.map((id) => [id, part<HTMLButtonElement>(id)])) as CardView["buttons"];
  const disconnectText = buttons.disconnect.textContent ?? "";
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

  function render(model: ViewModel): void {
    const focused = document.activeElement;
    const hadFocus = focused instanceof HTMLElement && card.contains(focused);

    // The words for people, the raw name for scripts and tests (<data value>, data-state).
    if (footer) {
      if (footer.value !== model.state) footer.value = model.state;
      setText(footer, model.stateLabel);
    }
    if (card.dataset.state !== model.state) card.dataset.state = model.state;
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
    setText(buttons.disconnect, model.removes ? REMOVE_TEXT : disconnectText);
    for (const [name, button] of Object.entries(buttons)) {
      // aria-disabled, not disabled, so a busy button keeps the focus.
      if (model.busy === name) button.setAttribute("aria-disabled", "true");
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

  function setHeading(text: string, isDefault: boolean): void {
    setText(heading, text);
    if (isDefault) card.dataset.default = "";
    else delete card.dataset.default;
  }

  return { root: card, heading, render, setHeading, buttons, authorizeUrl };
}

/** The status panel's model while the setup view replaces it, its messages included. */
export function underSetup(model: ViewModel, setup: SetupModel): ViewModel {
  if (!setup.shown) return model;
  const actions: Action[] = setup.settingsFix ? ["open-settings"] : [];
  return { ...model, message: setup.message, progress: "", intro: false, kankaSettings: false, waiting: null,
    details: null, actions, primary: null, removes: false };
}

export function bindSetup(): SetupView {
  const setupPanel = element<HTMLElement>("setup");
  const parts = {
    form: element<HTMLFormElement>("setup-form"),
    redirect: element<HTMLTextAreaElement>("setup-redirect"),
    clientId: element<HTMLInputElement>("setup-client-id"),
    secret: element<HTMLInputElement>("setup-client-secret"),
  };
  const text = {
    page: element<HTMLElement>("new-client-page"),
    name: element<HTMLElement>("client-name"),
    redirectNote: element<HTMLElement>("setup-redirect-note"),
    idNote: element<HTMLElement>("setup-client-id-note"),
    secretNote: element<HTMLElement>("setup-client-secret-note"),
  };
  const buttons = Object.fromEntries(SETUP_BUTTONS.map((id) => [id, element<HTMLButtonElement>(id)])) as SetupView["buttons"];
  let shownInfo: SetupInfo | null = null;

  /** Fills the steps when new info arrives; the fields the user types in are set only then. */
  function render(setup: SetupModel, busy: string | null): void {
    for (const button of Object.values(buttons)) {
      if (busy === button.id) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    }
    setupPanel.hidden = !setup.shown;
    buttons["setup-close"].hidden = !setup.canClose;
    const info = setup.info;
    if (!setup.shown || info === shownInfo) return;
    shownInfo = info;
    if (!info) return;
    setText(text.page, info.new_client_page);
    setText(text.name, info.client_name);
    // Its text too, so that what reads the element (WebDriver) sees the address.
    parts.redirect.value = info.redirect_uri;
    parts.redirect.textContent = info.redirect_uri;
    text.redirectNote.hidden = !info.redirect_uri_fixed;
    setText(text.redirectNote, info.redirect_uri_fixed ? "Set by KANKA_LINK_REDIRECT_URI." : "");
    parts.clientId.value = info.client_id;
    parts.clientId.readOnly = info.client_id_fixed;
    setText(text.idNote, info.client_id_fixed ? "Read-only: set by KANKA_LINK_CLIENT_ID." : "");
    text.idNote.hidden = !info.client_id_fixed;
    parts.secret.value = "";
    parts.secret.readOnly = info.client_secret_fixed;
    setText(
      text.secretNote,
      info.client_secret_fixed
        ? "Read-only: set by KANKA_LINK_CLIENT_SECRET."
        : "Kept in your system keychain, never in a file.",
    );
  }

  return { render, buttons, ...parts };
}
