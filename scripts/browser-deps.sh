#!/usr/bin/env bash
# Installs what the browser tests need, only what is missing (safe to run again and again):
#   Debian chromium + chromium-driver (headless Chromium and its WebDriver), Python selenium.
# Usage: scripts/browser-deps.sh
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=()
for p in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "browser-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
# selenium and every dependency pinned in tests/browser/requirements.txt (installed without resolving),
# so no new release can change the browser tests under us.
req="$(dirname "$0")/../tests/browser/requirements.txt"
SELENIUM_VERSION=$(sed -n 's/^selenium==//p' "$req")
if ! "$python" -c "import importlib.metadata as m, sys; sys.exit(m.version('selenium') != '$SELENIUM_VERSION')" 2>/dev/null; then
  echo "browser-deps: installing selenium==$SELENIUM_VERSION and its pinned dependencies for $("$python" --version 2>&1)"
  "$python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req"
fi

# Report what is there; fail loudly when something still is not.
chromium --version
chromedriver --version
"$python" -c 'import selenium; print("selenium", selenium.__version__)'
