#!/usr/bin/env bash
# The Python side of customer e-mail, in a project-local venv: aiosmtpd (the real SMTP server with TLS and
# AUTH the tests run, tests/mail/smtp_server.py) and maildump (the mail catcher with a web view `make run`
# starts). Pinned, installed only when missing or at another version.
# Usage: scripts/mail-venv.sh [VENV_DIR]   (default .local/mail-venv); prints nothing when up to date.
set -euo pipefail
venv="${1:-.local/mail-venv}"
AIOSMTPD_VERSION=1.4.6
MAILDUMP_VERSION=1.0
want="aiosmtpd==$AIOSMTPD_VERSION maildump==$MAILDUMP_VERSION"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.pins" 2>/dev/null)" = "$want" ]; then exit 0; fi
echo "mail-venv: installing $want into $venv (PyPI)"
rm -rf "$venv"
python3 -m venv "$venv"
# shellcheck disable=SC2086 # $want is two requirement words on purpose
"$venv/bin/pip" install -q --disable-pip-version-check $want
echo "$want" > "$venv/.pins"
