// The https bridge page, tested from the real file: its inline script runs in node:vm with a
// fake location, document and history, and its CSP hash is checked against the script.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const html = readFileSync(join(root, "ui", "bridge", "index.html"), "utf8");
const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
const script = scripts[0][2];
const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
const PATH = "/kanka-link/callback/";
const TARGET = "kanka-link://oauth/callback";

/** Opens the page at `?query` and reports what it did. */
function open(query) {
  const elements = new Map(ids.map((id) => [id, { id, hidden: true, textContent: "", href: undefined }]));
  const navigations = [];
  const history = [];
  const location = {
    search: query,
    pathname: PATH,
    replace: (url) => navigations.push(url),
    assign: (url) => navigations.push(url),
  };
  const context = {
    location,
    document: { getElementById: (id) => elements.get(id) ?? null },
    history: { replaceState: (...args) => history.push(args) },
    URLSearchParams,
  };
  context.window = context;
  vm.runInNewContext(script, context, { filename: "ui/bridge/index.html" });
  const shown = [...elements.values()].filter((e) => !e.hidden).map((e) => e.id);
  return { navigations, history, shown, el: (id) => elements.get(id) };
}

function forwardsTo(query, expected) {
  const page = open(query);
  assert.deepEqual(page.navigations, [expected]);
  assert.equal(page.el("open-app").href, expected, "the fallback link goes to the same place");
  assert.deepEqual(page.shown, ["forward"]);
  assert.deepEqual(page.history, [[null, "", PATH]], "the code is taken out of the address bar");
  return page;
}

function refuses(query) {
  const page = open(query);
  assert.deepEqual(page.navigations, [], "nothing is forwarded");
  assert.equal(page.el("open-app").href, undefined);
  assert.deepEqual(page.history, []);
  return page;
}

describe("forwarding", () => {
  test("a code answer goes to the app with its state", () => {
    forwardsTo("?code=def50200ab&state=Zx9_-k", `${TARGET}?code=def50200ab&state=Zx9_-k`);
  });

  test("an error answer keeps error, error_description and state", () => {
    forwardsTo(
      "?error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request.&state=abc",
      `${TARGET}?state=abc&error=access_denied&error_description=The%20resource%20owner%20or%20authorization%20server%20denied%20the%20request.`,
    );
  });

  test("other parameters are dropped", () => {
    forwardsTo("?iss=https%3A%2F%2Fevil.example&code=c0de&hint=x&state=s&redirect=kanka-link://x", `${TARGET}?code=c0de&state=s`);
  });

  test("special characters are encoded, and decode to what Kanka sent", () => {
    const page = forwardsTo(
      "?code=a%2Bb%2Fc%3Dd%26e%23f&state=%C3%A9t%C3%A9%20%22x%22%3Cy%3E",
      `${TARGET}?code=a%2Bb%2Fc%3Dd%26e%23f&state=%C3%A9t%C3%A9%20%22x%22%3Cy%3E`,
    );
    const forwarded = new URL(page.navigations[0]).searchParams;
    assert.equal(forwarded.get("code"), "a+b/c=d&e#f");
    assert.equal(forwarded.get("state"), 'été "x"<y>');
  });

  test("a parameter given twice is refused, whichever it is", () => {
    for (const query of ["?code=a&code=b&state=s", "?code=a&state=s&state=t", "?error=x&error=y", "?code=a&error_description=1&error_description=2"]) {
      const page = refuses(query);
      assert.deepEqual(page.shown, ["refused"], query);
      assert.match(page.el("refused").textContent, /more than once, so it was not forwarded/);
    }
    assert.match(refuses("?code=a&code=b").el("refused").textContent, /names code more than once/);
  });

  test("with no code and no error there is nothing to forward", () => {
    for (const query of ["", "?", "?state=abc", "?foo=bar&error_descriptions=x"]) {
      const page = refuses(query);
      assert.deepEqual(page.shown, ["nothing"], query);
    }
    assert.match(html, /<p id="nothing" hidden>This page forwards Kanka's answer to Kanka Link; it has nothing to forward\.<\/p>/);
  });
});

describe("the page itself", () => {
  test("its CSP allows exactly its one inline script, by hash", () => {
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0][1].trim(), "", "no src or other attributes");
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, "a CSP meta element");
    const hash = createHash("sha256").update(script, "utf8").digest("base64");
    assert.equal(
      csp,
      `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'`,
      `the CSP must name the script's hash, sha256-${hash}`,
    );
    assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<script"), "the CSP comes before the script");
  });

  test("no referrer, no third-party resources, no storage, no logging", () => {
    assert.match(html, /<meta name="referrer" content="no-referrer">/);
    assert.doesNotMatch(html, /\s(src|href)="(https?:)?\/\//, "nothing loaded from elsewhere");
    assert.doesNotMatch(html, /<(link|img|iframe|object|embed|form)\b/);
    assert.doesNotMatch(script, /localStorage|sessionStorage|indexedDB|cookie|caches|console|fetch|XMLHttpRequest|sendBeacon|postMessage/);
  });

  test("it explains the fallback", () => {
    assert.match(html, /If Kanka Link did not open, click <strong>Open Kanka Link<\/strong>/);
    assert.match(html, /<a id="open-app"[^>]*>Open Kanka Link<\/a>/);
  });
});
