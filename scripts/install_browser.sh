#!/usr/bin/env bash
# Installs Debian's Chromium (and a Korean font, so the Korean console renders) for the
# browser test (tests/browser), once. Idempotent and quiet: prints nothing when both are there.
# Never runs `playwright install`: the test drives the system Chromium at /usr/bin/chromium.
set -u

CHROMIUM=/usr/bin/chromium
packages=()
[ -x "$CHROMIUM" ] || packages+=(chromium)
# Without a Korean font headless Chromium draws the Korean UI as empty boxes.
if ! { command -v fc-list >/dev/null && fc-list :lang=ko family 2>/dev/null | grep -q .; }; then
  packages+=(fonts-nanum)
fi
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install_browser.sh: ${packages[*]} missing; installing needs root (apt-get install ${packages[*]})" >&2
  exit 1
fi

echo "installing ${packages[*]} (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq; then
  echo "install_browser.sh: apt-get update failed; check the network or the apt sources" >&2
  exit 1
fi
if ! apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>/tmp/install_browser.$$.err; then
  cat /tmp/install_browser.$$.err >&2
  rm -f /tmp/install_browser.$$.err
  echo "install_browser.sh: apt-get install ${packages[*]} failed (see above)" >&2
  exit 1
fi
rm -f /tmp/install_browser.$$.err
if [ ! -x "$CHROMIUM" ]; then
  echo "install_browser.sh: chromium was installed but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
