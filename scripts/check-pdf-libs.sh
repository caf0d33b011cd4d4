#!/usr/bin/env bash
# The evidence report's PDF (WeasyPrint) needs Pango and a Japanese font from the system, and its
# tests read the PDF back with poppler's pdftotext. Says what is missing and how to install it.
# Usage: check-pdf-libs.sh [--warn]   (--warn: report but do not fail, for `make run`;
# without it, as root, the missing packages are installed with apt-get)
missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
command -v fc-list >/dev/null && fc-list :lang=ja | grep -q . || missing+=(fonts-noto-cjk)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
# `make test`: install them when this user may (root with apt-get), as `make e2e` does for Chromium.
if [ "${1:-}" != "--warn" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1 \
    && exit 0
fi
echo "The evidence report PDF needs system packages that are missing: ${missing[*]}" >&2
echo "Install them with: apt-get install --no-install-recommends ${missing[*]}" >&2
[ "${1:-}" = "--warn" ] && exit 0
exit 1
