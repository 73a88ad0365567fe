#!/usr/bin/env python3
"""Writes the bare Tauri 2 app that the benchmark compares Kanka Link with: the same Tauri, the
same release profile, the same window (480×640), a .deb bundle, and a page whose script calls one
command at module start; the command prints `the window is up` on stderr, as Kanka Link's first
`status` command logs it. Nothing else: no plugin, no HTTP client, no keychain.

    python3 tests/bench/bare.py DIR [--plugins]

DIR (target/bench/bare) is generated at benchmark time and never committed. Kanka Link's
Cargo.lock is copied in, so the bare app resolves the very same crate versions.

With --plugins it is the bare app plus the three plugins Kanka Link uses, set up as Kanka Link
sets them up (single-instance with its deep-link feature, first; deep-link with a scheme;
opener), and nothing else: a reference that tells the plugins' share from Kanka Link's own."""

import json
import pathlib
import re
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]

MAIN_RS = """\
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The page calls this at module start: the moment the window is up.
#[tauri::command]
fn loaded() {
    eprintln!("the window is up");
}

fn main() {
    tauri::Builder::default()
        //PLUGINS
        .invoke_handler(tauri::generate_handler![loaded])
        .run(tauri::generate_context!())
        .expect("the bare app could not start");
}
"""

BUILD_RS = """\
fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&["loaded"]));
    tauri_build::try_build(attributes).expect("the Tauri build script runs");
}
"""

INDEX_HTML = """\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Bare Tauri</title>
    <script type="module" src="./main.js"></script>
  </head>
  <body>
    <h1>Bare Tauri</h1>
    <p>A bare Tauri 2 app, for comparison.</p>
  </body>
</html>
"""

MAIN_JS = "window.__TAURI_INTERNALS__.invoke(\"loaded\");\n"

CAPABILITY = {
    "identifier": "main",
    "description": "The page may call its one command.",
    "windows": ["main"],
    "permissions": ["allow-loaded"],
}


def release_profile() -> str:
    """Kanka Link's [profile.release], verbatim."""
    text = (ROOT / "Cargo.toml").read_text()
    found = re.search(r"^\[profile\.release\]\n(?:[^\[\n].*\n?)*", text, re.M)
    if not found:
        sys.exit("no [profile.release] in Cargo.toml")
    return found.group(0).strip() + "\n"


def tauri_requirement() -> str:
    """The tauri requirement of Kanka Link, so both ask for the same line (resolved by the lock)."""
    text = (ROOT / "src-tauri" / "Cargo.toml").read_text()
    found = re.search(r'^tauri = (\{.*\}|".*")$', text, re.M)
    return found.group(1) if found else '{ version = "2", features = [] }'


PLUGIN_LINES = """\
        .plugin(tauri_plugin_single_instance::init(|_app, _args, _cwd| {}))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())"""


def plugin_requirements() -> str:
    """Kanka Link's requirements for its three plugins, verbatim."""
    text = (ROOT / "src-tauri" / "Cargo.toml").read_text()
    lines = [line for line in text.splitlines() if line.startswith("tauri-plugin-")]
    if len(lines) != 3:
        sys.exit("expected three tauri-plugin-* dependencies in src-tauri/Cargo.toml")
    # The plugins' configuration is embedded as JSON values: generate_context! needs serde_json.
    return "\n".join(lines) + '\nserde_json = "1"\n'


def generate(out: pathlib.Path, plugins: bool = False):
    app = out / "src-tauri"
    (app / "src").mkdir(parents=True, exist_ok=True)
    (app / "capabilities").mkdir(exist_ok=True)
    (out / "dist").mkdir(exist_ok=True)
    ours = json.loads((ROOT / "src-tauri" / "tauri.conf.json").read_text())
    window = next(w for w in ours["app"]["windows"] if w.get("label") == "main")
    conf = {
        "$schema": "https://schema.tauri.app/config/2",
        "productName": "Bare Tauri Plugins" if plugins else "Bare Tauri",
        "mainBinaryName": "bare-tauri-plugins" if plugins else "bare-tauri",
        "version": "0.1.0",
        "identifier": "dev.kankalink.bench.bareplugins" if plugins else "dev.kankalink.bench.bare",
        "build": {"frontendDist": "../dist"},
        "app": {
            "windows": [{"label": "main", "title": "Bare Tauri", "width": window["width"], "height": window["height"]}],
            "security": {"csp": "default-src 'self'; script-src 'self'; connect-src ipc: http://ipc.localhost"},
        },
        "bundle": {
            "active": True,
            "targets": ["deb"],
            "icon": ["icons/32x32.png", "icons/128x128.png", "icons/128x128@2x.png", "icons/icon.icns", "icons/icon.ico"],
        },
    }
    if plugins:
        conf["plugins"] = {"deep-link": {"desktop": {"schemes": ["bare-tauri-plugins"]}}}
    files = {
        app / "Cargo.toml": f"""\
[package]
name = "{'bare-tauri-plugins' if plugins else 'bare-tauri'}"
version = "0.1.0"
edition = "2024"
rust-version = "1.90"

[features]
default = ["custom-protocol"]
custom-protocol = ["tauri/custom-protocol"]

[build-dependencies]
tauri-build = {{ version = "2", features = [] }}

[dependencies]
tauri = {tauri_requirement()}
{plugin_requirements() if plugins else ""}
# Its own workspace: nothing of Kanka Link's is unified into it.
[workspace]

{release_profile()}""",
        app / "build.rs": BUILD_RS,
        app / "src" / "main.rs": MAIN_RS.replace("        //PLUGINS\n", PLUGIN_LINES + "\n" if plugins else ""),
        app / "tauri.conf.json": json.dumps(conf, indent=2) + "\n",
        app / "capabilities" / "main.json": json.dumps(CAPABILITY, indent=2) + "\n",
        out / "dist" / "index.html": INDEX_HTML,
        out / "dist" / "main.js": MAIN_JS,
    }
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    icons = app / "icons"
    icons.mkdir(exist_ok=True)
    for name in ("32x32.png", "128x128.png", "128x128@2x.png", "icon.icns", "icon.ico", "icon.png"):
        shutil.copy2(ROOT / "icons" / name, icons / name)
    # The same crate versions as Kanka Link; cargo drops what the bare app does not use.
    lock = app / "Cargo.lock"
    if not lock.exists() or lock.stat().st_mtime < (ROOT / "Cargo.lock").stat().st_mtime:
        shutil.copy2(ROOT / "Cargo.lock", lock)


if __name__ == "__main__":
    generate(pathlib.Path(sys.argv[1]).resolve(), plugins="--plugins" in sys.argv[2:])
