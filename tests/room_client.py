"""A participant's laptop without a browser: one Bokeh websocket session of the workshop page.

Bokeh's own `bokeh.client` drops the server's document patches while it waits for a reply, so
the load test speaks the protocol itself (`bokeh.protocol`) over tornado's websocket client:
open a session, pull its document, move a slider as the browser does (``value_throttled``) and
wait for the page's answer (the footer's command shows the new setting). Many sessions share
one asyncio loop, so twenty of them really are open at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bokeh.client.websocket import WebSocketClientConnectionWrapper
from bokeh.document import Document
from bokeh.protocol import Protocol
from bokeh.protocol.receiver import Receiver
from bokeh.util.token import generate_jwt_token, generate_session_id
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


class RoomSession:
    """One session of the page, as a browser tab holds it (open with `RoomSession.open`)."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.writer = WebSocketClientConnectionWrapper(socket)
        self.protocol = Protocol()
        self.receiver = Receiver(self.protocol)
        self.document = Document()
        self.sent: list[Any] = []

    @classmethod
    async def open(cls, page_url: str, origin: str | None = None) -> RoomSession:
        """Connect to the page at `page_url` (``http://host:port/``) and pull its document.

        `origin` is the ``Origin`` header a browser would send (the page that opens the websocket);
        None sends none, as a program does.

        Raises:
            tornado.httpclient.HTTPClientError: if the server refuses the websocket (403 for an origin).
        """
        ws_url = page_url.replace("http://", "ws://").rstrip("/") + "/ws"
        token = generate_jwt_token(generate_session_id())
        request = HTTPRequest(ws_url, headers={"Origin": origin} if origin else {})
        socket = await websocket_connect(request, subprotocols=["bokeh", token], max_message_size=100 * 2**20)
        session = cls(socket)
        ack = await session._receive()
        assert ack.msgtype == "ACK", ack.msgtype
        await session._send(session.protocol.create("PULL-DOC-REQ"))
        reply = await session._receive()
        assert reply.msgtype == "PULL-DOC-REPLY", reply.msgtype
        reply.push_to_document(session.document)
        session.document.on_change(lambda event: session.sent.append(event))
        return session

    def model(self, css: str) -> Any:
        """The page's model with the CSS class `css` (e.g. ``tt-delay``)."""
        return next(m for m in self.document.models if css in (getattr(m, "css_classes", None) or []))

    def command(self) -> str:
        """The footer's `tabletop run` command (what the page is showing)."""
        text = self.model("tt-footer").text
        return text.split("data-testid='command'>", 1)[1].split("</code>", 1)[0]

    async def move_slider(self, css: str, value: float, expect: str, timeout: float = 10.0) -> float:
        """Release slider `css` at `value`; wait until `expect` is a word of the command. Returns seconds."""
        started = time.perf_counter()
        self.model(css).set_from_json("value_throttled", value)  # what the browser sends on release
        events, self.sent[:] = list(self.sent), []
        await self._send(self.protocol.create("PATCH-DOC", events))
        while expect not in self.command().split():
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"no answer in {timeout} s: {self.command()}")
            message = await self._receive()
            if message.msgtype == "PATCH-DOC":
                message.apply_to_document(self.document, self)
        return time.perf_counter() - started

    async def send_value(self, css: str, attr: str, value: Any) -> None:
        """Set property `attr` of the model with CSS class `css` to `value`, as a crafted message would."""
        self.model(css).set_from_json(attr, value)
        events, self.sent[:] = list(self.sent), []
        await self._send(self.protocol.create("PATCH-DOC", events))

    async def wait_for(self, done: Any, timeout: float = 10.0) -> bool:
        """Apply the server's patches until `done()` is true; False if it is not within `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while not done():
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            try:
                message = await asyncio.wait_for(self._receive(), left)
            except TimeoutError:
                return False
            if message.msgtype == "PATCH-DOC":
                message.apply_to_document(self.document, self)
        return True

    def close(self) -> None:
        """Close the websocket, as closing the tab does."""
        self.socket.close()

    async def _send(self, message: Any) -> None:
        await message.send(self.writer)

    async def _receive(self) -> Any:
        while True:
            fragment = await self.socket.read_message()
            if fragment is None:
                raise ConnectionError("the server closed the session")
            message = await self.receiver.consume(fragment)
            if message is not None:
                return message
