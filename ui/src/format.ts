// Dates and durations as the window shows them. Pure functions: no DOM, no clock of their own.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// RFC 3339 as chrono writes it: up to nine fraction digits, "Z" or an offset. Some engines
// refuse more than three fraction digits, so they are cut before parsing.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseInstant(text: string | null | undefined): Date | null {
  const parts = text ? RFC3339.exec(text.trim()) : null;
  if (!parts) return null;
  const [, day, time, fraction = "", zone = "Z"] = parts;
  const millis = (fraction + "000").slice(0, 3);
  const date = new Date(`${day}T${time}.${millis}${zone.toUpperCase()}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export interface DateOptions {
  locale?: string | string[] | undefined;
  timeZone?: string | undefined;
}

/** Date and time, short, in the user's locale (or the one given). */
export function formatDateTime(date: Date, options: DateOptions = {}): string {
  return new Intl.DateTimeFormat(options.locale, {
    dateStyle: "short",
    timeStyle: "short",
    timeZone: options.timeZone,
  }).format(date);
}

function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** "in 365 days", "5 hours ago", "in 12 minutes", "in 9 seconds", "now": the largest unit that
 * reaches one, rounded to the nearest whole one. */
export function relativeTime(target: Date, now: Date): string {
  const diff = target.getTime() - now.getTime();
  const span = Math.abs(diff);
  const seconds = Math.round(span / SECOND);
  const minutes = Math.round(span / MINUTE);
  const hours = Math.round(span / HOUR);
  let amount: string;
  if (seconds === 0) return "now";
  if (seconds < 60) amount = count(seconds, "second");
  else if (minutes < 60) amount = count(minutes, "minute");
  else if (hours < 24) amount = count(hours, "hour");
  else amount = count(Math.round(span / DAY), "day");
  return diff > 0 ? `in ${amount}` : `${amount} ago`;
}

// The units of relativeTime, largest first, each with the shortest span it is used for.
const UNITS = [
  { size: DAY, from: 23.5 * HOUR },
  { size: HOUR, from: 59.5 * MINUTE },
  { size: MINUTE, from: 59.5 * SECOND },
  { size: SECOND, from: 0.5 * SECOND },
];

/** Milliseconds until relativeTime(target, now) reads differently: the window redraws then, and
 * not before, so an idle window wakes once an hour or once a day rather than on a period. */
export function relativeTimeChangesIn(target: Date, now: Date): number {
  const diff = target.getTime() - now.getTime();
  const span = Math.abs(diff);
  const unit = UNITS.find((u) => span >= u.from);
  if (!unit) return diff + 0.5 * SECOND; // "now", until half a second past the target
  const n = Math.round(span / unit.size);
  // Math.round rounds halves up: the text holds while span / size stays in [n − ½, n + ½).
  if (diff > 0) return span - Math.max((n - 0.5) * unit.size, unit.from) + 1;
  return (n + 0.5) * unit.size - span;
}

// Until then relativeTime counts seconds and minutes; from then on, hours and days.
const AN_HOUR = 59.5 * MINUTE;

/** How long ago, for a past instant shown beside its date and time: nothing in its first hour,
 * when the time of day says as much, then relativeTime. After each refresh this spares the
 * window a redraw every second, then every minute, for an hour (BENCHMARKS.md, idle). */
export function agoAfterAnHour(target: Date, now: Date): string {
  return now.getTime() - target.getTime() < AN_HOUR ? "" : relativeTime(target, now);
}

/** Milliseconds until agoAfterAnHour(target, now) reads differently. */
export function agoAfterAnHourChangesIn(target: Date, now: Date): number {
  const age = now.getTime() - target.getTime();
  return age < AN_HOUR ? AN_HOUR - age : relativeTimeChangesIn(target, now);
}

/** Time left as "9:05" or "1:02:03", never below "0:00"; whole seconds, rounded up. */
export function countdown(until: Date, now: Date): string {
  const seconds = Math.max(0, Math.ceil((until.getTime() - now.getTime()) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Milliseconds until countdown(until, now) reads differently: it shows whole seconds rounded up,
 * so it changes as the time left reaches a whole second. */
export function countdownChangesIn(until: Date, now: Date): number | null {
  const left = until.getTime() - now.getTime();
  if (left <= 0) return null;
  return left % SECOND || SECOND;
}
