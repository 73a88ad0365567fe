#!/usr/bin/env bash
# Checks the .deb that `npm run bundle` made, without installing it: it ships the command line
# `kanka-link` (which loads no GTK or WebKit) and the window `kanka-link-window` beside it; its
# desktop entry is valid, declares the kanka-link: scheme and passes the URL on (%u) to
# `kanka-link`, and a desktop that has it installed picks it as the scheme's handler.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
deb=$(ls -t "${CARGO_TARGET_DIR:-$root/target}"/release/bundle/deb/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "No .deb yet: run npm run bundle first." >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Depends
dpkg-deb -x "$deb" "$work/root"
desktop=$(find "$work/root/usr/share/applications" -name '*.desktop')
echo "== $(basename "$desktop")"
cat "$desktop"
desktop-file-validate "$desktop"
grep -qx 'MimeType=x-scheme-handler/kanka-link;' "$desktop"
grep -qx 'Exec=kanka-link %u' "$desktop"
grep -qx 'StartupWMClass=kanka-link' "$desktop"
test -x "$work/root/usr/bin/kanka-link"
test -x "$work/root/usr/bin/kanka-link-window"
echo "== $(ls "$work/root/usr/bin" | tr '\n' ' ')"
# The command line and the hand-over must not load GTK or WebKit: that is the whole point of the
# split. The window does (which shows that the check sees them).
window_only='libgtk|libwebkit|libjavascriptcore|libsoup'
if ldd "$work/root/usr/bin/kanka-link" | grep -E "$window_only"; then
  echo "kanka-link loads GTK or WebKit" >&2
  exit 1
fi
ldd "$work/root/usr/bin/kanka-link-window" | grep -qE 'libwebkit2gtk'
# Without a display the command line says so instead of starting the window.
status=0
env -u DISPLAY -u WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS="unix:path=$work/no-bus" \
  "$work/root/usr/bin/kanka-link" 2>"$work/no-display" || status=$?
cat "$work/no-display"
if [ "$status" != 2 ] || ! grep -q 'no display' "$work/no-display"; then
  echo "kanka-link without a display: exit $status, not 2 with the line" >&2
  exit 1
fi

# As if installed: the desktop's own lookup (gio) names it as the handler of kanka-link: URLs.
# (GLib lists an entry only when its program is on the PATH.)
export PATH="$work/root/usr/bin:$PATH"
export XDG_DATA_DIRS="$work/root/usr/share" XDG_DATA_HOME="$work/home/share" XDG_CONFIG_HOME="$work/home/config"
update-desktop-database "$work/root/usr/share/applications"
handler=$(gio mime x-scheme-handler/kanka-link)
echo "$handler"
grep -q "Default application for .x-scheme-handler/kanka-link.: $(basename "$desktop")" <<<"$handler"
echo "== the .deb's desktop entry handles kanka-link: URLs"
