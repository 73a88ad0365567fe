// The window's page as the app embeds it: built with the project's own Vite config into a
// temporary folder, then checked against the app's CSP, the ids and texts the end-to-end tests
// use, accessibility basics and size.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUDGET = 48 * 1024;

let out;
let html;
let files;

function walk(folder) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(folder, entry.name)) : [join(folder, entry.name)],
  );
}

before(async () => {
  out = mkdtempSync(join(tmpdir(), "kanka-link-dist-"));
  await build({
    configFile: join(root, "ui", "vite.config.ts"),
    logLevel: "error",
    build: { outDir: out, emptyOutDir: true },
  });
  html = readFileSync(join(out, "index.html"), "utf8");
  files = walk(out).map((path) => ({ path, text: readFileSync(path, "utf8"), size: statSync(path).size }));
});

after(() => rmSync(out, { recursive: true, force: true }));

/** The start tag of the element with this id. */
function tag(id) {
  const found = new RegExp(`<[a-z0-9]+\\b[^>]*\\sid="${id}"[^>]*>`).exec(html);
  assert.ok(found, `#${id} is on the page`);
  return found[0];
}

function button(id) {
  const found = new RegExp(`<button\\b[^>]*\\sid="${id}"[^>]*>([^<]*)</button>`).exec(html);
  assert.ok(found, `#${id} is a <button>`);
  return found[1];
}

describe("the app's CSP", () => {
  test("no inline script, style attribute, event handler or javascript: URL", () => {
    for (const [, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(attributes, /\ssrc="\.\/assets\/[^"]+\.js"/);
      assert.equal(body.trim(), "");
    }
    assert.doesNotMatch(html, /<style\b/);
    assert.doesNotMatch(html, /\sstyle=/);
    assert.doesNotMatch(html, /\son[a-z]+=/);
    assert.doesNotMatch(html, /javascript:/i);
  });

  test("nothing comes from the network", () => {
    for (const { path, text } of files) {
      assert.doesNotMatch(text, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i, path);
      assert.doesNotMatch(text, /@import|@font-face/, path);
    }
    for (const [, url] of html.matchAll(/\s(?:src|href)="([^"]+)"/g)) assert.match(url, /^\.\/assets\//);
  });

  test("no eval in the bundle", () => {
    for (const { path, text } of files.filter((f) => f.path.endsWith(".js"))) {
      assert.doesNotMatch(text, /\beval\(|new Function\(/, path);
    }
  });
});

describe("ids and texts the tests rely on", () => {
  test("buttons", () => {
    const buttons = {
      connect: "Connect to Kanka",
      cancel: "Cancel",
      "open-again": "Open the page again",
      "copy-url": "Copy",
      refresh: "Refresh now",
      disconnect: "Disconnect",
      "make-default": "Make default",
      "open-kanka-settings": "Open Kanka's settings",
      "open-settings": "Open settings",
      "try-again": "Try again",
      "settings-toggle": "Settings",
      "settings-save": "Save",
      "open-setup": "Set up a new Kanka client",
      "open-new-client": "Open Kanka's new client page",
      "copy-redirect": "Copy",
      "setup-save": "Check and save",
      "setup-close": "Back",
      "add-connection": "Connect another account",
      "add-server": "Add another Kanka server",
      "another-connect": "Connect",
      "another-cancel": "Cancel",
    };
    for (const [id, text] of Object.entries(buttons)) assert.equal(button(id), text, `#${id}`);
    assert.equal((html.match(/<button\b/g) ?? []).length, Object.keys(buttons).length);
    for (const start of html.match(/<button\b[^>]*>/g)) assert.match(start, /\stype="(button|submit)"/);
  });

  test("added connections' cards come after the first and before 'Connect another account'", () => {
    // The row is hidden until the first connection is connected (cards.ts, canAddAnother).
    assert.match(tag("add-row"), /\shidden/);
    assert.ok(html.indexOf('id="connection"') < html.indexOf('id="add-row"'));
    assert.ok(html.indexOf('id="add-row"') < html.indexOf('id="settings"'));
    // "Add another Kanka server" opens its form, which is after the row, hidden until then.
    assert.match(tag("add-server"), /\saria-expanded="false" aria-controls="another"/);
    assert.match(tag("another"), /\shidden/);
    assert.ok(html.indexOf('id="add-row"') < html.indexOf('id="another"'));
    assert.ok(html.indexOf('id="another"') < html.indexOf('id="settings"'));
  });

  test("status elements", () => {
    for (const id of ["account", "expires", "last-refresh", "next-refresh", "state", "authorize-url"]) tag(id);
    // #message holds both message regions: the tests read either through it.
    assert.match(html, /<div id="message">\s*<div id="message-alert" role="alert"><\/div>\s*<div id="message-status" role="status"><\/div>\s*<\/div>/);
    assert.match(tag("progress"), /\srole="status"/);
    assert.equal((html.match(/role="alert"/g) ?? []).length, 1, "one alert region, for errors");
    assert.equal((html.match(/role="status"/g) ?? []).length, 2, "two status regions: progress and news");
    assert.match(html, /<data id="state" value=""><\/data>/, "the state's raw name is a value, its words the text");
    assert.match(tag("authorize-url"), /\sreadonly/);
    assert.match(tag("setting-client-secret"), /\stype="password"/);
    // The setup view: the redirect to copy is read-only, the secret is never shown.
    assert.match(tag("setup"), /\shidden/);
    assert.match(tag("setup-redirect"), /\sreadonly/);
    assert.match(tag("setup-client-secret"), /\stype="password"/);
    assert.match(tag("another-client-secret"), /\stype="password"/);
  });

  test("texts that only the script writes are in the bundle", () => {
    const js = files.filter((f) => f.path.endsWith(".js")).map((f) => f.text).join("\n");
    for (const text of ["Waiting for Kanka in your browser…", "Refreshing…", "Settings saved.", "saved in the keychain", "Connected as ", "Kanka accepts these settings.", "Remove", "Another Kanka account", " (default)"]) {
      assert.ok(js.includes(text), text);
    }
  });
});

describe("accessibility basics", () => {
  test("language, headings, labels for every input", () => {
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<h1>Kanka Link<\/h1>/);
    const inputs = [...html.matchAll(/<input\b[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(inputs.length, 14);
    // The redirect to copy wraps (a text area), so it shows in full.
    assert.match(html, /<label for="setup-redirect">[^<]+<\/label>/);
    assert.match(html, /<textarea id="setup-redirect" rows="2" readonly\b/);
    for (const id of inputs) assert.match(html, new RegExp(`<label for="${id}">[^<]+</label>`), `a label for #${id}`);
    const labels = Object.fromEntries([...html.matchAll(/<label for="([^"]+)">([^<]+)<\/label>/g)].map((m) => [m[1], m[2]]));
    assert.deepEqual(labels, {
      "authorize-url": "Sign-in address",
      "setting-url": "Kanka URL",
      "setting-api-url": "API URL",
      "setting-client-id": "Client ID",
      "setting-client-secret": "Client secret",
      "setting-redirect-uri": "Redirect URI",
      "setup-redirect": "Enter this redirect URL in Kanka, exactly as it is",
      "setup-client-id": "Client ID",
      "setup-client-secret": "Client secret",
      "keep-linked": "Keep linked when Kanka Link is closed",
      "another-url": "Kanka URL",
      "another-api-url": "API URL",
      "another-client-id": "Client ID",
      "another-client-secret": "Client secret",
      "another-redirect-uri": "Redirect URI",
    });
    // The login check's switch: a native checkbox, described by its note, hidden until its real
    // state is known.
    assert.match(tag("keep-linked"), /\stype="checkbox"/);
    assert.match(tag("keep-linked"), /\saria-describedby="keep-linked-note"/);
    assert.match(tag("keep-linked-row"), /\shidden/);
  });

  test("every settings field has a place for its error, and takes letters", () => {
    // The settings form, and the form that adds another Kanka server (the same fields).
    for (const form of ["setting", "another"]) {
      for (const field of ["url", "api-url", "client-id", "client-secret", "redirect-uri"]) {
        assert.match(tag(`${form}-${field}-error`), /\sclass="field-error" hidden/);
        assert.match(tag(`${form}-${field}`), new RegExp(`\\saria-describedby="${form}-${field}-note"`));
      }
      // Kanka's client ids are not always digits: no numeric keyboard.
      assert.doesNotMatch(tag(`${form}-client-id`), /inputmode/);
    }
  });

  test("the stylesheet has visible focus, hides it nowhere, and has a dark scheme", () => {
    const css = files.filter((f) => f.path.endsWith(".css")).map((f) => f.text).join("\n");
    assert.match(css, /:focus-visible\{[^}]*outline:/);
    assert.doesNotMatch(css, /outline:\s*(none|0)\b/);
    assert.match(css, /prefers-color-scheme:\s*dark/);
  });

  test("axe-core is a test tool: none of it is in the page", () => {
    for (const { path, text } of files) assert.doesNotMatch(text, /axe-core|axe\.run|dequelabs/i, path);
  });
});

test(`the whole UI stays small (under ${BUDGET / 1024} KiB)`, (t) => {
  const total = files.reduce((sum, f) => sum + f.size, 0);
  const sizes = files.map((f) => `${f.path.slice(out.length + 1)} ${f.size} B`).join(", ");
  t.diagnostic(`ui/dist: ${total} bytes (${sizes})`);
  assert.ok(total < BUDGET, `${total} bytes`);
});
