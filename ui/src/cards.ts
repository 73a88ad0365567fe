// Several connections: one card per connection, in the order the core lists them (the settings'
// own first), each with its heading and marks. Pure, like model.ts, which draws each card's inside;
// main.ts keeps a UiState per card, view.ts draws them.

import type { ConnectionStatus } from "./contract.ts";
import type { CardRole } from "./model.ts";

/** The settings' own connection (the core's `connections::MAIN`). */
export const MAIN = "main";

export const SINGLE_HEADING = "Kanka account";
export const ADDED_HEADING = "Another Kanka account";
export const ADD_TEXT = "Connect another account";

export interface CardHead extends CardRole {
  id: string;
  /** "Kanka account" while there is one; with several, which account, and the default marked. */
  heading: string;
  /** Marked only when there are several: with one, it is the default by itself. */
  isDefault: boolean;
  /** The suffix of the card's element ids ("" for the settings' own, whose ids the page has). */
  suffix: string;
}

/** The suffix of an added card's element ids: its id, kept to letters, digits, `_` and `-`. */
export function suffixOf(id: string): string {
  return id === MAIN ? "" : `-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** The host a server's address names, for headings when the connections are on several servers. */
function hostOf(server: string): string {
  try {
    return new URL(server).host || server;
  } catch {
    return server;
  }
}

/** Each card's heading and marks, in the list's order. */
export function cardsOf(list: readonly ConnectionStatus[]): CardHead[] {
  const several = list.length > 1;
  const servers = new Set(list.map((entry) => entry.server)).size > 1;
  return list.map((entry) => {
    const name = entry.status.account?.name ?? null;
    let heading = SINGLE_HEADING;
    if (several) {
      heading = name ? `${SINGLE_HEADING}: ${name}` : entry.id === MAIN ? SINGLE_HEADING : ADDED_HEADING;
      if (servers && entry.server) heading += ` on ${hostOf(entry.server)}`;
      if (entry.default) heading += " (default)";
    }
    return {
      id: entry.id,
      heading,
      isDefault: several && entry.default,
      removable: entry.id !== MAIN,
      offersDefault: several && !entry.default,
      suffix: suffixOf(entry.id),
    };
  });
}

/** "Connect another account" shows once the first connection is connected. */
export function canAddAnother(list: readonly ConnectionStatus[]): boolean {
  const first = list[0];
  return first?.id === MAIN && (first.status.state === "connected" || first.status.state === "refreshing");
}
