"""A chat room: socket ``chat``, with an authorizer and tracked connections.

Join with ``ws://HOST:PORT/__ws/chat?name=<display name>&key=<chat key>``. The key is the
``CHAT_KEY`` environment variable, ``let-me-in`` when unset. That is a demo rule, not security:
anyone who knows the key joins under any name. No name or no key: 401; a wrong key: 403.

Send ``{"text": "..."}``: everyone connected receives ``{"from": <name>, "text": "..."}``, the
sender included, so every client shows the room's messages in the one order it got them.
Anything else is answered, to the sender only, with ``{"error": ...}``.

Try it: ``eventual local --entry examples.chat``.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

from typing_extensions import TypedDict  # typing's, from Python 3.12 on

from eventual import ConnectRequest, Context, Forbidden, MessageRequest, Unauthorized, socket

DEMO_KEY = "let-me-in"
"""The key when ``CHAT_KEY`` is not set."""
MAX_NAME = 32
MAX_TEXT = 4000

ChatLine = TypedDict("ChatLine", {"from": str, "text": str})
"""What everyone in the room receives (a functional TypedDict: ``from`` is a keyword)."""


def check_key(request: ConnectRequest) -> dict[str, str]:
    """The authorizer: the display name becomes the identity every later event carries."""
    name = request.query.get("name", "").strip()[:MAX_NAME]
    key = request.query.get("key", "")
    if not name or not key:
        raise Unauthorized("join with ?name=<display name>&key=<chat key>")
    if not hmac.compare_digest(key.encode(), os.environ.get("CHAT_KEY", DEMO_KEY).encode()):
        raise Forbidden("wrong chat key")
    return {"principalId": name, "name": name}


def post(request: MessageRequest, context: Context) -> Any:
    """``{"text": ...}`` goes to everyone in the room, signed with the sender's name."""
    try:
        message = json.loads(request.body)
    except ValueError:
        message = None
    text = message.get("text") if isinstance(message, dict) else None
    if not isinstance(text, str) or not text.strip():
        return {"error": 'send {"text": "..."}'}
    if len(text) > MAX_TEXT:
        return {"error": f"a message is at most {MAX_TEXT} characters"}
    name = (request.identity or {}).get("name", "someone")
    chat.broadcast({"from": name, "text": text})
    return None


chat = socket("chat", {"$default": post}, authorizer=check_key, track_connections=True, pushes=[ChatLine])
