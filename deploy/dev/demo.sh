#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 (as root) and runs the demo on this
# machine, in a temp directory: init, 3 sites, update 6.4.5 -> 6.5.5, rollback, status.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/dev/services.sh
bash deploy/dev/bootstrap.sh
exec node --import tsx tests/demo/single-server.ts "$@"
