"""A local stand-in for Telegram's Bot API, for tests of a real `freqtrade trade` bot's Telegram.

freqtrade talks to `https://api.telegram.org` through python-telegram-bot and httpx, with no
setting for another address. httpx honours the standard proxy variables, so the bot is started
with `HTTPS_PROXY` pointing here and `SSL_CERT_FILE` naming a certificate authority made for the
test: this server answers the bot's `CONNECT api.telegram.org:443`, ends the TLS connection with a
certificate for api.telegram.org signed by that authority, and answers the Bot API methods the
bot calls (getMe, deleteWebhook, getUpdates, sendMessage). Nothing inside freqtrade or
python-telegram-bot is replaced; only the network's far end is.

It behaves like Telegram where BOTPY depends on it:
- a `Markdown` (legacy) message is parsed as TDLib's parse_markdown does and refused with
  Telegram's error when an entity does not end (`Bad Request: can't parse entities: Can't find
  end of the entity starting at byte offset N`); an `HTML` message must use Telegram's tags,
  closed in order (the error texts are close to Telegram's, not always the same; attributes are
  not checked); `MarkdownV2` is accepted unchecked; another parse mode is refused;
- a message to another chat is refused (`chat not found`), a wrong token gets 401, a text over
  4096 characters (counted before parsing) `message is too long`;
- `send_command("/locks")` is a message from the configured chat, delivered to the bot's next
  getUpdates with the bot-command entity Telegram adds.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

API_HOST = "api.telegram.org"
MAX_TEXT = 4096
LONG_POLL_CAP_S = 1.0  # getUpdates waits at most this long: a bot that stops is not held 20 s
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
             "a", "code", "pre", "blockquote", "tg-emoji"}


class EntityError(ValueError):
    """A text Telegram cannot parse; the message is Telegram's description after the prefix."""


# ---- Telegram's parsers ----------------------------------------------------------------------

def check_markdown(text: str) -> None:
    """Telegram's legacy `Markdown`: `*bold*`, `_italic_`, `` `code` ``, ```` ```pre``` ````,
    `[text](url)`; entities do not nest (inside one, only its end character counts); `\\` escapes
    `_ * ` [` outside entities. An entity without its end is refused, with the byte offset of its
    start (TDLib's parse_markdown)."""
    data = text.encode()
    i, size = 0, len(data)
    while i < size:
        c = data[i:i + 1]
        if c == b"\\" and data[i + 1:i + 2] in (b"_", b"*", b"`", b"["):
            i += 2
            continue
        if c not in (b"_", b"*", b"`", b"["):
            i += 1
            continue
        begin = i
        end = b"]" if c == b"[" else c
        i += 1
        is_pre = c == b"`" and data[i:i + 2] == b"``"
        if is_pre:
            i += 2
            while i < size and data[i:i + 1] not in b" \n`":  # the language after ```
                i += 1
        while i < size and (data[i:i + 1] != end
                            or (is_pre and data[i + 1:i + 3] != b"``")):
            i += 1
        if i == size:
            raise EntityError("can't parse entities: Can't find end of the entity starting at "
                              f"byte offset {begin}")
        if c == b"[" and data[i + 1:i + 2] == b"(":
            close = data.find(b")", i + 2)
            i = size if close < 0 else close
        if is_pre:
            i += 2
        i += 1


def check_html(text: str) -> None:
    """Telegram's `HTML`: only its tags, each closed in order; `<` must start a tag (a literal
    one is written `&lt;`)."""
    data = text.encode()
    stack: list[str] = []
    i = 0
    while (i := data.find(b"<", i)) >= 0:
        close = data.find(b">", i)
        if close < 0:
            raise EntityError(f"can't parse entities: Unclosed start tag at byte offset {i}")
        tag = data[i + 1:close].decode().lower()  # Telegram reads tag names in any case
        if tag.startswith("/"):
            name = tag[1:].strip()
            if not stack or (name and stack[-1] != name):
                raise EntityError(f"can't parse entities: Unmatched end tag at byte offset {i}, "
                                  f"expected \"</{stack[-1] if stack else ''}>\", found "
                                  f"\"</{name}>\"")
            stack.pop()
        else:
            name = tag.split(maxsplit=1)[0] if tag.strip() else ""
            if name not in HTML_TAGS:
                raise EntityError(f"can't parse entities: Unsupported start tag \"{name}\" at "
                                  f"byte offset {i}")
            stack.append(name)
        i = close + 1
    if stack:
        raise EntityError("can't parse entities: Can't find end tag corresponding to start tag "
                          f"\"{stack[-1]}\"")


PARSERS = {"markdown": check_markdown, "html": check_html,
           "markdownv2": lambda text: None}  # accepted unchecked (freqtrade's /logs, /tg_info)


# ---- a certificate authority and api.telegram.org's certificate ------------------------------

def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for api.telegram.org signed by it; returns the CA's
    PEM (for SSL_CERT_FILE), the server's certificate and its key."""
    now = dt.datetime.now(dt.UTC)
    valid = {"not_valid_before": now - dt.timedelta(days=1),
             "not_valid_after": now + dt.timedelta(days=30)}
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(_name("BOTPY test CA")).issuer_name(
        _name("BOTPY test CA")).public_key(ca_key.public_key()).serial_number(
        x509.random_serial_number()).not_valid_before(valid["not_valid_before"]).not_valid_after(
        valid["not_valid_after"])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256()))
    server = (x509.CertificateBuilder().subject_name(_name(API_HOST)).issuer_name(
        ca.subject).public_key(key.public_key()).serial_number(
        x509.random_serial_number()).not_valid_before(valid["not_valid_before"]).not_valid_after(
        valid["not_valid_after"])
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(API_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "telegram-ca.pem", folder / "api.telegram.org.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


# ---- the Bot API -----------------------------------------------------------------------------

@dataclass
class Sent:
    """One sendMessage call, accepted (`error` None) or refused with Telegram's description."""
    text: str
    parse_mode: str | None
    chat_id: str
    error: str | None = None


@dataclass
class BotApiState:
    token: str
    chat_id: str
    sent: list[Sent] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # every method called, in order
    refused_hosts: list[str] = field(default_factory=list)  # CONNECTs to anything but Telegram
    updates: list[dict] = field(default_factory=list)
    next_update_id: int = 1
    next_message_id: int = 1
    changed: threading.Condition = field(default_factory=threading.Condition)

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        with self.changed:
            self.calls.append(method)
            self.changed.notify_all()
        if method == "getMe":
            return ok({"id": 7000000001, "is_bot": True, "first_name": "BOTPY test",
                       "username": "botpy_test_bot", "can_join_groups": True,
                       "can_read_all_group_messages": False, "supports_inline_queries": False})
        if method == "deleteWebhook":
            if str(params.get("drop_pending_updates", "")).lower() == "true":
                with self.changed:
                    self.updates.clear()
            return ok(True)
        if method == "getUpdates":
            return ok(self.pending_updates(int(params.get("offset", 0) or 0),
                                           float(params.get("timeout", 0) or 0)))
        if method == "sendMessage":
            return self.send_message(params)
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def pending_updates(self, offset: int, timeout: float) -> list[dict]:
        """Telegram's long poll: an offset confirms every update below it."""
        deadline = time.monotonic() + min(timeout, LONG_POLL_CAP_S)
        with self.changed:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and (left := deadline - time.monotonic()) > 0:
                self.changed.wait(left)
            return list(self.updates)

    def send_message(self, params: dict) -> tuple[int, dict]:
        text, mode = params.get("text", ""), params.get("parse_mode")
        chat_id = str(params.get("chat_id", ""))
        error = None
        if chat_id != self.chat_id:
            error = "chat not found"
        elif not text.strip():
            error = "message text is empty"
        elif len(text) > MAX_TEXT:
            error = "message is too long"
        elif mode:
            try:
                PARSERS[mode.lower()](text)
            except KeyError:
                error = "unsupported parse_mode"
            except EntityError as parse_error:
                error = str(parse_error)
        with self.changed:
            self.sent.append(Sent(text, mode, chat_id, error))
            self.changed.notify_all()
            if error:
                return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            message_id, self.next_message_id = self.next_message_id, self.next_message_id + 1
        return ok({"message_id": message_id, "date": int(time.time()), "text": text,
                   "chat": {"id": int(chat_id), "type": "private", "first_name": "Trader"}})

    def queue_command(self, text: str) -> None:
        command = text.split()[0]
        with self.changed:
            chat = {"id": int(self.chat_id), "type": "private", "first_name": "Trader"}
            self.updates.append({"update_id": self.next_update_id, "message": {
                "message_id": self.next_message_id, "date": int(time.time()), "chat": chat,
                "from": {"id": int(self.chat_id), "is_bot": False, "first_name": "Trader"},
                "text": text,
                "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}]}})
            self.next_update_id += 1
            self.next_message_id += 1
            self.changed.notify_all()


def ok(result) -> tuple[int, dict]:
    return 200, {"ok": True, "result": result}


class BotApiHandler(http.server.BaseHTTPRequestHandler):
    """The Bot API inside the TLS tunnel: `POST /bot<token>/<method>`, form or JSON body."""
    protocol_version = "HTTP/1.1"
    state: BotApiState  # set on the subclass the tunnel builds

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0)).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(body or "{}")
        else:
            params = dict(parse_qsl(body))
        prefix, _, method = self.path.lstrip("/").partition("/")
        if prefix != f"bot{self.state.token}":
            self.reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        self.reply(*self.state.answer(method, params))

    do_GET = do_POST  # noqa: N815 (the Bot API accepts both)

    def reply(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002 (http.server's signature)
        pass


class TunnelHandler(http.server.BaseHTTPRequestHandler):
    """The proxy: `CONNECT api.telegram.org:443`, then TLS as api.telegram.org, then the Bot API
    on that connection. Any other host is refused (and recorded)."""
    rbufsize = 0  # nothing of the TLS handshake may stay in a read buffer
    tls: ssl.SSLContext
    api: type[BotApiHandler]

    def do_CONNECT(self) -> None:  # noqa: N802 (http.server's name)
        if self.path != f"{API_HOST}:443":
            self.api.state.refused_hosts.append(self.path)
            self.send_error(403, "the Telegram stub only tunnels to api.telegram.org")
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        try:
            connection = self.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.api(connection, self.client_address, self.server)
        except (ssl.SSLError, OSError):
            pass  # the bot closed its connection

    def log_message(self, format, *args) -> None:  # noqa: A002
        pass


class ThreadingProxy(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class TelegramStub:
    """Start with `with TelegramStub(folder, token, chat_id) as stub:`; start the bot with
    `stub.env()` in its environment."""

    def __init__(self, folder: Path, token: str, chat_id: str) -> None:
        self.ca_file, cert, key = make_certificates(folder)
        self.state = BotApiState(token, chat_id)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(cert, key)
        tls.set_alpn_protocols(["http/1.1"])
        api = type("StubBotApi", (BotApiHandler,), {"state": self.state})
        handler = type("StubTunnel", (TunnelHandler,), {"tls": tls, "api": api})
        self.server = ThreadingProxy(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TelegramStub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def env(self) -> dict[str, str]:
        """What a bot's process needs to reach this stub instead of api.telegram.org."""
        proxy = f"http://127.0.0.1:{self.port}"
        return {"HTTPS_PROXY": proxy, "https_proxy": proxy, "SSL_CERT_FILE": str(self.ca_file),
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def send_command(self, text: str) -> None:
        """A message from the configured chat, e.g. "/locks"."""
        self.state.queue_command(text)

    def polling(self) -> bool:
        """Whether the bot has asked for updates (its commands are listened to)."""
        return "getUpdates" in self.state.calls

    def wait_for(self, predicate, timeout: float, after: int = 0) -> Sent:
        """The first message from index `after` on for which `predicate(sent)` holds."""
        deadline = time.monotonic() + timeout
        with self.state.changed:
            while True:
                for sent in self.state.sent[after:]:
                    if predicate(sent):
                        return sent
                left = deadline - time.monotonic()
                if left <= 0:
                    texts = "\n---\n".join(f"[{s.error or 'ok'}] {s.text}"
                                           for s in self.state.sent[after:])
                    raise AssertionError(f"no such Telegram message within {timeout} s; "
                                         f"sent:\n{texts}")
                self.state.changed.wait(left)

    def count(self) -> int:
        with self.state.changed:
            return len(self.state.sent)
