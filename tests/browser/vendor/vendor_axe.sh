#!/usr/bin/env bash
# Re-creates axe.min.js and its licences (axe-core.LICENSE, axe-core.LICENSE-3RD-PARTY.txt) from
# the npm registry: axe-core, the accessibility engine the browser tests inject into each page
# (tests/browser/accessibility.py). Pinned and integrity-checked; run it only to move to another
# version, then run tests/browser/test_accessibility.py. Needs npm; no CDN.
set -euo pipefail

AXE_VERSION=4.11.0
AXE_INTEGRITY="sha512-ilYanEU8vxxBexpJd8cWM4ElSQq4QctCLKih0TSfjIfCQTeyH/6zVrmIJfLPrKTKJRbiG+cfnZbQIjAlJmF1jQ=="

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "axe-core@$AXE_VERSION" >/dev/null
tarball="axe-core-$AXE_VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$AXE_INTEGRITY" ]; then
  echo "integrity mismatch for $tarball: $actual" >&2
  exit 1
fi
tar xzf "$tarball"
cp package/axe.min.js "$here/axe.min.js"
cp package/LICENSE "$here/axe-core.LICENSE"
cp package/LICENSE-3RD-PARTY.txt "$here/axe-core.LICENSE-3RD-PARTY.txt"
echo "wrote $here/axe.min.js ($(wc -c <"$here/axe.min.js") bytes, axe-core $AXE_VERSION) and its licences"
