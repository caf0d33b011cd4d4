#!/usr/bin/env bash
# `make e2e` needs Debian's Chromium and CJK fonts (screenshots of Japanese pages). Installs them
# when missing and this user may (root with apt-get); otherwise says in one line what to install.
set -euo pipefail
missing=()
[ -x "${E2E_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1 \
    && exit 0
fi
echo "make e2e needs ${missing[*]}: install with 'sudo apt-get install ${missing[*]}' (or set E2E_CHROMIUM to a Chromium binary)" >&2
exit 1
