#!/usr/bin/env bash
# `make image`: the two images built and run on this machine, with no registry (docs/platform.md).
#   1. base rootfs from Debian's packages (mmdebstrap): bookworm for Rasa, trixie (python3.13)
#      for the action server; cached in var/image/ by package list, imported into podman once
#   2. deploy/Dockerfile (Rasa, the pinned Python 3.10 build) and deploy/Dockerfile.actions
#      (action server, Python 3.13) with podman; layers cached, so a second run is fast
#   3. both started (read-only root, /tmp a tmpfs, host network on loopback), then: the action
#      server's /health, and Q1 over REST from the Rasa container; stopped; sizes and times printed
# IMAGE_RASA_PORT / IMAGE_ACTIONS_PORT: the ports the check uses (default 16208 / 16258).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/install_packages.sh image
scripts/bootstrap.sh
scripts/train_if_changed.sh

cache=var/image
mkdir -p "$cache"
rasa_port="${IMAGE_RASA_PORT:-16208}"
actions_port="${IMAGE_ACTIONS_PORT:-16258}"
tag="$(git rev-parse --short HEAD 2>/dev/null || echo dev)"
python310="$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.13 2>/dev/null || true)"
[ -x "$python310/bin/python3.10" ] || { echo "error: the pinned Python 3.10.13 (pyenv) is missing: it goes into the Rasa image" >&2; exit 1; }
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
timings=()
# This machine: cgroups v1+v2 hybrid, which crun refuses ("cgroups in hybrid mode not supported"), so
# runc; no CAP_SYS_RESOURCE, so a container may only keep or lower the limits of this shell (podman's
# defaults raise them: "error setting rlimits … operation not permitted")
podman=(podman --runtime runc)
limits=(--ulimit "nofile=$(ulimit -n):$(ulimit -Hn)" --ulimit "nproc=4096:4096")
elapsed() { echo $(( $(date +%s) - $1 )); }

# libraries the pyenv 3.10 build links (ssl, sqlite3, ctypes, …), and libstdc++/libgomp for
# TensorFlow, spaCy and Kiwi
BOOKWORM_PACKAGES=ca-certificates,libssl3,libsqlite3-0,libffi8,libuuid1,libbz2-1.0,liblzma5,libreadline8,libncursesw6,zlib1g,libexpat1,libgdbm6,libstdc++6,libgomp1
TRIXIE_PACKAGES=ca-certificates,python3,python3-venv

base() {  # base <suite> <packages> <image name>: the rootfs once, imported once
  local suite=$1 packages=$2 image=$3 key tarball start
  key=$(echo "$suite $packages $mirror" | sha256sum | cut -c1-12)
  tarball="$cache/$suite-$key.tar"
  start=$(date +%s)
  if [ ! -s "$tarball" ]; then
    echo "base: mmdebstrap $suite (about 1 min)…"
    mmdebstrap --quiet --variant=minbase --include="$packages" "$suite" "$tarball.part" "$mirror"
    mv "$tarball.part" "$tarball"
  fi
  if [ "$("${podman[@]}" image inspect --format '{{index .Labels "rootfs"}}' "$image" 2>/dev/null)" != "$key" ]; then
    "${podman[@]}" import --quiet --change "LABEL rootfs=$key" --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
  fi
  timings+=("base $suite: $(elapsed "$start") s")
}
base bookworm "$BOOKWORM_PACKAGES" localhost/consignment-base:bookworm
base trixie "$TRIXIE_PACKAGES" localhost/consignment-actions-base:trixie

# the set-up's pip indexes and wheels, where this machine has them, as at the host's pip install
pip_volumes=()
for dir in /opt/pypi /opt/pypi-more /opt/wheels; do
  [ -d "$dir" ] && pip_volumes+=(--volume "$dir:$dir:ro")
done
[ -f /etc/pip.conf ] && pip_volumes+=(--volume /etc/pip.conf:/etc/pip.conf:ro)
# this machine's CA bundle (its egress may re-sign TLS) for the build's pip only: never in an image
pip_volumes+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)

start=$(date +%s)
"${podman[@]}" build "${limits[@]}" --quiet --network host "${pip_volumes[@]}" -f deploy/Dockerfile \
  --build-context python310="$python310" -t "localhost/consignment-assistant:$tag" . >/dev/null
timings+=("image consignment-assistant: $(elapsed "$start") s")
start=$(date +%s)
"${podman[@]}" build "${limits[@]}" --quiet --network host "${pip_volumes[@]}" -f deploy/Dockerfile.actions \
  -t "localhost/consignment-actions:$tag" . >/dev/null
timings+=("image consignment-actions: $(elapsed "$start") s")

# ── run both and check ──
run="$cache/run"
rm -rf "$run"; mkdir -p "$run"
sed -e "s#http://localhost:5055/webhook#http://127.0.0.1:$actions_port/webhook#" \
    -e "s#db: var/conversations.db#db: /tmp/var/conversations.db#" endpoints.yml > "$run/endpoints.yml"
secrets=(--env DRIVER_TOKEN_SECRET="image-check-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
         --env AGENT_TOKEN_SECRET="image-check-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')")
# demo data in the containers' own SQLite files (ADMIN_DB_LOAD_DEMO): no real admin database here
common=("${limits[@]}" --detach --rm --network host --read-only --tmpfs /tmp:rw,size=512m,mode=1777
        --env ASSISTANT_DEMO_MODE=0 --env ADMIN_DB_LOAD_DEMO=1 "${secrets[@]}")
containers=()
stop() { for c in "${containers[@]}"; do "${podman[@]}" stop --time 10 "$c" >/dev/null 2>&1 || true; done; }
trap stop EXIT
start=$(date +%s)
containers+=("$("${podman[@]}" run "${common[@]}" --name "consignment-actions-check-$$" --env SANIC_HOST=127.0.0.1 \
  "localhost/consignment-actions:$tag" scripts/actions.sh --port "$actions_port")")
containers+=("$("${podman[@]}" run "${common[@]}" --name "consignment-rasa-check-$$" \
  --volume "$PWD/$run/endpoints.yml:/etc/consignment/endpoints.yml:ro" \
  "localhost/consignment-assistant:$tag" \
  rasa run -i 127.0.0.1 --port "$rasa_port" --endpoints /etc/consignment/endpoints.yml --credentials credentials.yml)")

ready=""
for _ in $(seq 1 240); do
  if curl -fsS "http://127.0.0.1:$actions_port/health" >/dev/null 2>&1 \
     && curl -fsS "http://127.0.0.1:$rasa_port/webhooks/rest/" >/dev/null 2>&1; then ready=1; break; fi
  for c in "${containers[@]}"; do
    [ "$("${podman[@]}" inspect --format '{{.State.Running}}' "$c" 2>/dev/null)" = true ] || { "${podman[@]}" logs "$c" 2>&1 | tail -30 >&2; echo "error: a container stopped" >&2; exit 1; }
  done
  sleep 1
done
[ -n "$ready" ] || { for c in "${containers[@]}"; do "${podman[@]}" logs "$c" 2>&1 | tail -20 >&2; done; echo "error: the containers did not get ready in 240 s" >&2; exit 1; }
timings+=("start to ready: $(elapsed "$start") s")
health=$(curl -fsS "http://127.0.0.1:$actions_port/health")
reply=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"sender\": \"image-check-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')\", \"message\": \"위탁콜이 뭐예요?\"}" \
  "http://127.0.0.1:$rasa_port/webhooks/rest/webhook")
echo "action server /health: $health"
echo "Q1 reply: $reply"
case "$reply" in *CNMP*) ;; *) echo "error: Q1 was not answered with the article's definition" >&2; exit 1 ;; esac
echo "Python in the images: Rasa $("${podman[@]}" run "${limits[@]}" --rm "localhost/consignment-assistant:$tag" python -c 'import platform; print(platform.python_version())'), actions $("${podman[@]}" run "${limits[@]}" --rm "localhost/consignment-actions:$tag" .venv-actions/bin/python -c 'import platform, rasa_sdk; print(platform.python_version(), "rasa_sdk", rasa_sdk.__version__)')"
stop; trap - EXIT

echo "sizes:"
"${podman[@]}" images --format '  {{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "consignment-(assistant|actions):$tag|consignment-(actions-)?base"
echo "times:"
printf '  %s\n' "${timings[@]}"
echo "image check passed: Q1 answered from the Rasa container, the action server container healthy"
