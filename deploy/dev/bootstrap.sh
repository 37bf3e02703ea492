#!/usr/bin/env bash
# Node side of a fresh machine: pnpm (pinned), the workspace's packages, a build.
# Idempotent; needs only Node.js 20 + npm. Run as root from anywhere.
set -euo pipefail
cd "$(dirname "$0")/../.."

PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit >/dev/null
fi
echo "bootstrap: pnpm install"
CI=true pnpm install --frozen-lockfile --reporter=silent
echo "bootstrap: pnpm build"
pnpm build >/dev/null
