#!/usr/bin/env bash
# Checks the Linux packages that `npm run bundle` made (packaging/linux/package.sh), as a
# distribution's maintainer and a user would: lintian on the .deb (no error, no warning but those
# packaging/linux/lintian-expected explains), AppStream's validator on the metadata as installed,
# the desktop entry and icons named by the application id in both packages, every library the
# programs load named in both packages' dependencies, the .rpm's file list against the .deb's,
# tests/check-deb.sh (the scheme handler); then, as root only, an install of the .deb with
# apt-get, the commands run, and a purge that leaves nothing behind.
#   bash tests/check-packages.sh        (npm test runs it after npm run bundle)
set -euo pipefail
source "$(dirname "$0")/../packaging/linux/package-facts.sh"
deb="$bundle/deb/${name}_${version}_$(dpkg --print-architecture).deb"
rpm="$bundle/rpm/$name-$version-1.$(uname -m).rpm"
for package in "$deb" "$rpm"; do
  [ -f "$package" ] || { echo "No $package: run npm run bundle first." >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
echo "== $(basename "$deb") $(du -k "$deb" | cut -f1) KiB, $(basename "$rpm") $(du -k "$rpm" | cut -f1) KiB"

echo "== lintian"
# Errors fail; so does a warning that lintian-expected does not list with its reason.
expected=$(awk '!/^#/ && NF { print $1 }' "$root/packaging/linux/lintian-expected")
lintian --fail-on none --tag-display-limit 0 --display-level '>=warning' "$deb" >"$work/lintian" 2>&1 ||
  { cat "$work/lintian" >&2; fail "lintian did not run"; }
cat "$work/lintian"
! grep -q '^E: ' "$work/lintian" || fail "lintian reports errors"
while read -r severity _ tag _; do
  [ "$severity" = W: ] || continue
  grep -qx "$tag" <<<"$expected" || fail "lintian warns $tag, which packaging/linux/lintian-expected does not explain"
done <"$work/lintian"

echo "== the .deb's control fields"
dpkg-deb --field "$deb" Package Version Maintainer Section Priority Depends Recommends | tee "$work/control"
grep -qx 'Section: utils' "$work/control" || fail "Section is not utils"
grep -q '^Maintainer: .* <[^@ ]*@[^@ ]*>$' "$work/control" || fail "the maintainer has no contact"
dpkg-deb -x "$deb" "$work/deb"
mkdir -p "$work/rpm"
(cd "$work/rpm" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "the .rpm could not be unpacked (rpm2cpio | cpio)"

echo "== every library the programs load is a dependency of both packages"
rpm -qpR "$rpm" >"$work/requires"
sed 's/^/rpm requires: /' "$work/requires"
depends=$(dpkg-deb --field "$deb" Depends | tr ',|' '\n\n' | sed 's/(.*//; s/ //g')
for exe in "${executables[@]}"; do
  for dir in deb rpm; do
    [ -x "$work/$dir/usr/bin/$exe" ] || fail "the .$dir has no usr/bin/$exe"
  done
  cmp -s "$work/deb/usr/bin/$exe" "$work/rpm/usr/bin/$exe" || fail "the packages' $exe differ: not the same build"
  needed=$(readelf -d "$work/deb/usr/bin/$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  [ -n "$needed" ] || fail "readelf found no NEEDED entry in $exe"
  for soname in $needed; do
    # The .rpm: rpm's own name for the library, as Fedora's packages provide it.
    grep -qx "$soname()(64bit)" "$work/requires" || grep -qx "$soname" "$work/requires" ||
      fail "the .rpm does not require $soname, which $exe loads"
    # The .deb: the Debian package that holds the library here must be in Depends.
    # (awk reads all of ldconfig's list: an early exit would kill it with SIGPIPE under pipefail.)
    path=$(ldconfig -p | awk -v so="$soname" '$1 == so && /x86-64|64bit/ && !found { print $NF; found = 1 }')
    [ -n "$path" ] || fail "$soname ($exe) is not installed here, so its package is unknown"
    owner=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path") || fail "no package holds $path"
    owner=${owner%%:*}
    grep -qx "$owner" <<<"$depends" || fail "the .deb does not depend on $owner, which has $soname ($exe)"
    echo "$exe: $soname ($owner)"
  done
done
grep -q '^libssl.so.3()(64bit)$' "$work/requires" || fail "the .rpm does not require OpenSSL"
grep -qx libc6 <<<"$depends" || fail "the .deb does not depend on libc6"

echo "== desktop entry, icons and AppStream metadata named $id, the same in both packages"
for dir in deb rpm; do
  entries=$(cd "$work/$dir" && find usr/share/applications -name '*.desktop')
  [ "$entries" = "usr/share/applications/$id.desktop" ] || fail "the .$dir's desktop entries: $entries"
  desktop-file-validate "$work/$dir/$entries" || fail "the .$dir's desktop entry is not valid"
  grep -qx "Icon=$id" "$work/$dir/$entries" || fail "the .$dir's desktop entry names another icon"
  icons=$(cd "$work/$dir" && find usr/share/icons -type f | sort)
  [ -n "$icons" ] && ! grep -v "^usr/share/icons/hicolor/[^/]*/apps/$id\.png$" <<<"$icons" ||
    fail "the .$dir's icons are not all hicolor/*/apps/$id.png"
  appstreamcli validate-tree --strict --no-net "$work/$dir" || fail "AppStream metadata in the .$dir"
done
cmp "$work/deb/usr/share/applications/$id.desktop" "$work/rpm/usr/share/applications/$id.desktop" ||
  fail "the packages' desktop entries differ"
grep -qx 'MimeType=x-scheme-handler/kanka-link;' "$work/rpm/usr/share/applications/$id.desktop" ||
  fail "the .rpm's desktop entry does not handle kanka-link: URLs"

echo "== the .rpm installs what the .deb installs (the licences where Fedora keeps them)"
rpm -qpl "$rpm" | sort >"$work/rpm-files"
cat "$work/rpm-files"
(cd "$work/deb" && find . -type f | sed 's|^\.||' | grep -v "^/usr/share/doc/$name/" | sort) >"$work/deb-files"
# zsh's completion is in Fedora's folder in the .rpm (package.sh), Debian's in the .deb.
diff <(grep -v "^/usr/share/licenses/$name" "$work/rpm-files" | sed 's|/zsh/site-functions/|/zsh/vendor-completions/|') \
  "$work/deb-files" || fail "the packages' file lists differ"
grep -qx "/usr/share/licenses/$name/copyright" "$work/rpm-files" || fail "the .rpm has no licence list"
rpm -qp --qf '%{LICENSE}\n' "$rpm" | grep -q 'Apache-2.0' || fail "the .rpm's License tag misses the crates' licences"

echo "== man pages and shell completions in both packages, as the programs print them"
for dir in deb rpm; do
  [ $dir = deb ] && zsh_dir=vendor-completions || zsh_dir=site-functions
  for exe in "${executables[@]}"; do
    page="$work/$dir/usr/share/man/man1/$exe.1.gz"
    [ -f "$page" ] || fail "the .$dir has no man page for $exe"
    # groff's warnings: -ww all of them, -z no output; any line on stderr is one.
    zcat "$page" | groff -man -Tutf8 -ww -z 2>"$work/groff" && [ ! -s "$work/groff" ] ||
      { cat "$work/groff" >&2; fail "the .$dir's man page for $exe: groff warns"; }
  done
  zcat "$work/$dir/usr/share/man/man1/$name.1.gz" | grep -q '^\.SH "EXIT STATUS"' || fail "the .$dir's man page has no EXIT STATUS"
  for script in "bash-completion/completions/$name" "zsh/$zsh_dir/_$name" "fish/vendor_completions.d/$name.fish"; do
    [ -f "$work/$dir/usr/share/$script" ] || fail "the .$dir has no usr/share/$script"
  done
  bash -n "$work/$dir/usr/share/bash-completion/completions/$name" || fail "the .$dir's bash completion"
  zsh -n "$work/$dir/usr/share/zsh/$zsh_dir/_$name" || fail "the .$dir's zsh completion"
  fish -n "$work/$dir/usr/share/fish/vendor_completions.d/$name.fish" || fail "the .$dir's fish completion"
  grep -q "^complete -F _kanka_link $name\$" "$work/$dir/usr/share/bash-completion/completions/$name" ||
    fail "the .$dir's bash completion does not complete $name"
  echo "$dir: man pages for ${executables[*]}; completions for bash, zsh ($zsh_dir), fish"
done

echo "== the licence list names what ships"
copyright="$work/deb/usr/share/doc/$name/copyright"
for part in "Files: cargo-registry/tauri-2" "Files: cargo-registry/reqwest-" "Files: cargo-registry/openssl-" \
  "Files: npm/@tauri-apps/api-" "Files: rust-std/"; do
  grep -q "^$part" "$copyright" || fail "copyright has no stanza $part…"
done

echo "== tests/check-deb.sh"
bash "$root/tests/check-deb.sh"

echo "== install, run and purge the .deb"
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: the install test needs root (CI runs as root): sudo bash tests/check-packages.sh"
  echo "== packages checked (install test skipped)"
  exit 0
fi
if dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null | grep -qx installed; then
  fail "$name is installed on this machine already; the install test will not remove it (apt-get purge $name first)"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install"; }
installed=$(dpkg -L "$name")
purged=false
purge() { $purged || apt-get purge -y -qq "$name" >>"$work/apt.log" 2>&1 || true; }
trap 'purge; rm -rf "$work"' EXIT
[ "$(command -v kanka-link)" = /usr/bin/kanka-link ] || fail "kanka-link on the PATH is $(command -v kanka-link)"
kanka-link --help >"$work/help" || fail "kanka-link --help exited $?"
grep -q 'kanka-link status' "$work/help" || fail "kanka-link --help does not list status"
# A fresh home: never set up and never connected, which status says with exit status 1.
status=0
HOME="$work/home" XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data" \
  timeout 30 kanka-link status >"$work/status" 2>&1 || status=$?
cat "$work/status"
[ "$status" = 1 ] && [ -s "$work/status" ] || fail "kanka-link status exited $status"
handler=$(XDG_CONFIG_HOME="$work/home/config" XDG_DATA_HOME="$work/home/data" XDG_DATA_DIRS=/usr/share \
  xdg-mime query default x-scheme-handler/kanka-link)
echo "xdg-mime: x-scheme-handler/kanka-link -> $handler"
[ "$handler" = "$id.desktop" ] || fail "xdg-mime names $handler as the kanka-link: handler"
apt-get purge -y -qq "$name" >>"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get purge"; }
purged=true
! dpkg-query -W "$name" >/dev/null 2>&1 || fail "dpkg still knows $name after the purge"
left=""
for path in $installed; do
  [ -d "$path" ] && [ "$path" != "/usr/share/doc/$name" ] && continue  # shared folders stay
  [ -e "$path" ] && left="$left $path"
done
[ -z "$left" ] || fail "left after the purge:$left"
if grep -rq "$id" /usr/share/applications/mimeinfo.cache 2>/dev/null; then
  fail "the desktop's cache still names $id after the purge"
fi
echo "== packages checked, installed, run and purged"
