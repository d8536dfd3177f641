#!/usr/bin/env bash
# Creates (or refreshes) the conformance suite's venv at $1 from tests/stripe-conformance/requirements.txt.
# Reinstalls only when the requirements changed; prints nothing when the venv is current.
set -euo pipefail
venv="$1"
req="tests/stripe-conformance/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req"
echo "$want" > "$stamp"
