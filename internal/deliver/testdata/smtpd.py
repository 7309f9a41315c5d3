"""A real SMTP server for the e-mail channel's tests (Debian's python3-aiosmtpd).

smtpd.py PORT CERT KEY MODE USER PASSWORD
MODE starttls: plain connection, STARTTLS and AUTH required before mail;
MODE tls: implicit TLS (SMTPS), AUTH required.
Recipients starting "refuse" are refused (550), "later" deferred (451).
Each accepted message is printed as one JSON line on stdout; "READY" first.
"""
import asyncio, json, ssl, sys, time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, mode, user, password = sys.argv[1:7]


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        if address.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                          "data": envelope.content.decode("utf-8", "replace"),
                          "tls": server.transport.get_extra_info("ssl_object") is not None, "auth": session.authenticated}), flush=True)
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
    return AuthResult(success=ok, handled=False)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
if mode == "tls":
    c = Controller(Handler(), hostname="127.0.0.1", port=int(port), ssl_context=ctx, server_hostname="127.0.0.1",
                   authenticator=authenticator, auth_required=True, auth_require_tls=False)
else:
    c = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx, require_starttls=True,
                   authenticator=authenticator, auth_required=True, auth_require_tls=True)
c.start()
print("READY", flush=True)
try:
    sys.stdin.read()  # until the test closes our stdin
finally:
    c.stop()
