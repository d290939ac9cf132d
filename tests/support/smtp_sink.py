#!/usr/bin/python3
"""A real SMTP server for the integration tests (Debian's python3-aiosmtpd):
every message it accepts is saved in --dir as N.json, with what the test
checks (envelope, whether the session was encrypted, headers, the decoded
text and HTML parts).

    smtp_sink.py --port 2525 --dir /tmp/inbox [--starttls CERT KEY |
                 --smtps CERT KEY] [--auth USER:PASSWORD] [--delay SECS]

--starttls offers STARTTLS; --smtps speaks TLS from the first byte;
--auth requires that login before MAIL (and, as aiosmtpd does, TLS before
AUTH); --delay holds each message that long before accepting it. Prints
"ready" once it listens, and runs until SIGTERM or SIGINT.
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Saver:
    def __init__(self, folder, delay):
        self.folder = folder
        self.delay = delay
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if not part.is_multipart():
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "login": session.auth_data.login.decode() if session.authenticated else None,
            "subject": message["subject"],
            "from": message["from"],
            "to": message["to"],
            "message_id": message["message-id"],
            "content_type": message.get_content_type(),
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        # Written whole, then renamed: a reader never sees half a file.
        path = os.path.join(self.folder, f"{next(self.numbers)}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    options = {}
    if args.starttls:
        options["tls_context"] = tls_context(*args.starttls)
    if args.smtps:
        options["ssl_context"] = tls_context(*args.smtps)
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok, auth_data=auth_data)

        options["authenticator"] = authenticator
        options["auth_required"] = True

    controller = Controller(
        Saver(args.dir, args.delay),
        hostname="127.0.0.1",
        port=args.port,
        server_hostname="sink.test",
        **options,
    )
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    return 0


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    sys.exit(main())
