#!/usr/bin/env bash
# Idempotent host set-up for stacksalt on Debian bookworm (run as root).
#   apt packages, the Python venv, dockerd (no systemd here), the debootstrap base image.
# Usage: docker-salt/bin/setup-host.sh [--no-venv]
# State (dockerd log, pid, caches) lives in $STACKSALT_STATE (default /var/lib/stacksalt).
set -euo pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
state=${STACKSALT_STATE:-/var/lib/stacksalt}
mkdir -p "$state"

log() { printf '[setup] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  echo "setup-host.sh: must run as root (apt-get and dockerd need it); try: sudo $0" >&2
  exit 1
fi

# 1. Debian packages. Only what the host itself needs; service packages (etcd, mariadb, ...)
#    are installed inside the host containers by the formulas, not here.
pkgs=(docker.io docker-compose debootstrap iproute2 git make rsync openssl ca-certificates
      etcd-server etcd-client shellcheck docker-registry apache2-utils rabbitmq-server
      mariadb-server python3-keystone python3-openstackclient rally python3-rally-openstack
      chromium chromium-driver)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

# 2. The venv with pinned dependencies and the stacksalt package (editable).
if [ "${1:-}" != "--no-venv" ]; then
  py=${PYTHON:-python3}
  if [ ! -x "$here/.venv/bin/python" ]; then
    log "creating $here/.venv"
    "$py" -m venv "$here/.venv"
  fi
  stamp="$here/.venv/.stacksalt-deps"
  want=$(cat "$here/constraints.txt" "$here/setup.py" | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing Python dependencies (constraints.txt)"
    "$here/.venv/bin/pip" install -q --upgrade pip wheel setuptools
    "$here/.venv/bin/pip" install -q -c "$here/constraints.txt" -e "${here}[test]"
    echo "$want" > "$stamp"
  else
    log "Python dependencies up to date"
  fi
fi

# 3. dockerd, started by hand (no systemd on these machines).
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $state/dockerd.log)"
  setsid nohup dockerd --data-root "${DOCKER_DATA_ROOT:-/var/lib/docker}" \
    >"$state/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$state/dockerd.pid"
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "setup-host.sh: dockerd did not come up in 60 s; see $state/dockerd.log" >&2
    tail -20 "$state/dockerd.log" >&2
    exit 1
  fi
else
  log "dockerd running"
fi

# 4. The base image, from debootstrap (nothing can be pulled here).
"$here/docker-salt/bin/base-image.sh"
log "done"
