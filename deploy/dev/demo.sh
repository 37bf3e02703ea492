#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 (as root) and runs the demo on this machine, in
# temp directories: a controller and four agents with two real sites each, one rollout
# campaign 6.4.5 -> 6.5.5 (canary, then waves 1,1,50%), watched live. Flags go to the demo
# (--keep keeps the temp roots).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash deploy/dev/services.sh
bash deploy/dev/bootstrap.sh
exec node --import tsx tests/demo/fleet.ts "$@"
