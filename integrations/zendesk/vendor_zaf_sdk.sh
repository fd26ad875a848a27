#!/usr/bin/env bash
# Re-creates assets/vendor/zaf_sdk.min.js and assets/vendor/LICENSE from the npm registry.
#
# The npm package zendesk_app_framework_sdk ships its CommonJS sources (lib/) but no built file
# (no dist/ or build/ folder), so this script does what the package's Gruntfile does (bundle
# lib/index.js with the global `ZAFClient`, minify) with esbuild, both versions pinned. The
# output is byte-for-byte reproducible; run it only to move to another SDK version, then run the
# Zendesk browser tests (tests/browser/test_zendesk_app.py). Needs node and npm; no CDN.
set -euo pipefail

SDK_VERSION=2.0.11
SDK_INTEGRITY="sha512-3TKzeq0faAPCYRLYGKcoJnbDdsYB26/T2aoBC9JQKfbQRyBh2Av7EpeBRE9gYGVPqOPvqYxNmZITe29BKu+08Q=="
ESBUILD_VERSION=0.28.2

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/assets/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "zendesk_app_framework_sdk@$SDK_VERSION" >/dev/null
tarball="zendesk_app_framework_sdk-$SDK_VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$SDK_INTEGRITY" ]; then
  echo "integrity mismatch for $tarball: $actual" >&2
  exit 1
fi
tar xzf "$tarball"

npm init -y >/dev/null
npm install --silent --no-audit --no-fund --ignore-scripts "esbuild@$ESBUILD_VERSION" >/dev/null

mkdir -p "$out"
./node_modules/.bin/esbuild package/lib/index.js \
  --bundle --format=iife --global-name=ZAFClient --minify --target=es2015 --charset=utf8 \
  --legal-comments=inline --log-level=warning \
  "--banner:js=/*! Zendesk App Framework SDK $SDK_VERSION (npm: zendesk_app_framework_sdk@$SDK_VERSION, lib/ bundled by esbuild $ESBUILD_VERSION). Copyright 2014 Zendesk. Apache License 2.0: see LICENSE. Includes native-promise-only (MIT, Kyle Simpson). */" \
  --outfile="$out/zaf_sdk.min.js"
cp package/LICENSE "$out/LICENSE"
echo "wrote $out/zaf_sdk.min.js ($(wc -c <"$out/zaf_sdk.min.js") bytes) and $out/LICENSE"
