#!/usr/bin/env bash
# Installs tty2mqtt as a systemd service from this checkout:
#   - the package in /opt/tty2mqtt: what `npm pack` would ship (package.json "files": the
#     bundle dist/, no TypeScript sources) plus the production node_modules of this checkout
#     (run `npm ci` here first, which builds dist/; native modules are reused, nothing is
#     compiled or downloaded), and the command /usr/local/bin/tty2mqtt;
#   - a system user `tty2mqtt` in the group `dialout` (serial devices);
#   - /etc/tty2mqtt with a starter gateway.yaml (only when absent; mode 0640 root:tty2mqtt);
#   - /var/lib/tty2mqtt (the queue; systemd's StateDirectory= keeps it owned by tty2mqtt);
#   - /etc/systemd/system/tty2mqtt.service, its ExecStart naming the node that runs the
#     gateway by its absolute path: systemd does not search a login's PATH, so
#     `#!/usr/bin/env node` would miss a Node in /usr/local/lib/nodejs/bin or from nvm.
# Idempotent: a second run changes nothing and says so.
#
# Usage: deploy/install.sh [--root DIR] [--node PATH] [--uninstall [--purge]]
#   --root DIR   install into DIR instead of / (a staging tree; users are written to
#                DIR/etc/passwd with useradd --prefix; systemctl is not called)
#   --node PATH  the Node.js (20 or newer) the service runs; default: `node` on PATH, which
#                under sudo is sudo's secure_path: for another one, pass
#                --node "$(command -v node)". It must live outside /home, /root and
#                /run/user, which the unit hides from the service (ProtectHome=yes)
#   --uninstall  stop and remove the service, the package, the command and the user;
#                /etc/tty2mqtt and /var/lib/tty2mqtt stay unless --purge is given too
set -euo pipefail

PREFIX=/opt/tty2mqtt
USER_NAME=tty2mqtt
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=
NODE=
ACTION=install
PURGE=0
CHANGES=0

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$(cd "$2" && pwd); shift 2 ;;
    --root=*) ROOT=$(cd "${1#--root=}" && pwd); shift ;;
    --node) [ $# -ge 2 ] || die "--node needs the path of a node executable"; NODE=$2; shift 2 ;;
    --node=*) NODE=${1#--node=}; shift ;;
    --uninstall) ACTION=uninstall; shift ;;
    --purge) PURGE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ "$ROOT" = / ] && ROOT=
[ $PURGE -eq 0 ] || [ "$ACTION" = uninstall ] || die "--purge goes with --uninstall"
[ "$(id -u)" -eq 0 ] || die "run as root (sudo), or with --root DIR as root for a staging tree"

# The node the service runs (--node, else the one on PATH) as an absolute path, checked
# before anything is changed. Not resolved through symlinks: /usr/bin/node from a
# distribution or NodeSource package then follows its upgrades.
resolve_node() {
  if [ -z "$NODE" ]; then
    NODE=$(command -v node) || die "no node on PATH ($PATH); install Node.js 20 or newer, or pass --node PATH"
  fi
  case "$NODE" in
    /*) ;;
    */*) NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE") ;;
    *) die "--node $NODE: give a path, e.g. --node \"\$(command -v node)\"" ;;
  esac
  # Written into ExecStart= unquoted: keep to characters systemd takes as they are.
  [[ "$NODE" =~ ^[A-Za-z0-9/._+@-]+$ ]] || die "node path $NODE has characters ExecStart= would need quoted"
  case "$NODE" in
    /home/* | /root/* | /run/user/*)
      die "node $NODE is in a home directory, which the service cannot see (ProtectHome=yes in the unit); install Node.js 20 or newer system-wide (a distribution or NodeSource package, or the official tarball under /usr/local or /opt) and pass it with --node" ;;
  esac
  [ -f "$NODE" ] && [ -x "$NODE" ] || die "node $NODE is not an executable file"
  local version
  version=$("$NODE" --version 2>/dev/null) || die "$NODE --version failed: is it Node.js?"
  [[ "$version" =~ ^v([0-9]+)\. ]] || die "$NODE --version said '$version', not a Node.js version"
  [ "${BASH_REMATCH[1]}" -ge 20 ] || die "node $NODE is $version; tty2mqtt needs Node.js 20 or newer (package.json engines)"
  NODE_VERSION=$version
}

# useradd/usermod/userdel/groupdel work on $ROOT/etc/{passwd,group,shadow,gshadow}.
PREFIX_ARGS=()
[ -z "$ROOT" ] || PREFIX_ARGS=(--prefix "$ROOT")
# systemctl only on the live system, and only when systemd runs it.
LIVE_SYSTEMD=0
[ -n "$ROOT" ] || [ ! -d /run/systemd/system ] || LIVE_SYSTEMD=1

changed() {
  CHANGES=$((CHANGES + 1))
  printf '  %-10s %s\n' "$1" "$2"
}
unchanged() { printf '  %-10s %s\n' unchanged "$1"; }

id_of() { # id_of passwd|group NAME → numeric id from the tree's own files
  awk -F: -v n="$2" '$1 == n { print $3 }' "$ROOT/etc/$1"
}

ensure_user() {
  [ -f "$ROOT/etc/passwd" ] && [ -f "$ROOT/etc/group" ] || die "$ROOT/etc/passwd and group are needed"
  grep -q '^dialout:' "$ROOT/etc/group" || die "no dialout group in $ROOT/etc/group"
  if [ -z "$(id_of passwd "$USER_NAME")" ]; then
    useradd "${PREFIX_ARGS[@]}" --system --user-group --groups dialout --home-dir /var/lib/tty2mqtt \
      --no-create-home --shell /usr/sbin/nologin --comment "tty2mqtt gateway" "$USER_NAME"
    changed created "system user $USER_NAME (groups: dialout)"
  elif ! awk -F: -v u="$USER_NAME" '$1 == "dialout" { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) f = 1 } END { exit !f }' "$ROOT/etc/group"; then
    usermod "${PREFIX_ARGS[@]}" --append --groups dialout "$USER_NAME"
    changed updated "user $USER_NAME added to dialout"
  else
    unchanged "user $USER_NAME in dialout"
  fi
}

# ensure_dir PATH MODE UID GID
ensure_dir() {
  local path="$ROOT$1"
  if [ ! -d "$path" ]; then
    install -d -m "$2" -o "$3" -g "$4" "$path"
    changed created "$1"
  elif [ "$(stat -c '%a %u %g' "$path")" != "$(printf '%o %s %s' "0$2" "$3" "$4")" ]; then
    chmod "$2" "$path"
    chown "$3:$4" "$path"
    changed updated "$1 (mode/owner)"
  else
    unchanged "$1"
  fi
}

# ensure_file SRC DEST MODE UID GID [keep]: "keep" never replaces an existing DEST.
ensure_file() {
  local dest="$ROOT$2"
  if [ -e "$dest" ] && [ "${6:-}" = keep ]; then
    unchanged "$2 (exists; not overwritten)"
  elif [ -e "$dest" ] && cmp -s "$1" "$dest" &&
    [ "$(stat -c '%a %u %g' "$dest")" = "$(printf '%o %s %s' "0$3" "$4" "$5")" ]; then
    unchanged "$2"
  else
    local what=created
    [ ! -e "$dest" ] || what=updated
    install -D -m "$3" -o "$4" -g "$5" "$1" "$dest"
    changed "$what" "$2"
  fi
}

# The package: its files (package.json "files") plus the production dependencies that
# `npm ls --omit=dev` finds in this checkout, assembled beside the old one and swapped in
# only when something differs.
# The installed bin runs the bundle only (bin/tty2mqtt.js): it must exist and be at least
# as new as every source file, or the service would run old code.
ensure_package() {
  [ -d "$SOURCE/node_modules" ] || die "no node_modules in $SOURCE: run npm ci there first"
  [ -f "$SOURCE/dist/cli.js" ] || die "no dist/cli.js in $SOURCE: run npm ci (or npm run build) there first"
  [ -z "$(find "$SOURCE/src" -name '*.ts' -newer "$SOURCE/dist/cli.js" -print -quit)" ] ||
    die "dist/ in $SOURCE is older than src/: run npm run build there first"
  local target="$ROOT$PREFIX" stage
  local -a files
  mapfile -t files < <("$NODE" -e 'for (const f of require(process.argv[1]).files) console.log(f)' "$SOURCE/package.json")
  [ "${#files[@]}" -gt 0 ] || die "no \"files\" in $SOURCE/package.json"
  stage=$(mktemp -d "$(dirname "$target")/.tty2mqtt.XXXXXX")
  trap 'rm -rf "$stage"' EXIT
  (cd "$SOURCE" && cp -a --parents "${files[@]}" package.json "$stage/")
  (cd "$SOURCE" && npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sed "s#^$SOURCE/##") |
    while IFS= read -r dep; do
      (cd "$SOURCE" && cp -a --parents "$dep" "$stage/")
    done
  chmod 0755 "$stage"
  if [ -d "$target" ] && diff -rq --no-dereference "$stage" "$target" >/dev/null 2>&1; then
    rm -rf "$stage"
    unchanged "$PREFIX"
  else
    local what=created
    [ ! -d "$target" ] || what=updated
    rm -rf "$target"
    mv "$stage" "$target"
    changed "$what" "$PREFIX"
  fi
  trap - EXIT
}

# The unit as shipped, with the node found by resolve_node in ExecStartPre= and ExecStart=.
ensure_unit() {
  local unit
  unit=$(mktemp)
  sed -E "s#^(ExecStart(Pre)?=)/usr/bin/node #\\1$NODE #" "$SOURCE/deploy/tty2mqtt.service" >"$unit"
  grep -q "^ExecStart=$NODE " "$unit" || { rm -f "$unit"; die "deploy/tty2mqtt.service has no ExecStart=/usr/bin/node line"; }
  ensure_file "$unit" /etc/systemd/system/tty2mqtt.service 644 0 0
  rm -f "$unit"
}

ensure_link() { # ensure_link TARGET LINK
  if [ "$(readlink "$ROOT$2" 2>/dev/null)" = "$1" ]; then
    unchanged "$2 -> $1"
  else
    mkdir -p "$(dirname "$ROOT$2")"
    ln -sfn "$1" "$ROOT$2"
    changed linked "$2 -> $1"
  fi
}

install_all() {
  resolve_node
  echo "Installing tty2mqtt from $SOURCE into ${ROOT:-/} (node: $NODE $NODE_VERSION)"
  ensure_user
  local uid gid
  uid=$(id_of passwd "$USER_NAME")
  gid=$(id_of group "$USER_NAME")
  mkdir -p "$(dirname "$ROOT$PREFIX")"
  ensure_package
  ensure_link "$PREFIX/bin/tty2mqtt.js" /usr/local/bin/tty2mqtt
  ensure_dir /etc/tty2mqtt 750 0 "$gid"
  ensure_file "$SOURCE/deploy/gateway.yaml" /etc/tty2mqtt/gateway.yaml 640 0 "$gid" keep
  ensure_dir /var/lib/tty2mqtt 750 "$uid" "$gid"
  local before=$CHANGES
  ensure_unit
  if [ $LIVE_SYSTEMD -eq 1 ] && [ $CHANGES -ne $before ]; then systemctl daemon-reload; fi
  if [ $CHANGES -eq 0 ]; then
    echo "Nothing to do: tty2mqtt is already installed and up to date."
  else
    echo "Done: $CHANGES change(s)."
    echo "Next: edit /etc/tty2mqtt/gateway.yaml, check it with"
    echo "  sudo -u tty2mqtt $NODE $PREFIX/bin/tty2mqtt.js check -c /etc/tty2mqtt/gateway.yaml"
    echo "and start the service with: sudo systemctl enable --now tty2mqtt"
  fi
}

remove() { # remove PATH: a file, link or tree under $ROOT
  if [ -e "$ROOT$1" ] || [ -L "$ROOT$1" ]; then
    rm -rf "${ROOT:?}$1" 2>/dev/null || rm -rf "$ROOT$1"
    changed removed "$1"
  else
    unchanged "$1 (absent)"
  fi
}

uninstall_all() {
  echo "Uninstalling tty2mqtt from ${ROOT:-/}"
  if [ $LIVE_SYSTEMD -eq 1 ] && [ -e /etc/systemd/system/tty2mqtt.service ]; then
    systemctl disable --now tty2mqtt.service || true
  fi
  remove /etc/systemd/system/tty2mqtt.service
  [ $LIVE_SYSTEMD -eq 0 ] || systemctl daemon-reload
  remove /usr/local/bin/tty2mqtt
  remove "$PREFIX"
  if [ -n "$(id_of passwd "$USER_NAME")" ]; then
    userdel "${PREFIX_ARGS[@]}" "$USER_NAME"
    changed removed "user $USER_NAME"
  else
    unchanged "user $USER_NAME (absent)"
  fi
  # userdel keeps the user's own group when login.defs has USERGROUPS_ENAB no.
  if [ -n "$(id_of group "$USER_NAME")" ]; then
    groupdel "${PREFIX_ARGS[@]}" "$USER_NAME"
    changed removed "group $USER_NAME"
  fi
  if [ $PURGE -eq 1 ]; then
    remove /etc/tty2mqtt
    remove /var/lib/tty2mqtt
  else
    echo "  kept       /etc/tty2mqtt and /var/lib/tty2mqtt (the configuration and the queue; --purge removes them)"
  fi
  [ $CHANGES -ne 0 ] || echo "Nothing to do: tty2mqtt is not installed."
}

if [ "$ACTION" = install ]; then install_all; else uninstall_all; fi
