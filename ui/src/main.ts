// Start-up and wiring: one card per connection (cards.ts), each with a UiState of its own; buttons
// call commands for their card's connection, statuses come back as one list through the status
// channel, and every change goes through the reducers of model.ts before view.ts draws it.

import { asErrorInfo, type ConnectionAdded, type ConnectionStatus, type DisconnectNotice } from "./contract.ts";
import { setUpAnother } from "./another.ts";
import * as ipc from "./ipc.ts";
import { canAddAnother, cardsOf, MAIN, suffixOf, type CardHead } from "./cards.ts";
import {
  answered,
  begin,
  cancelled,
  disconnected,
  fail,
  finish,
  hasConnection,
  initialUi,
  needsSignInPage,
  notify,
  present,
  receiveStatus,
  signInResumed,
  signInStarted,
  type Effect,
  type UiState,
} from "./model.ts";
import { setUpKeepLinked } from "./keep.ts";
import { setUpSettings } from "./settings.ts";
import {
  closeSetup,
  failedWith,
  formFor,
  infoArrived,
  initialSetup,
  openSetup,
  PASSED_HINT,
  PASSED_TEXT,
  presentSetup,
  problemOf,
  wantsInfo,
  type SetupState,
} from "./setup.ts";
import { bindCard, bindSetup, cardTemplate, insertCard, underSetup, type CardView } from "./view.ts";

interface Card {
  id: string;
  ui: UiState;
  view: CardView;
  head: CardHead | null;
  /** Whether the page of a sign-in that was waiting before this window opened was asked for. */
  askedForPage: boolean;
  redraw: number | undefined;
}

// Asked before anything is bound or drawn: the answer travels while the page sets itself up
// (the window is up, and shows the real state, sooner; BENCHMARKS.md, launch). start() takes it.
const firstList = ipc.getStatus();

// Taken before the first render: added cards start from the page as it was loaded.
const template = cardTemplate();
const setupView = bindSetup();
const footer = document.getElementById("state") as HTMLDataElement;
const main = newCard(MAIN, bindCard("", footer));
const cards = new Map<string, Card>([[MAIN, main]]);
const addRow = document.getElementById("add-row") as HTMLElement;
const addButton = document.getElementById("add-connection") as HTMLButtonElement;
let adding = false;
// When each card went, counted: an answer about a card that went after it was asked for is stale.
let drops = 0;
const droppedAt = new Map<string, number>();

let setup: SetupState = initialSetup;
let askedForSetup = false;
// A timer that sleeps through a suspended machine wakes late; an hour at most keeps the text true.
const LONGEST_REDRAW = 3_600_000;

function newCard(id: string, view: CardView): Card {
  const card: Card = { id, ui: initialUi, view, head: null, askedForPage: false, redraw: undefined };
  wire(card);
  return card;
}

/** The card of `id`, made (after `after`) if the page has none yet. */
function cardFor(id: string, after: Element): Card {
  const known = cards.get(id);
  if (known) return known;
  const suffix = suffixOf(id);
  insertCard(template, suffix, after);
  const card = newCard(id, bindCard(suffix, null));
  cards.set(id, card);
  return card;
}

function lastCard(): Element {
  return [...cards.values()].at(-1)?.view.root ?? main.view.root;
}

/** A connection that went from the list: its card goes, and the focus does not go with it. */
function dropCard(card: Card): void {
  drops += 1;
  droppedAt.set(card.id, drops);
  window.clearTimeout(card.redraw);
  cards.delete(card.id);
  if (card.view.root.contains(document.activeElement)) main.view.heading.focus();
  card.view.root.remove();
}

function update(card: Card, next: UiState): void {
  card.ui = next;
  if (!cards.has(card.id)) return;
  const ui = card.ui;
  if (needsSignInPage(ui) && !card.askedForPage) {
    // Waiting since before this window opened: fetch the page's address to show it again.
    card.askedForPage = true;
    ipc.signInPage(card.id).then((page) => update(card, signInResumed(card.ui, page)), () => undefined);
  } else if (ui.status?.state !== "connecting") {
    card.askedForPage = false;
  }
  const model = present(ui, new Date(), {}, card.head ?? undefined);
  if (card === main) {
    if (wantsInfo(setup, ui.status) && !askedForSetup) {
      // Only once the setup view shows: a configured window never asks.
      askedForSetup = true;
      ipc.setupInfo().then(
        (info) => {
          setup = infoArrived(setup, info);
          update(main, main.ui);
        },
        (reason) => update(main, notify(main.ui, asErrorInfo(reason).message, asErrorInfo(reason).hint, "error")),
      );
    } else if (setup.info !== null) {
      askedForSetup = false;
    }
    const shownSetup = presentSetup(setup, ui, model.message);
    setupView.render(shownSetup, model.busy);
    card.view.render(underSetup(model, shownSetup));
  } else {
    card.view.render(model);
  }
  // Redraws the countdown and "in N days" when their text changes, not on a period: display
  // only, nothing is asked of the core.
  window.clearTimeout(card.redraw);
  card.redraw =
    model.redrawIn === null
      ? undefined
      : window.setTimeout(() => update(card, card.ui), Math.min(model.redrawIn, LONGEST_REDRAW));
}

async function perform<T>(
  card: Card,
  button: string,
  effect: Effect,
  command: () => Promise<T>,
  done: (ui: UiState, result: T) => UiState,
): Promise<void> {
  // One command at a time per card, except Cancel: it must stop a sign-in that is still starting.
  if (card.ui.busy && button !== "cancel") return;
  update(card, begin(card.ui, button, effect));
  try {
    const result = await command();
    update(card, done(finish(card.ui), result));
  } catch (reason) {
    const error = asErrorInfo(reason);
    if (card === main) setup = failedWith(setup, error);
    update(card, fail(card.ui, error));
  }
}

/** An added connection goes with its tokens: what disconnecting means is said on the first card. */
function disconnectedFrom(card: Card): (ui: UiState, answer: DisconnectNotice) => UiState {
  if (card === main) return disconnected;
  const held = hasConnection(card.ui.status);
  return (ui, answer) => {
    if (held) update(main, disconnected(main.ui, answer));
    return ui;
  };
}

function wire(card: Card): void {
  const { buttons, authorizeUrl } = card.view;
  const id = card.id;
  buttons.connect.addEventListener("click", () => perform(card, "connect", "sign-in", () => ipc.connect(id), signInStarted));
  buttons.cancel.addEventListener("click", () =>
    perform(card, "cancel", "command", () => ipc.cancelConnect(id), cancelled),
  );
  buttons["open-again"].addEventListener("click", () =>
    perform(card, "open-again", "side", () => ipc.openAuthorizationPage(id), signInStarted),
  );
  buttons.refresh.addEventListener("click", () =>
    perform(card, "refresh", "command", () => ipc.refreshNow(id), answered),
  );
  buttons["try-again"].addEventListener("click", () =>
    hasConnection(card.ui.status)
      ? perform(card, "try-again", "command", () => ipc.refreshNow(id), answered)
      : perform(card, "try-again", "sign-in", () => ipc.connect(id), signInStarted),
  );
  // The list that marks the new default comes through the status channel, to every card; the
  // focus goes to this card's heading, which now says "(default)", as the button goes.
  buttons["make-default"].addEventListener("click", () =>
    perform(card, "make-default", "side", () => ipc.makeDefault(id), (ui) => {
      if (cards.get(id) === card) card.view.heading.focus();
      return ui;
    }),
  );
  buttons.disconnect.addEventListener("click", () =>
    perform(card, "disconnect", "command", () => ipc.disconnect(id), disconnectedFrom(card)),
  );
  buttons["open-kanka-settings"].addEventListener("click", () =>
    perform(card, "open-kanka-settings", "side", () => ipc.openKankaSettings(id), (state, opened) =>
      opened
        ? state
        : notify(state, "No browser could be opened.", "Open Kanka's Settings → API page in your browser.", "error"),
    ),
  );
  buttons["open-settings"].addEventListener("click", () => {
    void settings.open(card.ui.status?.last_error ?? null);
  });
  buttons["copy-url"].addEventListener("click", () =>
    copy(card, authorizeUrl, "The address is copied.", "Paste it into your browser's address bar.", true),
  );
}

/** Every connection's status: a card for each, in the core's order; cards of connections that
 * went are removed. */
function receiveList(list: ConnectionStatus[]): void {
  const heads = cardsOf(list);
  for (const card of [...cards.values()]) {
    if (card !== main && !heads.some((head) => head.id === card.id)) dropCard(card);
  }
  let after: Element = main.view.root;
  list.forEach((entry, at) => {
    const card = entry.id === MAIN ? main : cardFor(entry.id, after);
    const head = heads[at] ?? null;
    card.head = head;
    if (head) card.view.setHeading(head.heading, head.isDefault);
    after = card.view.root;
    // Another connection's change sends this one's status again: it is news only if it changed.
    if (JSON.stringify(card.ui.status) !== JSON.stringify(entry.status)) update(card, receiveStatus(card.ui, entry.status));
    else update(card, card.ui);
  });
  addRow.hidden = !canAddAnother(list);
  if (addRow.hidden) another.close();
}

/** "Connect another account" and "Add another Kanka server": a new connection (`call` adds it and
 * starts its sign-in), its card waiting for its sign-in; false when another add is under way. */
async function addAnother(call: () => Promise<ConnectionAdded>): Promise<boolean> {
  if (adding) return false;
  adding = true;
  addButton.setAttribute("aria-disabled", "true");
  const asked = drops;
  try {
    const added = await call();
    // Its statuses may come before the answer (opening the browser takes a while), and with
    // them its end: a card cancelled meanwhile stays gone.
    if ((droppedAt.get(added.id) ?? 0) > asked) return true;
    const card = cardFor(added.id, lastCard());
    const status = card.ui.status;
    const state = status?.state;
    // Over already (its statuses came first) when it is no longer waiting: a new connection is
    // "disconnected" before its sign-in starts, but with no error (a refused one ends with one).
    if (state === undefined || state === "connecting" || (state === "disconnected" && !status?.last_error)) {
      const waiting: UiState = { ...card.ui, signIn: { started: null, sawConnecting: state === "connecting" } };
      update(card, signInStarted(waiting, added.sign_in));
    }
    return true;
  } finally {
    adding = false;
    addButton.removeAttribute("aria-disabled");
  }
}
addButton.addEventListener("click", () =>
  addAnother(ipc.addConnection).catch((reason) => update(main, fail(main.ui, asErrorInfo(reason)))),
);
// Its form shows a refusal at the field it is about; any other on the first card.
const another = setUpAnother({
  load: ipc.getSettings,
  add: (form) => addAnother(() => ipc.addServerConnection(form)),
  failed: (error) => update(main, fail(main.ui, error)),
});

const settings = setUpSettings({
  load: ipc.getSettings,
  save: ipc.saveSettings,
  begin: () => update(main, begin(main.ui, "settings-save", "command")),
  saved: (text) => update(main, notify(finish(main.ui), text, null, "info")),
  // Saving is a command of its own; loading the form is not.
  failed: (error) =>
    update(main, main.ui.busy === "settings-save" ? fail(main.ui, error) : notify(main.ui, error.message, error.hint, "error")),
});

setUpKeepLinked({
  get: ipc.loginCheck,
  set: ipc.setLoginCheck,
  failed: (error) => update(main, notify(main.ui, error.message, error.hint, "error")),
});

/** Copies a field's text; where the clipboard refuses, selects it for the user to copy. */
async function copy(
  card: Card,
  field: HTMLInputElement | HTMLTextAreaElement,
  done: string,
  hint: string,
  whileWaiting: boolean,
): Promise<void> {
  try {
    await navigator.clipboard.writeText(field.value);
    update(card, notify(card.ui, done, hint, "info", whileWaiting));
  } catch {
    field.focus();
    field.select();
    const keys = /Mac|iPhone|iPad/.test(navigator.userAgent) ? "⌘C" : "Ctrl+C";
    update(card, notify(card.ui, `Press ${keys} to copy the selected address.`, null, "info", whileWaiting));
  }
}

// The setup view, in the settings' own card.
function showSetup(): void {
  setup = openSetup(closeSetup(setup));
  update(main, main.ui);
  main.view.heading.focus();
}
document.getElementById("open-setup")?.addEventListener("click", showSetup);
setupView.buttons["setup-close"].addEventListener("click", () => {
  setup = closeSetup(setup);
  update(main, main.ui);
});
setupView.buttons["open-new-client"].addEventListener("click", () =>
  perform(main, "open-new-client", "side", ipc.openNewClientPage, (state, opened) =>
    opened
      ? state
      : notify(state, "No browser could be opened.", `Open ${setup.info?.new_client_page ?? "Kanka"} in your browser.`, "error"),
  ),
);
setupView.buttons["copy-redirect"].addEventListener("click", () =>
  copy(main, setupView.redirect, "The redirect URL is copied.", "Paste it into the client's Redirect URL field in Kanka.", false),
);
setupView.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void checkAndSave();
});

/** "Check and save": the settings first (the secret straight to the keychain), then the setup
 * check; the view stays until Kanka accepts them. */
async function checkAndSave(): Promise<void> {
  const info = setup.info;
  if (main.ui.busy || !info) return;
  setup = openSetup(setup);
  update(main, begin(main.ui, "setup-save", "command"));
  try {
    const current = await ipc.getSettings();
    await ipc.saveSettings(formFor(current, info, setupView.clientId.value, setupView.secret.value));
    setupView.secret.value = "";
    const problem = problemOf(await ipc.checkSetup());
    if (problem) {
      update(main, fail(main.ui, problem));
      return;
    }
    setup = closeSetup(setup);
    update(main, notify(finish(main.ui), PASSED_TEXT, PASSED_HINT, "info"));
    main.view.buttons.connect.focus();
  } catch (reason) {
    update(main, fail(main.ui, asErrorInfo(reason)));
  }
}

async function start(): Promise<void> {
  update(main, main.ui);
  // Asked at once (firstList), so the window shows the real state one round trip sooner (bench
  // variant tiny-page-listen), then subscribe: the channel sends the current list first, and
  // every change after it. Lists are full snapshots, so once one has come through the channel
  // the answer to `status` can only be as new, or older.
  let listsSeen = 0;
  const first = (async (answer: Promise<ConnectionStatus[]>) => {
    try {
      const list = await answer;
      if (listsSeen === 0) receiveList(list);
    } catch (reason) {
      update(main, fail(main.ui, asErrorInfo(reason)));
    }
  })(firstList);
  try {
    await ipc.onStatus(
      (list) => {
        listsSeen += 1;
        receiveList(list);
      },
      (error) => update(main, notify(main.ui, error.message, error.hint, "error")),
    );
  } catch (reason) {
    update(main, fail(main.ui, asErrorInfo(reason)));
  }
  await first;
}

void start();
