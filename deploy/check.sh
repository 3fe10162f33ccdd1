#!/usr/bin/env bash
# Checks deploy/ offline (no cluster, no container engine, no systemd running):
#   yamllint; `kubectl kustomize` of every overlay; kubernetes-validate --strict of each
#   rendering against the oldest and newest Kubernetes we support; the policy script;
#   `systemd-analyze verify` (any warning fails) and `systemd-analyze security --offline`
#   with a threshold on every unit; `haproxy -c` of the HAProxy configuration.
# Installs what it needs (Debian: haproxy, yamllint via pip, kubernetes-validate via pip).
# Called by .ci/run; runs in a few seconds.
set -euo pipefail
cd "$(dirname "$0")"
K8S_OLDEST=1.30.0 # the pod lifecycle `sleep` action (preStop) is on by default from 1.30
K8S_NEWEST=1.37.0
SECURITY_THRESHOLD=20 # systemd-analyze's exposure level ×10: 20 means "2.0" (0 locked down, 100 open)

need_apt() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need_apt haproxy haproxy
need_apt systemd-analyze systemd
python3 -m pip install -q --disable-pip-version-check yamllint==1.37.1 kubernetes-validate==1.37.0 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
command -v kubectl >/dev/null || need_apt kubectl kubernetes-client

fail=0
step() { printf '== %s\n' "$*"; }

step "yamllint"
python3 -m yamllint -c .yamllint.yaml --strict kubernetes || fail=1

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for overlay in kubernetes/overlays/*/; do
  name=$(basename "$overlay")
  step "kustomize $name"
  if ! kubectl kustomize "$overlay" >"$WORK/$name.yaml"; then fail=1; continue; fi
  for v in "$K8S_OLDEST" "$K8S_NEWEST"; do
    step "kubernetes-validate --strict $name, Kubernetes $v"
    kubernetes-validate --strict --quiet -k "$v" "$WORK/$name.yaml" || fail=1
  done
  step "policy $name"
  python3 kubernetes/policy.py "$name" <"$WORK/$name.yaml" || fail=1
done

# systemd: the units under a scratch root holding the distribution's own units (for the
# default dependencies) and an executable at ExecStart's path.
ROOT="$WORK/root"
mkdir -p "$ROOT/usr/bin" "$ROOT/usr/lib/systemd" "$ROOT/etc/systemd/system"
cp -a /usr/lib/systemd/system "$ROOT/usr/lib/systemd/"
printf '#!/bin/sh\n' >"$ROOT/usr/bin/centralita"
chmod +x "$ROOT/usr/bin/centralita"
cp systemd/*.service systemd/*.target "$ROOT/etc/systemd/system/"
UNITS=(centralita-migrate.service centralita-api@8081.service centralita-worker@1.service centralita.target)
step "systemd-analyze verify"
out=$(cd "$ROOT/etc/systemd/system" && systemd-analyze verify --root="$ROOT" "${UNITS[@]}" 2>&1) || fail=1
if [ -n "$out" ]; then
  printf '%s\n' "$out"
  fail=1
fi
for unit in "${UNITS[@]::3}"; do
  step "systemd-analyze security $unit (threshold $SECURITY_THRESHOLD)"
  (cd "$ROOT/etc/systemd/system" && systemd-analyze security --offline=true --root="$ROOT" \
    --threshold="$SECURITY_THRESHOLD" "$unit" | tail -1) || fail=1
done

step "haproxy -c"
haproxy -c -q -f haproxy/haproxy.cfg || fail=1

if [ "$fail" != 0 ]; then
  echo "deploy/ checks FAILED"
  exit 1
fi
echo "deploy/ checks passed"
