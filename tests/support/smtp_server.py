"""A tiny local SMTP receiver (standard library only) for the rehearsal's email stand-in.

It listens on 127.0.0.1 only, on a port the system picks, speaks plain SMTP (EHLO/HELO, AUTH
PLAIN/LOGIN accepting any credentials, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps every
delivered message, parsed, in `messages`. No TLS: the send-mail stand-in connects plainly here
(the real action would use implicit TLS on port 465), which it records.
"""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from support.background import serving


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    message: EmailMessage
    username: str | None

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        sender, username = "", None
        recipients: list[str] = []
        self.reply("220 127.0.0.1 rehearsal SMTP ready")
        while raw := self.rfile.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-127.0.0.1")
                self.reply("250-AUTH PLAIN LOGIN")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 127.0.0.1")
            elif verb == "AUTH":
                mechanism, _, initial = argument.partition(" ")
                if mechanism.upper() == "PLAIN":
                    if not initial:
                        self.reply("334 ")
                        initial = self.rfile.readline().decode().strip()
                    parts = base64.b64decode(initial).split(b"\0")
                    username = parts[1].decode() if len(parts) > 1 else ""
                else:  # LOGIN
                    self.reply("334 VXNlcm5hbWU6")
                    username = base64.b64decode(self.rfile.readline().strip()).decode()
                    self.reply("334 UGFzc3dvcmQ6")
                    self.rfile.readline()
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = argument.partition(":")[2].strip().strip("<>").split(">")[0], []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(argument.partition(":")[2].strip().strip("<>").split(">")[0])
                self.reply("250 OK")
            elif verb == "DATA":
                if not recipients:
                    self.reply("503 need RCPT first")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                parsed = message_from_bytes(bytes(data), policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                with self.server.state.lock:
                    self.server.state.messages.append(Delivery(sender, list(recipients), parsed, username))
                self.reply("250 OK: queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply(f"502 {verb} not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: SmtpServer


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """Serve a fresh receiver on a free 127.0.0.1 port for the duration of the block."""
    state = SmtpServer()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = state
    with serving(server, "smtp") as port:
        state.port = port
        yield state


__all__ = ["Delivery", "SmtpServer", "smtp_server"]
