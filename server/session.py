"""One page's bridge: everything its WebSocket created, and the socket's two loops.

The reader validates each call against the protocol and runs it in a task of its own,
started in arrival order; `resolve` looks up the call's target and every handle in its
params, the one place a handle becomes an object. The writer drains one queue, in the
order the server produced events and replies. What this gives the page (its calls in
order, a call's events before its reply, everything released when the socket closes) is
in docs/design.md, "Ordering" and "Lifetimes".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

from .dispatcher import Dispatcher, Params, start_call
from .dispatchers.session import SessionDispatcher
from .errors import (
    INTERNAL_ERROR_MESSAGE,
    BridgeError,
    BridgeTypeError,
    InvalidStateError,
    OperationError,
    is_deliberate,
    to_wire,
)
from .limits import DEFAULT_LIMITS, Limits
from .logs import short_handle
from .media.sources import MediaSources
from .network_policy import NetworkPolicy
from .protocol import PROTOCOL, MessageTooComplex, decode, encode
from .registry import Called, Emitted, Registry

logger = logging.getLogger(__name__)

Frame = str | bytes
SendFrame = Callable[[Frame], Awaitable[None]]
ReceiveFrame = Callable[[], Awaitable[Frame | None]]
CloseSocket = Callable[[int, str], Awaitable[None]]

# How long closing a page's peer connections may take once its socket is gone.
SHUTDOWN_TIMEOUT = 5.0
# The longest a lazy event (`send_event`) waits for a frame that wakes the writer.
LAZY_SECONDS = 0.005
# Frames that make a burst, which the writer lets grow for a loop turn (`_write`).
BURST_FRAMES = 3
# The most messages, and about the most characters, one batch frame holds (`_batched`).
BATCH_MESSAGES = 256
BATCH_CHARACTERS = 1 << 20


class Session:
    def __init__(
        self, registry: Registry, *, media_sources: MediaSources | None = None, strict: bool = False,
        network_policy: NetworkPolicy | None = None, limits: Limits = DEFAULT_LIMITS, origin: str | None = None,
        batched: bool = False,
    ) -> None:
        """`media_sources`: the devices getUserMedia offers this page (replaceable until
        the page asks); `strict` also validates what the server sends (tests turn it on);
        `network_policy`: what the page may make the server contact (default: the default);
        `origin`: the page's Origin header, which sessions per origin count; `batched`: the
        page reads batch frames (protocol.toml, "Framing")."""
        self.id = secrets.token_urlsafe(12)
        self.registry = registry
        self.media_sources = media_sources or MediaSources.default()
        self.network_policy = network_policy or NetworkPolicy()
        self.strict = strict
        self.limits = limits
        self.origin = origin
        self.batched = batched
        self.handles: dict[str, Dispatcher] = {}
        # Live objects per interface, for the limits on peer connections, channels, tracks.
        self.held: Counter[str] = Counter()
        # Objects made per interface over the session's life (its closing log line counts them).
        self.made: Counter[str] = Counter()
        self.closed = False
        self._opened_at = time.monotonic()
        # Frames for the page, in order, and their bytes; the writer sends them when woken.
        self._outgoing: deque[Frame] = deque()
        self._outgoing_bytes = 0
        self._wake_writer = asyncio.Event()
        self._lazy_timer: asyncio.TimerHandle | None = None  # wakes the writer for lazy frames
        self._dropping: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._close_socket: CloseSocket | None = None
        self._calls: set[asyncio.Task[None]] = set()
        self._uncancellable: set[asyncio.Task[Any]] = set()  # see `uncancellable`
        # New handles the calls in flight will give their objects (see `claim`).
        self._claimed: set[str] = set()
        self._in_flight = 0  # calls whose coroutine has not ended (see `_counted`)
        self._unstarted = 0  # calls whose task has not started yet (see `_start`)
        self.root = SessionDispatcher(self)

    # --- objects ---------------------------------------------------------------

    def register(self, dispatcher: Dispatcher) -> None:
        if dispatcher.guid in self.handles:
            raise BridgeTypeError(f"handle {dispatcher.guid} is already in use")
        self._claimed.discard(dispatcher.guid)
        self.handles[dispatcher.guid] = dispatcher
        self.held[dispatcher.interface] += 1
        self.made[dispatcher.interface] += 1
        self.registry.notify("created", dispatcher)

    def unregister(self, dispatcher: Dispatcher) -> None:
        if self.handles.pop(dispatcher.guid, None) is not None:
            self.held[dispatcher.interface] -= 1
        if dispatcher is not self.root:
            self.send_event(dispatcher, "__dispose__", {})
        self.registry.notify("disposed", dispatcher)

    def resolve(self, guid: str, interface: str | None = None) -> Dispatcher:
        """The live object called `guid` (an `interface`, when given): for a call's target,
        and for each `guid(Type)` of its params (`Protocol.resolve_call`). Unknown, gone or
        of another interface, it is the page's InvalidStateError."""
        target = self.handles.get(guid)
        if target is None or target.disposed or (interface is not None and target.interface != interface):
            raise InvalidStateError(f"{guid} does not exist (it was closed, or never made)")
        return target

    def claim(self, guid: str) -> None:
        """Hold a page's new handle for the call that makes its object: refused here, a
        handle in use or held by another call in flight costs no aiortc object (a made
        one could not be taken back: a data channel's id, a transceiver in the next offer)."""
        if guid in self.handles or guid in self._claimed:
            raise BridgeTypeError(f"handle {guid} is already in use")
        self._claimed.add(guid)

    def new_handle(self, interface: str) -> str:
        return f"{interface}@{secrets.token_urlsafe(16)}"

    # --- outgoing ------------------------------------------------------------------

    def send_event(
        self, target: Dispatcher, event: str, params: Params, payload: bytes | None = None, lazy: bool = False
    ) -> None:
        """`lazy`: the event takes its place in the order but does not wake the writer: it
        goes with the next frame that does (a reply, a message event), in its batch, or
        LAZY_SECONDS later; not in a frame and a socket write of its own."""
        if self.closed:
            return
        if self.strict:
            if event == "__create__":
                PROTOCOL.validate_initializer(params["type"], params["initializer"])
            elif event != "__dispose__":
                checked = params if payload is None else {**params, "data": payload}
                PROTOCOL.validate_event(target.interface, event, checked)
        message = {"guid": target.guid, "event": event, "params": params}
        try:
            frame = encode(message, payload)
        except ValueError:  # not JSON: a NaN or an Infinity
            logger.warning("session %s: %s.%s not sent: it is not JSON", self.id, target.guid, event, exc_info=True)
            return
        self._enqueue(frame, lazy)
        if self.registry.watched:
            self.registry.traffic(Emitted(target, event, params, payload))

    def _send_reply(
        self, call_id: Any, result: Params | None, error: BaseException | None, call: str = "a malformed message",
    ) -> None:
        """`call` (`PeerConnection@k3J9xQ.setRemoteDescription`) names, in the log, what failed."""
        if self.closed:
            return
        if error is None:
            message: dict[str, Any] = {"id": call_id, "result": result}
        else:
            message = {"id": call_id, "error": to_wire(error)}
            logger.info("session %s: %s failed: %s: %s", self.id, call, message["error"]["name"],
                        message["error"]["message"], extra={
                            "session": self.id, "call": call, "error_name": message["error"]["name"],
                            "error_message": message["error"]["message"]})
        try:
            frame = encode(message)
        except ValueError:  # a result that is not JSON: the call still gets its reply
            logger.warning("session %s: the reply to call %r is not JSON", self.id, call_id, exc_info=True)
            frame = encode({"id": call_id, "error": to_wire(OperationError(INTERNAL_ERROR_MESSAGE))})
        self._enqueue(frame)

    def _enqueue(self, frame: Frame, lazy: bool = False) -> None:
        """Queue a frame for the page (`lazy`: see `send_event`); a page whose backlog passes
        the limits is dropped."""
        if self._dropping is not None:
            return
        self._outgoing_bytes += len(frame)
        self._outgoing.append(frame)
        if len(self._outgoing) > self.limits.outgoing_messages:
            self._drop_page("outgoing_messages", f"{len(self._outgoing)} messages wait for the page")
        elif self._outgoing_bytes > self.limits.outgoing_bytes:
            self._drop_page("outgoing_bytes", f"{self._outgoing_bytes} bytes wait for the page")
        elif not lazy:
            self._wake_writer.set()
        elif self._lazy_timer is None and not self._wake_writer.is_set():
            self._lazy_timer = asyncio.get_running_loop().call_later(LAZY_SECONDS, self._wake_writer.set)

    def _drop_page(self, limit: str, backlog: str) -> None:
        """The page does not read its socket: forget its backlog and close the session."""
        reason = self.limits.exceeded(limit, f"{backlog}, which does not read them")
        logger.warning("session %s (origin %s) dropped: %s", self.id, self.origin, reason)
        self._outgoing.clear()
        self._outgoing_bytes = 0
        self._dropping = asyncio.ensure_future(self._drop(reason))

    async def _drop(self, reason: str) -> None:
        """Everything the page holds goes now. Its socket is closed too (1008), but the
        close frame waits behind what the page does not read (uvicorn waits until the
        socket is writable), so it goes when the page reads or its TCP connection dies."""
        if self._writer is not None:
            self._writer.cancel()
        await self.close()
        if self._close_socket is None:
            return
        try:
            # A WebSocket close reason holds at most 123 bytes.
            await self._close_socket(1008, reason.encode()[:123].decode(errors="ignore"))
        except Exception:  # the socket is gone already
            logger.debug("session %s: closing its socket failed", self.id, exc_info=True)

    def clock(self) -> float:
        """Seconds since the session opened: the timeline of its WebM playback streams."""
        return time.monotonic() - self._opened_at

    def backlog(self) -> int:
        """Messages waiting for the page's socket."""
        return len(self._outgoing)

    # --- incoming ------------------------------------------------------------------

    def messages_of(self, frame: Frame) -> list[Any]:
        """The messages one frame from the page holds: a batch's (a JSON array, from a page
        that offered "rtcshim-batch") in order, or the one; a frame that does not parse is
        answered here, as a malformed call, and holds none."""
        try:
            message = decode(frame, (self.limits.json_depth, self.limits.json_values))
        except ValueError as error:  # malformed JSON or UTF-8
            self._send_reply(None, None, BridgeTypeError(f"malformed message: {error}"))
            return []
        except MessageTooComplex as error:
            if error.shape.depth > self.limits.json_depth:
                refused = self.limits.exceeded("json_depth", "the message nests too deep")
            else:
                refused = self.limits.exceeded("json_values", f"the message holds {error.shape.values} values")
            self._send_reply(error.call_id, None, BridgeTypeError(refused))
            return []
        except BridgeError as error:
            self._send_reply(None, None, error)
            return []
        return message if self.batched and isinstance(message, list) else [message]

    def receive(self, message: Any) -> None:
        """Start the call one message from the page carries.

        Calls run in tasks, which start in the order they were made; the handles are
        looked up inside the task, so a call may use an object the previous call created.
        """
        if self.closed:  # dropped (the outgoing limits) while its socket stays open
            return
        call_id: Any = None
        try:
            if not isinstance(message, dict):
                raise BridgeTypeError("a message must be a JSON object")
            if "id" not in message and isinstance(message.get("guid"), str) and isinstance(message.get("method"), str):
                self._receive_unanswered(message["guid"], message["method"], message.get("params", {}))
                return
            call_id = message.get("id")
            if isinstance(call_id, bool) or not isinstance(call_id, int):
                call_id = None
                raise BridgeTypeError("a call needs an integer id")
            guid, method = message.get("guid"), message.get("method")
            if not isinstance(guid, str) or not isinstance(method, str):
                raise BridgeTypeError("a call needs a string guid and method")
        except BridgeError as error:
            self._send_reply(call_id, None, error)
            return
        if self._in_flight >= self.limits.calls_in_flight:
            too_many = self.limits.exceeded("calls_in_flight", f"{self._in_flight} calls of this page are running")
            self._send_reply(call_id, None, OperationError(too_many))
            return
        params = message.get("params", {})
        self._in_flight += 1
        self._start(self._counted(call_id, guid, method, params))

    def _start(self, call: Coroutine[Any, Any, None]) -> None:
        """Run `call` in a task of its own, after the calls whose tasks have not started yet."""
        self._unstarted += 1
        task = asyncio.create_task(call)
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    async def _counted(self, call_id: int, guid: str, method: str, params: Any) -> None:
        """A call, counted in flight until it ends (its task's done callbacks, which empty
        `_calls`, run a turn later: too late for the next frame's count)."""
        self._unstarted -= 1
        try:
            await self._run_call(call_id, guid, method, params)
        finally:
            self._in_flight -= 1

    def _receive_unanswered(self, guid: str, method: str, params: Any) -> None:
        """A call without an id: a command that allows it (protocol.toml, `reply = false`)
        runs now, without a task or a reply (but after the calls whose tasks have not started:
        calls start in arrival order); any other is refused as a call without its id."""
        interface = PROTOCOL.interfaces.get(guid.partition("@")[0])
        command = interface.commands.get(method) if interface is not None else None
        if command is None or command.reply:
            self._send_reply(None, None, BridgeTypeError("a call needs an integer id"))
        elif self._unstarted:
            self._start(self._started_unanswered(guid, method, params))
        else:
            self._run_unanswered(guid, method, params)

    async def _started_unanswered(self, guid: str, method: str, params: Any) -> None:
        self._unstarted -= 1
        self._run_unanswered(guid, method, params)

    def _run_unanswered(self, guid: str, method: str, params: Any) -> None:
        target = self.handles.get(guid)
        if target is None or target.disposed:
            # Closed meanwhile: the page hears that from its events (close, __dispose__).
            logger.debug("session %s: %s.%s for an object gone, dropped", self.id, guid, method)
            return
        sent = params
        try:
            params = PROTOCOL.resolve_call(target.interface, method, params, self.resolve)
            target.unanswered[method](params)
        except Exception as error:
            # The page's failure events are the handler's to emit; this reply (id null, as a
            # malformed call's) tells a client that sent a call it should not have.
            self._call_failed(None, target, guid, method, sent, error)
        else:
            if self.registry.watched:
                self.registry.traffic(Called(target, method, sent, {}, None))

    async def _run_call(self, call_id: int, guid: str, method: str, params: Any) -> None:
        replied = start_call()
        claimed: list[str] = []

        def claim(new_guid: str) -> None:
            self.claim(new_guid)
            claimed.append(new_guid)

        target: Dispatcher | None = None
        sent = params
        try:
            target = self.resolve(guid)
            params = PROTOCOL.resolve_call(target.interface, method, params, self.resolve, claim)
            result = await target.commands[method](params)
            if self.strict:
                PROTOCOL.validate_result(target.interface, method, result)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._call_failed(call_id, target, guid, method, sent, error)
        else:
            self._send_reply(call_id, result, None)
            if self.registry.watched:
                self.registry.traffic(Called(target, method, sent, result, None))
        finally:
            # A handle the call claimed but made no object for (it failed) is free again.
            self._claimed.difference_update(claimed)
        for callback in replied:
            callback()

    def _call_failed(
        self, call_id: int | None, target: Dispatcher | None, guid: str, method: str, sent: Any, error: Exception,
    ) -> None:
        """A call that raised `error`: logged, answered, and shown to whoever watches traffic."""
        if not isinstance(error, BridgeError):
            # What the page sees of it is in errors.to_wire; the whole of it is here.
            level = logging.DEBUG if is_deliberate(error) else logging.WARNING
            logger.log(level, "session %s: %s.%s failed", self.id, guid, method, exc_info=error)
        self._send_reply(call_id, None, error, f"{short_handle(guid)}.{method}")
        if target is not None and self.registry.watched:
            self.registry.traffic(Called(target, method, sent, None, to_wire(error)))

    @contextlib.contextmanager
    def uncancellable(self) -> Iterator[None]:
        """While inside, `close` lets the current call run on rather than cancel it (for
        aiortc work that a cancellation would leave with sockets open)."""
        task = asyncio.current_task()
        assert task is not None
        self._uncancellable.add(task)
        try:
            yield
        finally:
            self._uncancellable.discard(task)

    # --- the socket ----------------------------------------------------------------

    async def serve(self, receive: ReceiveFrame, send: SendFrame, close_socket: CloseSocket | None = None) -> None:
        """Run until the page's socket closes, then release everything. `close_socket(code,
        reason)` drops a page that stops reading (the outgoing limits)."""
        self.registry.session_opened(self)
        logger.info("session %s opened (origin %s)", self.id, self.origin,
                    extra={"session": self.id, "origin": self.origin})
        self._close_socket = close_socket
        self._writer = writer = asyncio.create_task(self._write(send))
        self.send_event(self.root, "hello", {"version": PROTOCOL.version, "session": self.id})
        # Before any call is read: whatever the page's first call, the spare is there by its reply.
        self.root.offer_spare_certificate()
        try:
            while (frame := await receive()) is not None:
                for message in self.messages_of(frame):
                    if self._in_flight >= self.limits.calls_in_flight:
                        # Frames already buffered are read without a pause: let the calls
                        # that could finish do so before the next one is refused.
                        await asyncio.sleep(0)
                    self.receive(message)
        finally:
            writer.cancel()
            # Shielded: even if the server cancels this connection's task, the page's
            # peer connections are still closed.
            await asyncio.shield(asyncio.ensure_future(self.close()))

    async def _write(self, send: SendFrame) -> None:
        while True:  # until cancelled
            await self._wake_writer.wait()
            self._wake_writer.clear()
            if self._lazy_timer is not None:
                self._lazy_timer.cancel()
                self._lazy_timer = None
            if self.batched and len(self._outgoing) >= BURST_FRAMES:
                # A burst (a packet's messages): what the loop's next turn adds joins its batch.
                await asyncio.sleep(0)
            while self._outgoing:
                for ready in self._batched() if self.batched else (self._take(),):
                    try:
                        await send(ready)
                    except Exception:  # one frame lost, logged; the page's later frames still go
                        logger.warning("session %s: a frame could not be sent", self.id, exc_info=True)

    def _take(self) -> Frame:
        frame = self._outgoing.popleft()
        self._outgoing_bytes -= len(frame)
        return frame

    def _batched(self) -> list[Frame]:
        """The frames queued, oldest first, each run of text frames joined into one batch
        frame (a JSON array; one alone stays as it is): a socket write and a page task for
        several messages. A binary frame goes in its place, on its own."""
        ready: list[Frame] = []
        texts: list[str] = []
        characters = 0
        while self._outgoing and len(texts) < BATCH_MESSAGES and characters < BATCH_CHARACTERS:
            frame = self._take()
            if isinstance(frame, str):
                texts.append(frame)
                characters += len(frame)
            else:
                ready.extend(_joined(texts))
                ready.append(frame)
                texts = []
        ready.extend(_joined(texts))
        return ready

    async def close(self) -> None:
        """Close every peer connection of this page and forget every object.

        Whatever fails on the way is logged and the rest still closes: the session always
        leaves the registry (a dispatcher's own failures are its `shutdown`'s to contain).
        """
        if self.closed:
            return
        self.closed = True
        if self._lazy_timer is not None:
            self._lazy_timer.cancel()
        try:
            # The calls first: none may go on using what is closed next. One inside aiortc
            # work that must not be cut short (`uncancellable`) is let finish.
            for task in list(self._calls):
                if task not in self._uncancellable:
                    task.cancel()
            if self._calls:
                _, unfinished = await asyncio.wait(self._calls, timeout=SHUTDOWN_TIMEOUT)
                if unfinished:
                    logger.warning("session %s: %d calls still running at close", self.id, len(unfinished))
            try:
                await asyncio.wait_for(self.root.shutdown(), SHUTDOWN_TIMEOUT)
            except TimeoutError:
                logger.warning("session %s: closing its peer connections timed out", self.id)
            except Exception:
                logger.warning("session %s: closing its objects failed", self.id, exc_info=True)
            self.root.dispose()
        finally:
            self.handles.clear()
            self.registry.session_closed(self)
            lasted, peer_connections = self.clock(), self.made["PeerConnection"]
            logger.info("session %s closed after %.1f s (origin %s, peer connections made: %d)", self.id, lasted,
                        self.origin, peer_connections, extra={
                            "session": self.id, "origin": self.origin, "duration_s": round(lasted, 3),
                            "peer_connections": peer_connections})


def _joined(texts: list[str]) -> list[str]:
    """Text frames as the one frame that carries them: a batch (JSON array), or the one alone."""
    if len(texts) < 2:
        return texts
    return ["[" + ",".join(texts) + "]"]
