#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only when one is missing.
# Usage: scripts/deps.sh [extra-package …]
set -euo pipefail
# libcurl4-openssl-dev: SMTP for customer e-mail (Sources/CCurl). haproxy: the reverse proxy the TRUSTED_PROXIES test puts in front of checkoutd.
need=(postgresql libpq-dev libssl-dev libcurl4-openssl-dev pkg-config haproxy "$@")
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The openapi.yaml test validates the spec with PyPI's openapi-spec-validator; it and every dependency
# are pinned in tests/openapi/requirements.txt (installed without resolving), so no new release can
# change what the test accepts.
req="$(dirname "$0")/../tests/openapi/requirements.txt"
OPENAPI_SPEC_VALIDATOR_VERSION=$(sed -n 's/^openapi-spec-validator==//p' "$req")
if ! python3 -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$OPENAPI_SPEC_VALIDATOR_VERSION')" 2>/dev/null; then
  echo "deps: installing openapi-spec-validator==$OPENAPI_SPEC_VALIDATOR_VERSION and its pinned dependencies (PyPI)"
  python3 -m pip install -q --disable-pip-version-check --no-deps -r "$req"
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
