#!/usr/bin/env bash
# Build stacksalt/debian:bookworm with debootstrap + docker import, unless it exists.
set -euo pipefail
image=${BASE_IMAGE:-stacksalt/debian:bookworm}
state=${STACKSALT_STATE:-/var/lib/stacksalt}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "[setup] base image $image present"
  exit 0
fi
root="$state/debootstrap-bookworm"
rm -rf "$root"
echo "[setup] debootstrap bookworm into $root (about 20-60 s)"
debootstrap --variant=minbase bookworm "$root" >"$state/debootstrap.log" 2>&1 || {
  echo "base-image.sh: debootstrap failed; see $state/debootstrap.log" >&2
  tail -20 "$state/debootstrap.log" >&2
  exit 1
}
# Keep apt lists out of the image; policy-rc.d stops packages starting services at install.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
tar -C "$root" -c . | docker import - "$image" >/dev/null
rm -rf "$root"
echo "[setup] imported $image"
