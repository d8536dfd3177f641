"""A real SMTP server for the customer e-mail tests (aiosmtpd, pinned in scripts/mail-venv.sh).

Usage: smtp_server.py DIR MODE USER PASSWORD, MODE one of `starttls` (STARTTLS required before AUTH),
`tls` (implicit TLS, smtps) or `plain` (no TLS, no AUTH: a local mail catcher). Makes a throwaway CA-free
self-signed certificate for 127.0.0.1/localhost in DIR/cert.pem, listens on 127.0.0.1 (a free port),
prints `listening on PORT`, and appends one JSON line per accepted message to DIR/messages.jsonl.

AUTH (PLAIN and LOGIN) is required in the TLS modes and checked against USER/PASSWORD. Scripted answers by
recipient: `tempfail-N@…` gets `451` for its first N RCPTs, `reject@…` always gets `550`.
"""

import asyncio
import email
import email.policy
import json
import os
import socket
import ssl
import subprocess
import sys
from collections import Counter

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DIR, MODE, USER, PASSWORD = sys.argv[1:5]
MESSAGES = os.path.join(DIR, "messages.jsonl")
rcpt_counts: Counter = Counter()


def make_certificate() -> ssl.SSLContext:
    cert, key = os.path.join(DIR, "cert.pem"), os.path.join(DIR, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, auth_data=auth_data if ok else None)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        rcpt_counts[address] += 1
        if local == "reject":
            return "550 5.1.1 No such user here"
        if local.startswith("tempfail-") and rcpt_counts[address] <= int(local.split("-")[1]):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "login": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "messageId": message["Message-ID"],
            "subject": message["Subject"],
            "from": message["From"],
            "to": message["To"],
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        with open(MESSAGES, "a", encoding="utf-8") as log:
            log.write(json.dumps(record) + "\n")
        return "250 2.0.0 Message accepted"


async def main() -> None:
    context = make_certificate() if MODE != "plain" else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    options = {"hostname": "localhost", "authenticator": authenticate, "auth_required": MODE != "plain"}
    if MODE == "starttls":
        options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
    elif MODE == "tls":
        options.update(auth_require_tls=False)
    else:
        options.update(auth_require_tls=False, auth_required=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(), **options), sock=sock, ssl=context if MODE == "tls" else None)
    print(f"listening on {sock.getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
