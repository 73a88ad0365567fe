#!/usr/bin/env bash
# Installs what Kanka Link needs on Debian/Ubuntu, and nothing that is already there.
# As root it runs apt-get itself; otherwise it prints the one line to run and stops.
#   tests/setup.sh test   packages to build and test
set -euo pipefail

purpose="${1:-test}"
build=(build-essential pkg-config)
test=(dbus gnome-keyring libsecret-tools)
case "$purpose" in
  test) wanted=("${build[@]}" "${test[@]}") ;;
  *) echo "usage: $0 test" >&2; exit 2 ;;
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
[ ${#missing[@]} -eq 0 ] && exit 0

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
