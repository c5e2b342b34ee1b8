"""Refuse oversized uploads while they arrive, before they fill memory or disk."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartalbum.errors import UploadTooLargeError, error_body
from smartalbum.i18n import negotiate, t


class _TooLarge(Exception):
    pass


class UploadLimitMiddleware:
    """413 when Content-Length says too much, or as soon as the streamed body passes it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        lang = negotiate(headers.get(b"accept-language", b"").decode("latin-1"))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, lang)
            return
        await self._counted(scope, receive, send, lang)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, lang: str) -> None:
        """Pass the request on, counting its body; refuse it once it passes the limit."""
        seen = 0
        exceeded = started = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may turn our interruption into its own error response
            # ("error parsing the body"); whatever it answers, the client gets the 413.
            nonlocal started
            if exceeded:
                if not started:
                    started = True
                    await self._refuse(send, lang)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, lang)

    async def _refuse(self, send: Send, lang: str) -> None:
        limit_mb = self.max_bytes / (1024 * 1024)
        error = UploadTooLargeError(
            t("upload is larger than the {limit:g} MB limit", limit=limit_mb)
        )
        body = json.dumps(error_body(error, lang), ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": error.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
