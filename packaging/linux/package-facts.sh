# What both packages are, read once for packaging/linux/package.sh, which makes them, and
# tests/check-packages.sh, which checks them: sourced, not run. Sets here (this folder), root,
# bundle (where `npm run bundle` leaves them), conf (a tauri.conf.json value), id, version, name
# and executables (packaging/linux/executables, the only list of the programs).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bundle="${CARGO_TARGET_DIR:-$root/target}/release/bundle"
conf() { node -p "const c = require('$root/src-tauri/tauri.conf.json'); $1"; }
id=$(conf 'c.identifier')
version=$(conf 'c.version')
name=kanka-link
mapfile -t executables < <(awk '!/^#/ && NF' "$here/executables")
