#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 (as root) and runs the demo on this machine: four
# real-WordOps servers (overlay copies of the chroot deploy/dev/realwo.sh builds, ~4 min the
# first time) with two sites each made through the real `wo`, a controller and NATS on the
# host, one rollout campaign 6.4.5 -> 6.5.5 (canary, then waves 1,1,50%), watched live.
# Flags go to the demo (--keep keeps the fleet running until Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/dev/services.sh
bash deploy/dev/bootstrap.sh
bash deploy/dev/realwo.sh
exec node --import tsx tests/demo/fleet.ts "$@"
