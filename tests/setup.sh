#!/usr/bin/env bash
# Installs what Kanka Link needs on Debian/Ubuntu, and nothing that is already there.
# As root it runs apt-get itself; otherwise it prints the one line to run and stops.
#   tests/setup.sh build   to build the app
#   tests/setup.sh demo    to build and run it (npm run demo)
#   tests/setup.sh test    to build it and run every test (npm test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

purpose="${1:-test}"
# Tauri 2 on Linux: WebKitGTK 4.1 and its toolchain (see PLATFORM-NOTES).
# rpm: rpmbuild, for the .rpm that npm run bundle makes beside the .deb (packaging/linux).
build=(build-essential pkg-config file libwebkit2gtk-4.1-dev libssl-dev librsvg2-dev libxdo-dev rpm)
# Running the window: a session bus, a keychain, the desktop's URL handlers.
run=(dbus dbus-x11 gnome-keyring libsecret-tools xdg-utils desktop-file-utils libglib2.0-bin)
# Tests: a headless X server, the WebKit WebDriver and ImageMagick (pictures of the window)
# for the end-to-end tests; lintian, AppStream's validator and cpio (to unpack the .rpm) for the
# package checks (tests/check-packages.sh); zsh, fish and groff to check the completion scripts
# and the man pages that kanka-link prints (src-tauri/tests/manual.rs).
test=(xvfb xauth webkit2gtk-driver at-spi2-core imagemagick lintian appstream cpio zsh fish groff-base)
case "$purpose" in
  build) wanted=("${build[@]}") ;;
  demo) wanted=("${build[@]}" "${run[@]}") ;;
  test) wanted=("${build[@]}" "${run[@]}" "${test[@]}") ;;
  *) echo "usage: $0 build|demo|test" >&2; exit 2 ;;
esac

if ! command -v cargo >/dev/null; then
  echo "Rust is missing: install Rust 1.90 or newer with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "Kanka Link needs these system packages: ${missing[*]}" >&2
    echo "Install them with:  sudo sh -c '$line'" >&2
    exit 1
  fi
  echo "Installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Tauri CLI, Vite and TypeScript, exactly as locked.
cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# cargo-about, which gathers the Rust crates' licences for the packages' copyright files
# (packaging/linux/package.sh, run by npm run bundle).
if [ "$purpose" != demo ] && ! cargo about --version >/dev/null 2>&1; then
  echo "Installing cargo-about" >&2
  cargo install cargo-about --locked --version '^0.9' --features cli --quiet
fi

# tauri-driver 2.x (plain `cargo install` would pick the 3.0 alpha).
if [ "$purpose" = test ] && ! tauri-driver --help >/dev/null 2>&1; then
  echo "Installing tauri-driver 2" >&2
  cargo install tauri-driver --locked --version '^2' --quiet
fi
