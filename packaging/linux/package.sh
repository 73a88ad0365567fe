#!/usr/bin/env bash
# Makes the .deb and the .rpm a Linux distribution would accept, from the programs that
# `tauri build --bundles deb` just built and bundled (npm run bundle runs both). Tauri's bundler
# cannot name the desktop entry and icons by the application id, write a contact, a changelog or
# a licence list, nor compute library dependencies, and its .rpm has none of those either; so this
# takes Tauri's .deb apart, keeps its programs and icons as they are, and packs the same tree
# twice: dpkg-deb for Debian (dependencies from dpkg-shlibdeps) and rpmbuild for Fedora/openSUSE
# (requirements from rpm's own ELF scan). tests/check-packages.sh checks what comes out.
#   packaging/linux/package.sh     -> target/release/bundle/deb/kanka-link_<version>_<arch>.deb
#                                     target/release/bundle/rpm/kanka-link-<version>-1.<arch>.rpm
set -euo pipefail
source "$(dirname "$0")/package-facts.sh"
arch=$(dpkg --print-architecture)
changelog="$here/changelog"
if [ "$(dpkg-parsechangelog -l "$changelog" -S Version)" != "$version" ]; then
  echo "packaging/linux/changelog has no entry for $version (tauri.conf.json): add one." >&2
  exit 1
fi
maintainer=$(dpkg-parsechangelog -l "$changelog" -S Maintainer)

# Tauri's .deb is the input: moved aside, so bundle/deb holds only the package to install.
mkdir -p "$bundle/tauri"
for deb in "$bundle"/deb/*.deb; do
  [ -e "$deb" ] && [ "$(basename "$deb")" != "${name}_${version}_${arch}.deb" ] && mv "$deb" "$bundle/tauri/"
done
input=$(ls -t "$bundle"/tauri/*.deb 2>/dev/null | head -n 1)
[ -n "$input" ] || { echo "No .deb from Tauri in $bundle: run npm run bundle." >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$input" "$work/tauri"
tree="$work/tree"
echo "== from $input"

# The programs, and nothing else from /usr/bin.
mkdir -p "$tree/usr/bin"
for exe in "${executables[@]}"; do
  [ -x "$work/tauri/usr/bin/$exe" ] || { echo "Tauri's .deb has no usr/bin/$exe (packaging/linux/executables)" >&2; exit 1; }
  install -m 0755 "$work/tauri/usr/bin/$exe" "$tree/usr/bin/$exe"
done
for exe in "$work"/tauri/usr/bin/*; do
  grep -qx "$(basename "$exe")" <(printf '%s\n' "${executables[@]}") ||
    { echo "Tauri's .deb ships usr/bin/$(basename "$exe"), which packaging/linux/executables does not list" >&2; exit 1; }
done

# Icons and desktop entry, named by the application id (AppStream and the desktop find them so).
icons=$(cd "$work/tauri" && find usr/share/icons -name '*.png')
[ -n "$icons" ] || { echo "Tauri's .deb has no icons" >&2; exit 1; }
for icon in $icons; do
  install -D -m 0644 "$work/tauri/$icon" "$tree/$(dirname "$icon")/$id.png"
done
desktop=$(find "$work/tauri/usr/share/applications" -name '*.desktop')
[ "$(wc -l <<<"$desktop")" = 1 ] || { echo "Tauri's .deb should have one desktop entry: $desktop" >&2; exit 1; }
install -d "$tree/usr/share/applications"
sed "s/^Icon=.*/Icon=$id/" "$desktop" >"$tree/usr/share/applications/$id.desktop"
chmod 0644 "$tree/usr/share/applications/$id.desktop"
install -D -m 0644 "$here/$id.metainfo.xml" "$tree/usr/share/metainfo/$id.metainfo.xml"

# The man pages and the shell completions, printed by the kanka-link just built (it runs here):
# from the same table as its --help (src-tauri/src/args.rs), so they cannot drift from it.
cli="$work/tauri/usr/bin/$name"
man="$tree/usr/share/man/man1"
install -d "$man" "$tree/usr/share/bash-completion/completions" "$tree/usr/share/zsh/vendor-completions" \
  "$tree/usr/share/fish/vendor_completions.d"
for exe in "${executables[@]}"; do
  "$cli" man "$exe" | gzip -9n >"$man/$exe.1.gz"
done
"$cli" completion bash >"$tree/usr/share/bash-completion/completions/$name"
"$cli" completion zsh >"$tree/usr/share/zsh/vendor-completions/_$name"
"$cli" completion fish >"$tree/usr/share/fish/vendor_completions.d/$name.fish"
chmod 0644 "$man"/*.1.gz "$tree/usr/share/bash-completion/completions/$name" \
  "$tree/usr/share/zsh/vendor-completions/_$name" "$tree/usr/share/fish/vendor_completions.d/$name.fish"

# The licence list, from the tools that gather it (copyright.py says how).
about="$work/about.json"
vite="$root/ui/dist.licenses.json"
[ -f "$vite" ] || { echo "No $vite: build the UI (npm run build:ui)" >&2; exit 1; }
command -v cargo-about >/dev/null || { echo "cargo-about is missing: tests/setup.sh build installs it" >&2; exit 1; }
# --offline: licence files from the crates themselves (cargo-about would ask clearlydefined.io);
# --fail: a crate whose licence it cannot read stops the build.
(cd "$root" && cargo about generate --format json --offline --locked --fail -c "$here/about.toml" \
  -m src-tauri/Cargo.toml -o "$about" 2>"$work/about.log") || { cat "$work/about.log" >&2; exit 1; }
licence=$(python3 "$here/copyright.py" spdx "$about" "$vite" "$changelog")
rpmtree="$work/rpmtree"
cp -a "$tree" "$rpmtree"
# zsh's folder for packaged completions is vendor-completions on Debian, site-functions on Fedora.
install -d "$rpmtree/usr/share/zsh/site-functions"
mv "$rpmtree/usr/share/zsh/vendor-completions/_$name" "$rpmtree/usr/share/zsh/site-functions/_$name"
rmdir "$rpmtree/usr/share/zsh/vendor-completions"
install -D -m 0644 /dev/null "$rpmtree/usr/share/licenses/$name/copyright"
python3 "$here/copyright.py" rpm "$about" "$vite" "$changelog" >"$rpmtree/usr/share/licenses/$name/copyright"
docs="$tree/usr/share/doc/$name"
install -d "$docs"
python3 "$here/copyright.py" deb "$about" "$vite" "$changelog" >"$docs/copyright"
gzip -9n <"$changelog" >"$docs/changelog.gz"
chmod 0644 "$docs/copyright" "$docs/changelog.gz"

summary=$(conf 'c.bundle.shortDescription')
long=$(conf 'c.bundle.longDescription')
homepage=https://kankalink.app/
recommends=$(conf '(c.bundle.linux.deb.recommends || []).join(", ")')
extra_depends=$(conf '(c.bundle.linux.deb.depends || []).join(", ")')

# --- .deb -----------------------------------------------------------------------------------
# Every shared library the programs load, as Debian names the package that has it (libc too).
mkdir -p "$work/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >"$work/shlibs/debian/control"
depends=$(cd "$work/shlibs" && dpkg-shlibdeps -O "${executables[@]/#/-e$tree/usr/bin/}" 2>"$work/shlibdeps.log" |
  sed -n 's/^shlibs:Depends=//p') || { cat "$work/shlibdeps.log" >&2; exit 1; }
[ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependencies" >&2; cat "$work/shlibdeps.log" >&2; exit 1; }
[ -z "$extra_depends" ] || depends="$depends, $extra_depends"
mkdir -p "$tree/DEBIAN"
{
  echo "Package: $name"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: $maintainer"
  echo "Installed-Size: $(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
  echo "Depends: $depends"
  [ -z "$recommends" ] || echo "Recommends: $recommends"
  echo "Section: $(conf 'c.bundle.linux.deb.section')"
  echo "Priority: $(conf 'c.bundle.linux.deb.priority')"
  echo "Homepage: $homepage"
  echo "Description: $summary"
  fold -s -w 72 <<<"$long" | sed 's/ *$//; s/^/ /'
} >"$tree/DEBIAN/control"
(cd "$tree" && find usr -type f -print0 | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$tree/DEBIAN/control" "$tree/DEBIAN/md5sums"
mkdir -p "$bundle/deb"
deb="$bundle/deb/${name}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >/dev/null
echo "== $deb"

# --- .rpm -----------------------------------------------------------------------------------
# Requirements: rpmbuild reads each program's ELF NEEDED entries (libssl.so.3, libc.so.6, GTK,
# WebKit...), as Fedora's own packages get theirs. Nothing is stripped or rewritten again.
rpmarch=$(uname -m)
spec="$work/$name.spec"
{
  echo "Name: $name"
  echo "Version: $version"
  echo "Release: 1"
  echo "Summary: $summary"
  echo "License: $licence"
  echo "URL: $homepage"
  echo "Packager: $maintainer"
  # The same recommendations as the .deb's (gnome-keyring and keepassxc are named alike there),
  # alternatives written as rpm's rich dependencies.
  conf '(c.bundle.linux.deb.recommends || []).join("\n")' | grep . | while read -r wish; do
    if [[ $wish == *"|"* ]]; then echo "Recommends: (${wish// | / or })"; else echo "Recommends: $wish"; fi
  done
  echo "%global debug_package %{nil}"
  echo "%global __os_install_post %{nil}"
  echo "%global _build_id_links none"
  # Fedora's own payload compression (zstd, level 19); Debian's rpmbuild would use gzip.
  echo "%global _binary_payload w19.zstdio"
  echo "%description"
  fold -s -w 72 <<<"$long" | sed 's/ *$//'
  echo "%install"
  echo "cp -a '$rpmtree/.' %{buildroot}/"
  echo "%files"
  echo "%dir /usr/share/licenses/$name"
  echo "%license /usr/share/licenses/$name/copyright"
  (cd "$rpmtree" && find usr -type f ! -path "usr/share/licenses/*" | sort | sed 's|^|/|')
} >"$spec"
rpmbuild -bb --quiet --target "$rpmarch" --define "_topdir $work/rpmbuild" --define "_tmppath $work/tmp" \
  "$spec" >"$work/rpmbuild.log" 2>&1 || { cat "$work/rpmbuild.log" >&2; exit 1; }
mkdir -p "$bundle/rpm"
rpm="$bundle/rpm/$name-$version-1.$rpmarch.rpm"
rm -f "$bundle"/rpm/*.rpm
mv "$work/rpmbuild/RPMS/$rpmarch/$name-$version-1.$rpmarch.rpm" "$rpm"
echo "== $rpm"
