#!/usr/bin/env python3
"""Experiments for the benchmark: Kanka Link built with one thing taken out or changed, to find
where its launch time and idle wake-ups beyond the bare app come from. Each variant is a copy of
the workspace in target/bench/variants/NAME with one edit (the app's own files are never touched),
built with the `bench-bloat` profile (release, symbols kept); `control` is the unchanged copy.
measure.py launches them side by side.

    python3 tests/bench/variants.py OUT_DIR      (writes OUT_DIR/NAME binaries and variants.json)"""

import json
import pathlib
import shutil
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from sizes import PROFILE, ROOT, TARGET, WINDOW, run, variant_workspace  # noqa: E402

TINY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8" /><title>Kanka Link</title>
<script type="module" src="./tiny.js"></script></head>
<body><h1>Kanka Link</h1></body></html>
"""

TINY_SCRIPTS = {
    "tiny-page": 'window.__TAURI_INTERNALS__.invoke("status");\n',
    "tiny-page-listen": """const ipc = window.__TAURI_INTERNALS__;
ipc.invoke("watch_status", { channel: `__CHANNEL__:${ipc.transformCallback(() => {})}` })
  .then(() => ipc.invoke("status"));
""",
}

# name -> (what it tests, [(file, old text, new text)], shell-free commands run in the copy)
VARIANTS = {
    "control": ("Kanka Link unchanged (same profile as the variants)", [], []),
    "no-single-instance": ("without tauri-plugin-single-instance (its D-Bus name is taken on the main "
                           "thread before the window opens)", [
        ("src-tauri/src/desktop.rs", "        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| show(app)))\n",
         ""),
    ], []),
    "no-scheme-registration": ("without registering the `kanka-link:` handler at every start "
                               "(`update-desktop-database` and `xdg-mime` run in a thread)", [
        ("src-tauri/src/desktop.rs", "            register_scheme(&handle);\n", ""),
    ], []),
    "tiny-page": ("Kanka Link's UI replaced by a page that only calls `status` (the bare app's page)", [], []),
    "tiny-page-listen": ("the tiny page, subscribing to statuses (`watch_status`) before it calls `status`, as "
                         "Kanka Link's page did before `ebe8f62` (two IPC round trips before the first command)",
                         [], []),
    "blocking-1.7.0": ("the `blocking` crate (zbus's thread pool) at 1.7.0 instead of the pinned 1.6.2: "
                       "its idle threads never exit", [
        ("src-tauri/Cargo.toml", 'blocking = "=1.6.2"\n', 'blocking = "=1.7.0"\n'),
    ], [["cargo", "update", "-p", "blocking", "--precise", "1.7.0"]]),
}


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    built = {}
    for name, (what, edits, commands) in VARIANTS.items():
        dest = variant_workspace(name, edits, "tests/bench/variants.py")
        if name in TINY_SCRIPTS:
            dist = dest / "ui" / "dist"
            shutil.rmtree(dist)
            dist.mkdir()
            (dist / "index.html").write_text(TINY_PAGE)
            (dist / "tiny.js").write_text(TINY_SCRIPTS[name])
        for command in commands:
            run(command, dest)
        run(["cargo", "build", "--profile", PROFILE, "-p", "kanka-link"], dest)
        # The window's binary: the variants change the window, and measure.py launches it.
        shutil.copy2(TARGET / PROFILE / WINDOW, out / name)
        built[name] = what
    # Leave target/bench-bloat/kanka-link* as the workspace's own build.
    run(["cargo", "build", "--locked", "--profile", PROFILE, "-p", "kanka-link"], ROOT)
    (out / "variants.json").write_text(json.dumps(built, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
