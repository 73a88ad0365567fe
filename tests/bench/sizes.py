#!/usr/bin/env python3
"""The size half of the benchmark: binary and .deb sizes of Kanka Link and the bare app (both
already built by `tauri build`), what each crate adds (`cargo bloat --crates`), and what the
choice of TLS back-end costs, measured on builds of variants.

    python3 tests/bench/sizes.py OUT.json

cargo bloat needs symbols, and the release profile strips them; so the crate tables and the
variants are built with a profile `bench-bloat` (the release profile with `strip = false`, in
target/bench-bloat/, never touching target/release), and a variant's shipped size is that
binary with its symbols stripped (`strip`), which is what `strip = true` does.

A variant is a copy of the workspace in target/bench/variants/NAME with one dependency line
changed; the app's own sources are never edited."""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
PROFILE = "bench-bloat"
# The window's binary (the Tauri app); `kanka-link`, the command line, is the package's other one.
WINDOW = "kanka-link-window"
PROFILE_ENV = {"CARGO_PROFILE_BENCH_BLOAT_INHERITS": "release", "CARGO_PROFILE_BENCH_BLOAT_STRIP": "false"}
REQWEST = 'reqwest = { version = "0.12", default-features = false, features = ["native-tls"] }'

# The alternatives to the platform's TLS that ships. The keychain's Secret Service session uses
# OpenSSL whatever the TLS (core/src/platform_impl/secret_service.rs), so no variant drops it.
# name -> (what it is, [(file, old text, new text)])
VARIANTS = {
    "rustls": ("reqwest with `rustls-tls` (rustls, ring, bundled webpki-roots)", [
        ("Cargo.toml", REQWEST, 'reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }'),
    ]),
    "rustls-native-roots": ("reqwest with `rustls-tls-native-roots` (rustls and ring, the system's CA store)", [
        ("Cargo.toml", REQWEST,
         'reqwest = { version = "0.12", default-features = false, features = ["rustls-tls-native-roots"] }'),
    ]),
}


BARE = TARGET / "bench" / "bare" / "src-tauri"
BARE_TARGET = TARGET / "bench" / "bare-target"


def run(cmd, cwd, env=None, capture=False, target=TARGET):
    full_env = {**os.environ, "CARGO_TARGET_DIR": str(target), **PROFILE_ENV, **(env or {})}
    print("+", " ".join(map(str, cmd)), f"(in {cwd})", flush=True)
    result = subprocess.run(cmd, cwd=cwd, env=full_env, text=True,
                            stdout=subprocess.PIPE if capture else None)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}")
    return result.stdout


def stripped_size(binary: pathlib.Path) -> int:
    out = binary.with_name(binary.name + ".stripped")
    subprocess.run(["strip", "-o", str(out), str(binary)], check=True)
    size = out.stat().st_size
    out.unlink()
    return size


def bloat(cwd: pathlib.Path, package: str, rows: int = 30, target=TARGET, binary: str | None = None) -> dict:
    """cargo bloat --crates on the unstripped build: the .text each crate contributes to `bin`
    (by default the package's namesake)."""
    text = run(["cargo", "bloat", "--profile", PROFILE, "--crates", "-p", package, "--bin", binary or package, "-n", "0",
                "--message-format", "json"], cwd, capture=True, target=target)
    data = json.loads(text.strip().splitlines()[-1])
    crates = sorted(data["crates"], key=lambda c: -c["size"])
    return {"file_size": data["file-size"], "text_size": data["text-section-size"],
            "crates": [{"name": c["name"], "size": c["size"]} for c in crates[:rows]],
            "all_crates": {c["name"]: c["size"] for c in crates}}


def sections(binary: pathlib.Path) -> dict:
    """Bytes per ELF section (`size -A`), the largest ones."""
    out = subprocess.run(["size", "-A", str(binary)], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


def dynamic_libs(binary: pathlib.Path) -> list:
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return sorted({line.split()[0] for line in out.splitlines() if "=>" in line})


def copy_workspace(dest: pathlib.Path):
    """The workspace without its build output, for a variant."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Cargo.toml", "Cargo.lock"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("src-tauri", "tests/sandbox", "tests/support", "ui/dist", "icons"):
        target = dest / folder
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns("gen", "target", "fuzz"),
                        symlinks=True)


def variant_workspace(name: str, edits, script: str) -> pathlib.Path:
    """A copy of the workspace in target/bench/variants/NAME with each (file, old, new) edit made;
    an edit whose text is gone stops the benchmark, naming the script to update."""
    dest = TARGET / "bench" / "variants" / name
    copy_workspace(dest)
    for file, old, new in edits:
        path = dest / file
        text = path.read_text()
        if old not in text:
            raise SystemExit(f"variant {name}: {file} no longer has {old!r}; update {script}")
        path.write_text(text.replace(old, new))
    return dest


def deb(directory: pathlib.Path, product: str):
    found = sorted(directory.glob(f"{product}_*.deb"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def main():
    out = pathlib.Path(sys.argv[1])
    results = {"profile": PROFILE}
    # Ours is the window's binary, the Tauri app as the bare app is one.
    for name, target, binary, product in (("ours", TARGET, "kanka-link-window", "Kanka Link"),
                                          ("bare", BARE_TARGET, "bare-tauri", "Bare Tauri"),
                                          ("bare_plugins", BARE_TARGET, "bare-tauri-plugins", "Bare Tauri Plugins")):
        if not (target / "release" / binary).exists():
            continue
        release = target / "release"
        # Tauri's own .deb, so both apps' are packed alike: npm run bundle moves Kanka Link's
        # into bundle/tauri/ once packaging/linux/package.sh has made the finished packages.
        package = deb(release / "bundle" / "tauri", product) or deb(release / "bundle" / "deb", product)
        results[name] = {"binary": (release / binary).stat().st_size,
                         "deb": package.stat().st_size if package else None,
                         "deb_name": package.name if package else None,
                         "libs": dynamic_libs(release / binary),
                         "sections": sections(release / binary)}
    # The command line, which is also the desktop's handler for kanka-link: URLs and starts the
    # window: shipped beside it in the same .deb. (The key kept its name from when the handler
    # was a program of its own, kanka-link-handover.)
    command_line = TARGET / "release" / "kanka-link"
    if "ours" in results and command_line.exists():
        results["ours"]["handover_binary"] = command_line.stat().st_size
        results["ours"]["command_line_libs"] = dynamic_libs(command_line)

    # What each crate adds: ours, and the bare app (same profile, its own workspace).
    run(["cargo", "build", "--locked", "--profile", PROFILE, "-p", "kanka-link"], ROOT)
    results["ours"]["bloat"] = bloat(ROOT, "kanka-link", binary=WINDOW)
    results["ours"]["unstripped"] = (TARGET / PROFILE / WINDOW).stat().st_size
    results["ours"]["restripped"] = stripped_size(TARGET / PROFILE / WINDOW)
    run(["cargo", "build", "--profile", PROFILE], BARE, target=BARE_TARGET)
    results["bare"]["bloat"] = bloat(BARE, "bare-tauri", target=BARE_TARGET)
    results["bare"]["restripped"] = stripped_size(BARE_TARGET / PROFILE / "bare-tauri")

    # The TLS back-end, as variants of the workspace.
    results["variants"] = {}
    for name, (what, edits) in VARIANTS.items():
        dest = variant_workspace(name, edits, "tests/bench/sizes.py")
        # Not --locked: the variant may need crates the lock does not list yet (they come from the
        # registry); its own copy of Cargo.lock changes, never the workspace's.
        run(["cargo", "build", "--profile", PROFILE, "-p", "kanka-link"], dest)
        binary = TARGET / PROFILE / WINDOW
        entry = {"what": what, "unstripped": binary.stat().st_size, "restripped": stripped_size(binary),
                 "libs": dynamic_libs(binary), "bloat": bloat(dest, "kanka-link", binary=WINDOW)}
        tree = run(["cargo", "tree", "-p", "kanka-link", "-e", "normal", "--prefix", "none", "-f", "{p}"], dest,
                   capture=True)
        entry["tls_crates"] = sorted({line.split()[0] for line in tree.splitlines()
                                      if re.match(r"(rustls|ring|webpki|openssl|native-tls|aws-lc|hyper-rustls|"
                                                  r"hyper-tls|tokio-rustls|tokio-native-tls|rustls-native-certs)",
                                                  line)})
        results["variants"][name] = entry
    # The baseline's TLS crates, for the same table.
    tree = run(["cargo", "tree", "-p", "kanka-link", "-e", "normal", "--prefix", "none", "-f", "{p}"], ROOT,
               capture=True)
    results["ours"]["tls_crates"] = sorted({line.split()[0] for line in tree.splitlines()
                                            if re.match(r"(rustls|ring|webpki|openssl|native-tls|aws-lc|"
                                                        r"hyper-rustls|hyper-tls|tokio-rustls|tokio-native-tls|"
                                                        r"rustls-native-certs)", line)})
    # Leave target/bench-bloat/kanka-link* as the workspace's own build.
    run(["cargo", "build", "--locked", "--profile", PROFILE, "-p", "kanka-link"], ROOT)
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
