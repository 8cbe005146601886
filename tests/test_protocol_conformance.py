"""shim.js and the server's dispatchers follow protocol.toml: nothing more, nothing less."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

from aiortc import RTCConfiguration

from rtcshim.dispatcher import Dispatcher
from rtcshim.dispatchers.certificate import CertificateDispatcher, generate
from rtcshim.dispatchers.data_channel import DataChannelDispatcher
from rtcshim.dispatchers.dtls_transport import DtlsTransportDispatcher
from rtcshim.dispatchers.dtmf_sender import DtmfSenderDispatcher
from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.dispatchers.sctp_transport import SctpTransportDispatcher
from rtcshim.protocol import PROTOCOL
from rtcshim.registry import Registry
from rtcshim.serving import ServerThread
from rtcshim.session import Session

from .fake_page import CONFIGURATION

REPO = Path(__file__).resolve().parent.parent
SHIM = (REPO / "shim.js").read_text()
PROTOCOL_TEXT = (REPO / "server" / "protocol.toml").read_text()
POINTER = re.compile(r"^# server: (\S+) · page: shim\.js class (\w+)$", re.M)


def shim_commands() -> set[str]:
    """Every command name shim.js passes to the bridge's call() or notify() (a peer
    connection's through its #call or #callAfterThisTask)."""
    return set(re.findall(r"(?:#call\(|#callAfterThisTask\(|\[CALL\]\(|\.(?:call|notify)\([^,()]+,\s*)'(\w+)'", SHIM))


def shim_event_handlers() -> dict[str, set[str]]:
    """Each interface's [EVENTS] table in shim.js, by the comment that names it."""
    tables = re.findall(
        r"\(protocol\.toml: (\w+) events\)\.\n\s*\[EVENTS\] = \{(?:\};|\n(.*?)\n    \};)", SHIM, re.S)
    return {interface: set(re.findall(r"^      (\w+): \(", body, re.M)) for interface, body in tables}


def test_shim_calls_exactly_the_protocol_commands() -> None:
    declared = {name for interface in PROTOCOL.interfaces.values() for name in interface.commands}
    assert shim_commands() == declared


def test_shim_handles_exactly_the_protocol_events() -> None:
    declared = {name: set(interface.events) for name, interface in PROTOCOL.interfaces.items()}
    assert shim_event_handlers() == declared


def test_dispatchers_implement_exactly_the_protocol_commands(server: ServerThread) -> None:
    async def command_tables() -> dict[str, tuple[set[str], set[str]]]:
        session = Session(Registry())
        peer_connection = PeerConnectionDispatcher(
            session, "PeerConnection@" + "p" * 24, session.root, CONFIGURATION, RTCConfiguration(iceServers=[]))
        data_channel = DataChannelDispatcher(
            session, "DataChannel@" + "d" * 24, peer_connection,
            peer_connection.peer_connection.createDataChannel("x"))
        transceiver = peer_connection._adopt(peer_connection.peer_connection.addTransceiver("audio"))
        certificate = CertificateDispatcher(
            session, "Certificate@" + "c" * 24, session.root, generate({"name": "ECDSA", "namedCurve": "P-256"}))
        dtls_transport = DtlsTransportDispatcher(peer_connection, transceiver.transceiver.sender.transport, "0")
        sctp_transport = SctpTransportDispatcher(peer_connection, peer_connection.peer_connection.sctp, dtls_transport)
        dtmf_sender = DtmfSenderDispatcher(session, "DtmfSender@" + "t" * 24, transceiver)
        dispatchers: list[Dispatcher] = [
            session.root, peer_connection, data_channel, transceiver, transceiver.receiver_track,
            dtls_transport, sctp_transport, dtmf_sender, certificate]
        # Read before shutdown: a disposed object drops its table (Dispatcher.dispose).
        tables = {dispatcher.interface: (set(dispatcher.commands), set(dispatcher.unanswered))
                  for dispatcher in dispatchers}
        await peer_connection.shutdown()
        return tables

    # aiortc objects need an event loop: the test server's.
    tables = server.run(command_tables())
    assert tables == {
        name: (set(interface.commands), {command for command, body in interface.commands.items() if not body.reply})
        for name, interface in PROTOCOL.interfaces.items()}


def protocol_pointers() -> dict[str, tuple[str, str]]:
    """Each interface's pointer line in protocol.toml: (server module, shim.js class), by
    the interface whose first [interfaces.X…] section follows the line."""
    pointers: dict[str, tuple[str, str]] = {}
    for pointer in POINTER.finditer(PROTOCOL_TEXT):
        section = re.compile(r"^\[interfaces\.(\w+)[.\]]", re.M).search(PROTOCOL_TEXT, pointer.end())
        assert section is not None, f"{pointer.group(0)!r} is followed by no interface"
        assert section.group(1) not in pointers, f"{section.group(1)} has two pointers"
        pointers[section.group(1)] = (pointer.group(1), pointer.group(2))
    return pointers


def shim_class_holding_events(interface: str) -> str | None:
    """The shim.js class whose body holds `interface`'s [EVENTS] table: the last class
    declared before the table's comment."""
    comment = SHIM.find(f"(protocol.toml: {interface} events)")
    classes = re.findall(r"\bclass (\w+)\b", SHIM[:comment]) if comment >= 0 else []
    return classes[-1] if classes else None


def test_every_interface_points_to_its_dispatcher_module_and_shim_class() -> None:
    pointers = protocol_pointers()
    assert set(pointers) == set(PROTOCOL.interfaces)
    for interface, (module_path, shim_class) in pointers.items():
        assert (REPO / "server" / module_path).is_file(), f"{interface}: no server/{module_path}"
        module = importlib.import_module("rtcshim." + module_path.removesuffix(".py").replace("/", "."))
        served = [cls.interface for cls in vars(module).values()
                  if inspect.isclass(cls) and issubclass(cls, Dispatcher) and cls.__module__ == module.__name__]
        assert served == [interface], f"{module_path} serves {served}, not {interface}"
        assert module_path == f"dispatchers/{re.sub(r'(?<!^)(?=[A-Z])', '_', interface).lower()}.py", (
            f"{interface}'s module is not named after it")
        assert re.search(rf"\bclass {shim_class}\b", SHIM), f"{interface}: shim.js has no class {shim_class}"
        assert shim_class_holding_events(interface) == shim_class, (
            f"{interface}'s [EVENTS] table is not in shim.js class {shim_class}")
