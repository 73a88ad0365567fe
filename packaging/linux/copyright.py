#!/usr/bin/env python3
"""Writes the Linux packages' licence list from what the tools that know gathered: cargo-about's
JSON (the Rust crates linked into the programs) and Vite's licence JSON (the npm packages bundled
into ui/dist, which the window embeds). Nothing here is typed by hand but Kanka Link's own
stanza and the Rust standard library's, which Cargo metadata does not list.

  copyright.py deb ABOUT.json VITE.json CHANGELOG   machine-readable debian/copyright (DEP-5)
  copyright.py rpm ABOUT.json VITE.json CHANGELOG   the same, with every licence's full text
  copyright.py spdx ABOUT.json VITE.json CHANGELOG  the rpm's License: tag (an SPDX expression)

The .deb points at /usr/share/common-licenses for the licences Debian keeps there (as Debian
policy 12.5 asks); an .rpm's system has no such folder, so its copy carries every text."""

import json
import re
import subprocess
import sys

FORMAT = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
# Licences whose full text every Debian system has in /usr/share/common-licenses.
COMMON = {"Apache-2.0": "Apache-2.0", "MPL-2.0": "MPL-2.0", "CC0-1.0": "CC0-1.0"}


def spdx_terms(expression):
    """The expression as DEP-5 writes it: `or`/`and`, and a comma where a group of alternatives
    is combined with another licence (DEP-5 has no parentheses). Anything deeper is refused."""
    expression = expression.strip()
    parts = [p.strip() for p in re.split(r"\s+AND\s+", expression)]
    out = []
    for part in parts:
        inner = part[1:-1] if part.startswith("(") and part.endswith(")") else part
        if "(" in inner:
            sys.exit(f"copyright.py: cannot write {expression!r} in DEP-5 syntax; extend copyright.py")
        # SPDX `X WITH Y-exception` is DEP-5's `X with Y exception`.
        alternatives = [re.sub(r"\s+WITH\s+(\S+?)(?:-exception)?$", r" with \1 exception", a.strip())
                        for a in re.split(r"\s+OR\s+", inner)]
        out.append(" or ".join(alternatives))
    return ", and ".join(out) if len(out) > 1 and any(" or " in o for o in out) else " and ".join(out)


def licence_ids(expression):
    """The licences an expression names (an exception after WITH is not one)."""
    expression = re.sub(r"\s+WITH\s+\S+", "", expression)
    return sorted(set(re.findall(r"[A-Za-z0-9.+-]+", expression)) - {"AND", "OR"})


def indented(text):
    lines = text.replace("\t", "    ").rstrip().splitlines()
    return "\n".join(" " + line.rstrip() if line.strip() else " ." for line in lines)


def gather(about_path, vite_path):
    """(stanzas, texts): one stanza per shipped crate or npm package, and a text per licence."""
    with open(about_path, encoding="utf-8") as f:
        about = json.load(f)
    with open(vite_path, encoding="utf-8") as f:
        vite = json.load(f)
    # cargo-about's overview: one text per licence (the first crate's that uses it).
    texts = {licence["id"]: licence["text"] for licence in about["overview"]}
    stanzas = []
    for krate in sorted(about["crates"], key=lambda c: (c["package"]["name"], c["package"]["version"])):
        package = krate["package"]
        if package["name"].startswith("kanka-link"):
            continue  # Kanka Link's own crates: its own stanza
        if krate["license"] in ("Unknown", "Ignore", ""):
            sys.exit(f"copyright.py: cargo-about found no licence for {package['name']} {package['version']}")
        authors = [a for a in package.get("authors") or [] if a.strip()]
        stanzas.append({
            "files": f"cargo-registry/{package['name']}-{package['version']}/*",
            "copyright": authors or [f"The authors of the Rust crate {package['name']}"],
            "license": krate["license"],
            "comment": f"Rust crate {package['name']} {package['version']}, linked into the programs",
        })
    for package in sorted(vite, key=lambda p: p["name"]):
        if not package.get("identifier"):
            sys.exit(f"copyright.py: npm package {package['name']} states no licence")
        ids = licence_ids(package["identifier"])
        if package.get("text") and len(ids) == 1:  # Vite gives one text, whatever the expression
            texts.setdefault(ids[0], package["text"])
        stanzas.append({
            "files": f"npm/{package['name']}-{package['version']}/*",
            "copyright": [f"The authors of the npm package {package['name']}"],
            "license": package["identifier"],
            "comment": f"npm package {package['name']} {package['version']}, bundled into the window's page",
        })
    return stanzas, texts


def main():
    mode, about_path, vite_path, changelog = sys.argv[1:5]
    contact = subprocess.run(["dpkg-parsechangelog", "-l", changelog, "-S", "Maintainer"],
                             check=True, capture_output=True, text=True).stdout.strip()
    stanzas, texts = gather(about_path, vite_path)
    own = {
        "files": "*",
        "copyright": ["2026 Kanka Link maintainers"],
        "license": "MIT",
        "comment": None,
    }
    std = {
        "files": "rust-std/*",
        "copyright": ["The Rust Project Developers"],
        "license": "MIT OR Apache-2.0",
        "comment": "The Rust standard library, linked into the programs (Cargo metadata does not list it)",
    }
    stanzas = [own, std] + stanzas
    if mode == "spdx":
        # Every part that ships must be taken under its terms: the AND of each part's licence,
        # alternatives in one order so that the same choice is named once.
        terms = set()
        for s in stanzas:
            for part in re.split(r"\s+AND\s+", s["license"].strip()):
                inner = part.strip().removeprefix("(").removesuffix(")")
                alternatives = sorted(a.strip() for a in re.split(r"\s+OR\s+", inner))
                terms.add(" OR ".join(alternatives) if len(alternatives) == 1 else f"({' OR '.join(alternatives)})")
        print(" AND ".join(sorted(terms)))
        return
    if mode not in ("deb", "rpm"):
        sys.exit(__doc__)
    out = [f"Format: {FORMAT}", "Upstream-Name: Kanka Link", f"Upstream-Contact: {contact}",
           "Source: https://kankalink.app/",
           "Comment: The programs are built from Kanka Link's source with the Rust crates and",
           " npm packages below; their licences were gathered by cargo-about and Vite.", ""]
    used = set()
    for s in stanzas:
        used.update(licence_ids(s["license"]))
        out.append(f"Files: {s['files']}")
        out.append("Copyright: " + "\n ".join(s["copyright"]))
        out.append(f"License: {spdx_terms(s['license'])}")
        if s["comment"]:
            out.append(f"Comment: {s['comment']}")
        out.append("")
    for lid in sorted(used):
        out.append(f"License: {lid}")
        if mode == "deb" and lid in COMMON:
            out.append(f" On Debian systems, the complete text of this licence can be found in\n"
                       f" /usr/share/common-licenses/{COMMON[lid]}.")
        elif lid in texts:
            out.append(indented(texts[lid]))
        else:
            # Only ever one of several alternatives (cargo-about gives a text for each licence
            # a crate is taken under): the other alternative's text above is the one that applies.
            out.append(f" One of the alternatives some parts above offer; they are distributed here\n"
                       f" under another of their licences. Text: https://spdx.org/licenses/{lid}.html")
        out.append("")
    sys.stdout.write("\n".join(out).rstrip() + "\n")


if __name__ == "__main__":
    main()
