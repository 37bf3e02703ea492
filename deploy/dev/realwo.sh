#!/usr/bin/env bash
# Builds the real-WordOps chroot of the test tier (../shared/realwo/build.sh: WordOps 3.22,
# WP-CLI 2.10, Debian's nginx/PHP 8.2/MariaDB/Redis; ~4 min the first time on 2 cores,
# seconds once built) and prints how long it took. REALWO_DIR overrides where it goes.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=../shared/realwo/build.sh
[ -f "$BUILD" ] || { echo "realwo.sh: $BUILD not found (the shared fixtures must sit beside the checkout)" >&2; exit 1; }
command -v ip >/dev/null || apt-get install -y -qq iproute2 >/dev/null
START=$(date +%s)
bash "$BUILD"
echo "realwo.sh: real-WordOps chroot ready in $(( $(date +%s) - START )) s (${REALWO_DIR:-/var/tmp/wofleet-realwo})"
