"""A local stand-in for a Slack incoming webhook that checks Block Kit the way Slack does.

It listens on 127.0.0.1 only, on a port the system picks. A POST to ``/services/...``
whose JSON body Slack would accept is answered ``200 ok``; anything else gets the answer
Slack gives (``400 invalid_payload``, ``400 no_text``, ``400 invalid_blocks``,
``404 no_service``), and the reasons are kept in ``rejections`` so a test can show them.

Only the block types a pipeline message needs are known (header, section, context,
actions with buttons, divider); any other type is refused rather than waved through.
The limits are Slack's published Block Kit limits:
https://api.slack.com/reference/block-kit/blocks
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.background import serving

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
MAX_ID = 255
MAX_VALUE = 2000


def _text_object(value: Any, where: str, *, max_length: int, plain_only: bool = False) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: must be a text object"]
    kind = value.get("type")
    allowed_kinds = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if kind not in allowed_kinds:
        return [f"{where}.type: must be one of {sorted(allowed_kinds)}, not {kind!r}"]
    allowed_keys = {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}
    errors = [f"{where}: unknown property {key!r}" for key in sorted(set(value) - allowed_keys)]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"{where}.text: must be a non-empty string")
    elif len(text) > max_length:
        errors.append(f"{where}.text: {len(text)} characters, more than {max_length}")
    for flag in ("emoji", "verbatim"):
        if flag in value and not isinstance(value[flag], bool):
            errors.append(f"{where}.{flag}: must be a boolean")
    return errors


def _button(element: dict[str, Any], where: str) -> list[str]:
    allowed = {"type", "text", "action_id", "url", "value", "style", "confirm", "accessibility_label"}
    errors = [f"{where}: unknown property {key!r}" for key in sorted(set(element) - allowed)]
    errors += _text_object(element.get("text"), f"{where}.text", max_length=MAX_BUTTON_TEXT, plain_only=True)
    if "url" in element:
        url = element["url"]
        parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in {"http", "https"} or not parsed.netloc:
            errors.append(f"{where}.url: must be an http(s) URL, not {url!r}")
        elif len(url) > MAX_URL:
            errors.append(f"{where}.url: longer than {MAX_URL} characters")
    if "action_id" in element and not (
        isinstance(element["action_id"], str) and 0 < len(element["action_id"]) <= MAX_ID
    ):
        errors.append(f"{where}.action_id: must be 1-{MAX_ID} characters")
    if "value" in element and not (
        isinstance(element["value"], str) and 0 < len(element["value"]) <= MAX_VALUE
    ):
        errors.append(f"{where}.value: must be 1-{MAX_VALUE} characters")
    if "style" in element and element["style"] not in {"primary", "danger"}:
        errors.append(f"{where}.style: must be 'primary' or 'danger'")
    return errors


def _elements(block: dict[str, Any], where: str, maximum: int) -> list[Any] | str:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return f"{where}.elements: must be a non-empty array"
    if len(elements) > maximum:
        return f"{where}.elements: {len(elements)} items, more than {maximum}"
    return elements


def _block(block: Any, where: str) -> list[str]:
    if not isinstance(block, dict):
        return [f"{where}: must be an object"]
    kind = block.get("type")
    allowed: dict[str, set[str]] = {
        "header": {"type", "text", "block_id"},
        "section": {"type", "text", "fields", "accessory", "block_id", "expand"},
        "context": {"type", "elements", "block_id"},
        "actions": {"type", "elements", "block_id"},
        "divider": {"type", "block_id"},
    }
    if kind not in allowed:
        return [f"{where}.type: {kind!r} is not a block type this receiver knows"]
    errors = [f"{where}: unknown property {key!r}" for key in sorted(set(block) - allowed[kind])]
    if "block_id" in block and not (
        isinstance(block["block_id"], str) and 0 < len(block["block_id"]) <= MAX_ID
    ):
        errors.append(f"{where}.block_id: must be 1-{MAX_ID} characters")

    if kind == "header":
        errors += _text_object(
            block.get("text"), f"{where}.text", max_length=MAX_HEADER_TEXT, plain_only=True
        )
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"{where}: needs text or fields")
        if "text" in block:
            errors += _text_object(block["text"], f"{where}.text", max_length=MAX_TEXT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                errors.append(f"{where}.fields: must be a non-empty array")
            elif len(fields) > MAX_FIELDS:
                errors.append(f"{where}.fields: {len(fields)} items, more than {MAX_FIELDS}")
            else:
                for index, item in enumerate(fields):
                    errors += _text_object(item, f"{where}.fields[{index}]", max_length=MAX_FIELD_TEXT)
        if "accessory" in block:
            errors.append(f"{where}.accessory: not supported by this receiver")
    elif kind == "context":
        elements = _elements(block, where, MAX_CONTEXT_ELEMENTS)
        if isinstance(elements, str):
            errors.append(elements)
        else:
            for index, element in enumerate(elements):
                errors += _text_object(element, f"{where}.elements[{index}]", max_length=MAX_TEXT)
    elif kind == "actions":
        elements = _elements(block, where, MAX_ACTIONS_ELEMENTS)
        if isinstance(elements, str):
            errors.append(elements)
        else:
            for index, element in enumerate(elements):
                at = f"{where}.elements[{index}]"
                if not isinstance(element, dict) or element.get("type") != "button":
                    errors.append(f"{at}: only buttons are supported by this receiver")
                else:
                    errors += _button(element, at)
    return errors


def check_message(payload: Any) -> tuple[str, list[str]]:
    """Slack's answer for a decoded incoming-webhook body: ("ok", []) or (error code, reasons)."""
    if not isinstance(payload, dict):
        return "invalid_payload", ["the body must be a JSON object"]
    text, blocks = payload.get("text"), payload.get("blocks")
    if text is not None and not isinstance(text, str):
        return "invalid_payload", ["text: must be a string"]
    if blocks is not None and not isinstance(blocks, list):
        return "invalid_blocks", ["blocks: must be an array"]
    if not text and not blocks:
        return "no_text", ["neither text nor blocks"]
    errors: list[str] = []
    if blocks:
        if len(blocks) > MAX_BLOCKS:
            errors.append(f"blocks: {len(blocks)} items, more than {MAX_BLOCKS}")
        for index, block in enumerate(blocks):
            errors += _block(block, f"blocks[{index}]")
    return ("invalid_blocks", errors) if errors else ("ok", [])


@dataclass
class SlackWebhook:
    """What the stand-in saw; `url` is set while it is serving."""

    url: str = ""
    received: list[Any] = field(default_factory=list)
    rejections: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answer(self, path: str, content_type: str, raw: bytes) -> tuple[int, str]:
        if not path.startswith("/services/"):
            return self._reject(404, "no_service", [f"no webhook at {path}"])
        if content_type.split(";")[0].strip().lower() != "application/json":
            return self._reject(400, "invalid_payload", [f"Content-Type {content_type!r}"])
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return self._reject(400, "invalid_payload", [f"not JSON: {error}"])
        code, reasons = check_message(payload)
        if code != "ok":
            return self._reject(400, code, reasons)
        with self.lock:
            self.received.append(payload)
        return 200, "ok"

    def _reject(self, status: int, code: str, reasons: list[str]) -> tuple[int, str]:
        with self.lock:
            self.rejections.append((code, reasons))
        return status, code


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, body = self.server.webhook.answer(self.path, self.headers.get("Content-Type", ""), raw)
        encoded = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(encoded)))
        self.end_headers()
        self.wfile.write(encoded)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `received` and `rejections`."""


class _Server(ThreadingHTTPServer):
    webhook: SlackWebhook


@contextmanager
def slack_webhook() -> Iterator[SlackWebhook]:
    """Serve a fresh stand-in on a free 127.0.0.1 port for the duration of the block."""
    webhook = SlackWebhook()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.webhook = webhook
    with serving(server, "slack-webhook") as port:
        webhook.url = f"http://127.0.0.1:{port}/services/T00000000/B00000000/XXXXXXXX"
        yield webhook


__all__ = ["SlackWebhook", "check_message", "slack_webhook"]
