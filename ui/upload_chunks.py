"""Uploads reach Streamlit's upload handler in chunks of a few megabytes, not of the socket's
64 KiB.

Streamlit 1.67 parses an upload with Starlette's multipart parser, one step per body chunk, and
once the file is spooled to disk each step hands its write to a worker thread and back. A 1 GB
upload arrives in ~16,000 chunks from the socket: those steps held the GIL 43 % of the time of
the transfer (py-spy, 200 Hz, at 1 Gbit/s), and every other user's page waited for it (issue
28's load test). :class:`CoalescedUploadMiddleware` joins the body of an upload request into
chunks of :data:`CHUNK` bytes before the handler sees them, so the same bytes take ~250 steps.
The bytes, their order and the end of the body are unchanged; only upload requests are touched.
"""

from __future__ import annotations

UPLOAD_PREFIX = "/_stcore/upload_file/"
CHUNK = 4 * 2**20


class CoalescedUploadMiddleware:
    """Pure ASGI middleware: an upload's ``http.request`` messages joined to ``CHUNK`` bytes."""

    def __init__(self, app, chunk: int = CHUNK):
        self.app, self.chunk = app, chunk

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith(UPLOAD_PREFIX):
            return await self.app(scope, receive, send)
        pending = []  # a message read past the joined body (a disconnect), handed out next

        async def joined_receive():
            if pending:
                return pending.pop()
            parts, size = [], 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    if not parts:
                        return message
                    pending.append(message)  # a disconnect mid-body: the bytes so far first
                    return {"type": "http.request", "body": b"".join(parts), "more_body": True}
                body = message.get("body", b"")
                if body:
                    parts.append(body)
                    size += len(body)
                more = message.get("more_body", False)
                if not more or size >= self.chunk:
                    return {"type": "http.request", "body": b"".join(parts), "more_body": more}

        return await self.app(scope, joined_receive, send)
