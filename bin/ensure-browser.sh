#!/usr/bin/env bash
# Debian's Chromium for the browser test (Playwright drives /usr/bin/chromium;
# a test tool's own browser download is not possible here).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> apt-get install chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
