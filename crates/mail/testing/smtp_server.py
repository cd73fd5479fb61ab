"""A real SMTP server for the mail crate's tests (tests/harness/mod.rs starts it).

aiosmtpd on 127.0.0.1, on the given port (0: any free one). Every accepted
message is written into --dir as N.eml (the raw DATA) and then N.json (the
envelope, the AUTH login and mechanism, whether the session was encrypted):
the JSON appears only once the message is complete. Prints "READY <port>"
when it listens, and exits when its standard input closes, so it never
outlives the test process that started it.

Options shape the server: --auth USER:PASSWORD (AUTH required, over plain
connections too), --auth-mechanism PLAIN|LOGIN (offer only that one),
--refuse ADDRESS=REPLY (answer RCPT TO:<ADDRESS> with REPLY, e.g.
"550 5.1.1 No such user"), --cert/--key with --starttls (STARTTLS required)
or --implicit-tls (TLS from the first byte).
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, out_dir, refusals):
        self.out_dir = out_dir
        self.refusals = refusals
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refusals.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out_dir, f"{self.count:04d}")
        with open(base + ".eml", "wb") as raw:
            raw.write(envelope.original_content)
        login = None
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8")
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "auth_login": login,
            "auth_mechanism": getattr(session, "test_mechanism", None),
            # STARTTLS sets session.ssl; implicit TLS shows on the transport.
            "encrypted": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "eml": base + ".eml",
        }
        with open(base + ".json.partial", "w", encoding="utf-8") as meta:
            json.dump(record, meta)
        os.rename(base + ".json.partial", base + ".json")
        return "250 2.0.0 Ok: queued"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8") == user
            and auth_data.password.decode("utf-8") == password
        ):
            session.test_mechanism = mechanism
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return authenticate


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def serve(args):
    refusals = {}
    for rule in args.refuse:
        address, reply = rule.split("=", 1)
        refusals[address.lower()] = reply
    handler = Recorder(args.dir, refusals)
    context = tls_context(args.cert, args.key) if args.cert else None
    options = {"hostname": "smtp.test"}
    if args.auth:
        user, password = args.auth.split(":", 1)
        options.update(
            authenticator=authenticator_for(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
        if args.auth_mechanism:
            others = {"PLAIN", "LOGIN"} - {args.auth_mechanism}
            options["auth_exclude_mechanism"] = sorted(others)
    if args.starttls:
        options.update(tls_context=context, require_starttls=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options),
        host="127.0.0.1",
        port=args.port,
        ssl=context if args.implicit_tls else None,
        reuse_address=True,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


def main():
    # aiosmtpd warns about AUTH without TLS (wanted here) and logs every
    # refused handshake with a traceback (wanted too): quiet unless asked.
    if not os.environ.get("TEST_LOG"):
        warnings.simplefilter("ignore")
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth")
    parser.add_argument("--auth-mechanism", choices=["PLAIN", "LOGIN"])
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--implicit-tls", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args))
    # The executor thread that read stdin is done; nothing else to wait for.
    os._exit(0)


if __name__ == "__main__":
    main()
