#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 (as root) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/dev/services.sh
bash deploy/dev/bootstrap.sh
bash deploy/dev/realwo.sh
exec pnpm test
