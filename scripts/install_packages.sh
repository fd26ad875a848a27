#!/usr/bin/env bash
# Installs the Debian packages a command needs, once: `scripts/install_packages.sh browser`
# (Chromium and a Korean font, for the browser tests), `… haproxy` (the cluster's load
# balancer), `… prometheus` (promtool, which checks and tests the alert rules) or `… image` (make image:
# mmdebstrap, podman). Idempotent and quiet: prints nothing when everything is there. Never downloads a
# browser of its own (Playwright drives /usr/bin/chromium).
set -u

packages=()
for need in "$@"; do
  case "$need" in
    browser)
      [ -x /usr/bin/chromium ] || packages+=(chromium)
      # without a Korean font headless Chromium draws the Korean UI as empty boxes
      { command -v fc-list >/dev/null && fc-list :lang=ko family 2>/dev/null | grep -q .; } || packages+=(fonts-nanum)
      ;;
    haproxy)
      command -v haproxy >/dev/null 2>&1 || packages+=(haproxy)
      ;;
    image)
      # `make image`: Debian rootfs without a registry (mmdebstrap), builds and runs images (podman)
      command -v mmdebstrap >/dev/null 2>&1 || packages+=(mmdebstrap)
      command -v podman >/dev/null 2>&1 || packages+=(podman fuse-overlayfs)
      command -v runc >/dev/null 2>&1 || packages+=(runc)  # crun refuses this machine's hybrid cgroups
      ;;
    prometheus)
      command -v promtool >/dev/null 2>&1 || packages+=(prometheus)
      ;;
    *) echo "install_packages.sh: unknown need '$need' (browser, haproxy, prometheus, image)" >&2; exit 2 ;;
  esac
done
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install_packages.sh: ${packages[*]} missing; installing needs root (apt-get install ${packages[*]})" >&2
  exit 1
fi
echo "installing ${packages[*]} (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! apt-get update -qq >"$log" 2>&1 || ! apt-get install -y -qq --no-install-recommends "${packages[@]}" >>"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "install_packages.sh: apt-get install ${packages[*]} failed (see above)" >&2
  exit 1
fi
rm -f "$log"
# the haproxy package starts a system service with its default config: the cluster runs its own
if [[ " ${packages[*]} " == *" haproxy "* ]]; then
  { systemctl stop haproxy || service haproxy stop || pkill -x haproxy; } >/dev/null 2>&1 || true
fi
# so does the prometheus package (a Prometheus server on :9090): only its promtool is wanted here
if [[ " ${packages[*]} " == *" prometheus "* ]]; then
  { systemctl stop prometheus || service prometheus stop || pkill -x prometheus; } >/dev/null 2>&1 || true
fi
echo "installed: ${packages[*]}"
