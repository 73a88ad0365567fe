import assert from "node:assert/strict";
import { test } from "node:test";
import { importUi } from "./transpile.mjs";

const {
  parseInstant,
  formatDateTime,
  relativeTime,
  relativeTimeChangesIn,
  agoAfterAnHour,
  agoAfterAnHourChangesIn,
  countdown,
  countdownChangesIn,
} = await importUi("format");

const NOW = new Date("2026-11-27T12:00:00Z");
const after = (ms) => new Date(NOW.getTime() + ms);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

test("parseInstant reads RFC 3339 as chrono writes it", () => {
  assert.equal(parseInstant("2026-11-27T12:00:00Z").toISOString(), "2026-11-27T12:00:00.000Z");
  // Nine fraction digits: cut to milliseconds, not refused.
  assert.equal(parseInstant("2026-11-27T12:00:00.123456789Z").toISOString(), "2026-11-27T12:00:00.123Z");
  assert.equal(parseInstant("2026-11-27T14:00:00.5+02:00").toISOString(), "2026-11-27T12:00:00.500Z");
  assert.equal(parseInstant("2026-11-27t12:00:00z").toISOString(), "2026-11-27T12:00:00.000Z");
});

test("parseInstant refuses what is not an instant", () => {
  for (const text of [null, undefined, "", "tomorrow", "2026-11-27", "2026-11-27T12:00:00", "2026-13-40T12:00:00Z"]) {
    assert.equal(parseInstant(text), null, String(text));
  }
});

test("formatDateTime shows date and time, short, in the locale given", () => {
  const utc = { timeZone: "UTC" };
  assert.equal(formatDateTime(NOW, { ...utc, locale: "en-GB" }), "27/11/2026, 12:00");
  assert.equal(formatDateTime(NOW, { ...utc, locale: "de-DE" }), "27.11.26, 12:00");
  assert.match(formatDateTime(NOW, { ...utc, locale: "en-US" }), /^11\/27\/26, 12:00\sPM$/);
  assert.equal(formatDateTime(NOW, { locale: "en-GB", timeZone: "Asia/Tokyo" }), "27/11/2026, 21:00");
});

test("relativeTime uses the largest unit that reaches one, rounded", () => {
  assert.equal(relativeTime(after(365 * DAY - 5 * SECOND), NOW), "in 365 days", "a fresh one-year token");
  assert.equal(relativeTime(after(364 * DAY + 11 * HOUR), NOW), "in 364 days");
  assert.equal(relativeTime(after(2 * DAY), NOW), "in 2 days");
  assert.equal(relativeTime(after(DAY), NOW), "in 1 day");
  assert.equal(relativeTime(after(DAY - 20 * MINUTE), NOW), "in 1 day", "never 24 hours");
  assert.equal(relativeTime(after(23 * HOUR), NOW), "in 23 hours");
  assert.equal(relativeTime(after(HOUR), NOW), "in 1 hour");
  assert.equal(relativeTime(after(59 * MINUTE + 40 * SECOND), NOW), "in 1 hour", "never 60 minutes");
  assert.equal(relativeTime(after(59 * MINUTE), NOW), "in 59 minutes");
  assert.equal(relativeTime(after(MINUTE), NOW), "in 1 minute");
  assert.equal(relativeTime(after(59 * SECOND + 600), NOW), "in 1 minute", "never 60 seconds");
  assert.equal(relativeTime(after(12 * SECOND), NOW), "in 12 seconds");
  assert.equal(relativeTime(after(SECOND), NOW), "in 1 second");
  assert.equal(relativeTime(after(400), NOW), "now");
  assert.equal(relativeTime(NOW, NOW), "now");
});

test("relativeTime says how long ago for the past", () => {
  assert.equal(relativeTime(after(-3 * DAY - HOUR), NOW), "3 days ago");
  assert.equal(relativeTime(after(-HOUR), NOW), "1 hour ago");
  assert.equal(relativeTime(after(-5 * MINUTE), NOW), "5 minutes ago");
  assert.equal(relativeTime(after(-2 * SECOND), NOW), "2 seconds ago");
});

test("countdown shows minutes and seconds left, never below zero", () => {
  assert.equal(countdown(after(10 * MINUTE), NOW), "10:00");
  assert.equal(countdown(after(9 * MINUTE + 59 * SECOND + 200), NOW), "10:00");
  assert.equal(countdown(after(61 * SECOND), NOW), "1:01");
  assert.equal(countdown(after(5 * SECOND), NOW), "0:05");
  assert.equal(countdown(NOW, NOW), "0:00");
  assert.equal(countdown(after(-MINUTE), NOW), "0:00");
  assert.equal(countdown(after(HOUR + 2 * MINUTE + 3 * SECOND), NOW), "1:02:03");
});

// The text at `now` holds until just before `now + wait`, and differs at `now + wait`.
function assertChangesAt(text, wait, label) {
  assert.ok(wait >= 1, `${label}: waits ${wait} ms`);
  assert.equal(text(after(wait - 1)), text(NOW), `${label}: still the same 1 ms before`);
  assert.notEqual(text(after(wait)), text(NOW), `${label}: changed after ${wait} ms`);
}

test("relativeTimeChangesIn is exactly when relativeTime reads differently", () => {
  const spans = [0, 1, 100, 499, 500, 501, 999, SECOND, 1500, 12 * SECOND, 59 * SECOND, 59_499, 59_500, MINUTE,
    90 * SECOND, 59 * MINUTE, 59.5 * MINUTE - 1, 59.5 * MINUTE, HOUR, 1.4 * HOUR, 23 * HOUR, 23.5 * HOUR - 1,
    23.5 * HOUR, DAY, 1.5 * DAY, 273 * DAY + MINUTE, 365 * DAY - 5 * SECOND];
  let seed = 7;
  for (let i = 0; i < 300; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    spans.push(Math.floor((seed / 2 ** 31) ** 4 * 400 * DAY));
  }
  for (const span of spans) {
    for (const target of [after(span), after(-span)]) {
      const text = (now) => relativeTime(target, now);
      assertChangesAt(text, relativeTimeChangesIn(target, NOW), `${target.getTime() - NOW.getTime()} ms`);
    }
  }
});

test("an idle connected window redraws hourly at most, daily once the refresh is a day old", () => {
  assert.equal(relativeTimeChangesIn(after(-5 * MINUTE), NOW), 30 * SECOND, "5 minutes ago: at 5½");
  assert.equal(relativeTimeChangesIn(after(-3 * HOUR), NOW), 30 * MINUTE, "3 hours ago: at 3½");
  assert.equal(relativeTimeChangesIn(after(-3 * DAY), NOW), 12 * HOUR);
  assert.equal(relativeTimeChangesIn(after(273 * DAY), NOW), 12 * HOUR + 1);
});

test("the last refresh reads as a time of day for an hour, then as hours and days ago", () => {
  assert.equal(agoAfterAnHour(after(-2 * SECOND), NOW), "");
  assert.equal(agoAfterAnHour(after(-59 * MINUTE), NOW), "");
  assert.equal(agoAfterAnHour(after(-HOUR), NOW), "1 hour ago");
  assert.equal(agoAfterAnHour(after(-3 * DAY), NOW), "3 days ago");
  assert.equal(agoAfterAnHourChangesIn(after(-100), NOW), 59.5 * MINUTE - 100, "one redraw in the first hour");
  for (const age of [0, 1, SECOND, 5 * MINUTE, 59.5 * MINUTE - 1, 59.5 * MINUTE, 2 * HOUR, 30 * DAY]) {
    const text = (now) => agoAfterAnHour(after(-age), now);
    assertChangesAt(text, agoAfterAnHourChangesIn(after(-age), NOW), `${age} ms old`);
  }
});

test("countdownChangesIn is exactly when countdown reads differently, none once it reads 0:00", () => {
  for (const left of [1, 999, SECOND, 1001, 1500, 9 * MINUTE + 59_999, 10 * MINUTE]) {
    const text = (now) => countdown(after(left), now);
    assertChangesAt(text, countdownChangesIn(after(left), NOW), `${left} ms left`);
  }
  assert.equal(countdownChangesIn(NOW, NOW), null);
  assert.equal(countdownChangesIn(after(-SECOND), NOW), null);
});
