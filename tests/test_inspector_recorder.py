"""The inspector's Recorder and InspectorFeed on in-process pages (no server, no browser):
what they keep from the registry's feeds, their bounds, and that nothing is watched while
no inspector is open."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rtcshim import Registry
from rtcshim.inspector import feed as inspector_feed
from rtcshim.inspector import recorder as inspector_recorder
from rtcshim.inspector import records
from rtcshim.inspector.feed import InspectorFeed
from rtcshim.inspector.recorder import Recorder
from rtcshim.session import Session

from .event_loop import run
from .fake_page import DATA_CHANNEL_INIT, InProcessPage, new_handle

ORIGIN = "http://127.0.0.1:9"
NO_SELECTOR = {"transceiver": None, "side": None}


def recording() -> tuple[Registry, Recorder, Session]:
    """A registry, its recorder started, and a session of it (no page yet)."""
    registry = Registry()
    recorder = Recorder(registry)
    recorder.start()
    return registry, recorder, Session(registry, origin=ORIGIN)


def names(entries: Any) -> list[str]:
    return [entry.name for entry in entries]


def test_recorder_keeps_calls_with_their_outcome_events_and_the_state_timeline() -> None:
    registry, recorder, session = recording()

    async def scenario() -> None:
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        channel = new_handle("DataChannel")
        await page.call(pc, "createDataChannel", {"dataChannel": channel, "label": "chat", "init": DATA_CHANNEL_INIT})
        refused = await page.call(pc, "setRemoteDescription", {"description": {"type": "answer", "sdp": "v=0\r\n"}})
        assert refused["error"]["name"] == "InvalidStateError"
        offer = (await page.call(pc, "createOffer", {"options": {}}))["result"]["description"]
        await page.call(pc, "setLocalDescription", {"description": offer})
        await page.call(pc, "getStats", NO_SELECTOR)
        record = recorder.peer_connections[pc]
        assert record.seen_from_start and record.session_id == session.id
        assert names(record.log)[:4] == ["createDataChannel", "negotiationNeeded", "setRemoteDescription",
                                         "createOffer"]
        assert "getStats" not in names(record.log)  # polled by pages: not logged
        (rejected,) = (entry for entry in record.log if entry.name == "setRemoteDescription")
        assert rejected.kind == "call"
        assert rejected.outcome is not None and rejected.outcome.startswith("rejected: InvalidStateError: ")
        (created,) = (entry for entry in record.log if entry.name == "createDataChannel")
        assert created.outcome == "resolved" and '"label": "chat"' in created.value
        assert record.view()["localDescription"]["type"] == "offer"
        assert [section["heading"].split(" · ")[0] for section in record.view()["localDescription"]["sections"]] == [
            "session", "application"]
        assert record.view()["dataChannels"][0]["label"] == "chat"
        await page.call(pc, "close", {})
        assert record.closed_at is not None and record.dispatcher is None
        assert record.view()["dataChannels"][0]["readyState"] == "closed"  # kept, as last seen
        await page.drop()

    run(scenario())
    (pc,) = recorder.peer_connections.values()
    assert [(change["state"], change["value"]) for change in pc.timeline] == [
        ("signalingState", "stable"), ("iceGatheringState", "new"), ("iceConnectionState", "new"),
        ("connectionState", "new"), ("signalingState", "have-local-offer"), ("iceGatheringState", "gathering"),
        ("iceGatheringState", "complete"),
        ("signalingState", "closed"), ("iceConnectionState", "closed"), ("connectionState", "closed")]
    times = [change["time"] for change in pc.timeline]
    assert times == sorted(times)
    assert recorder.sessions[session.id].closed_at is not None
    # The session's own calls and events.
    assert names(recorder.sessions[session.id].log) == ["hello", "spareCertificate", "createPeerConnection"]
    recorder.stop()
    assert not registry.watched


def test_recorder_started_late_reads_what_lives_as_it_is_now() -> None:
    registry = Registry()
    session = Session(registry, origin=ORIGIN)
    recorder = Recorder(registry)

    async def scenario() -> None:
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        await page.call(pc, "createDataChannel", {
            "dataChannel": new_handle("DataChannel"), "label": "early", "init": DATA_CHANNEL_INIT})
        offer = (await page.call(pc, "createOffer", {"options": {}}))["result"]["description"]
        await page.call(pc, "setLocalDescription", {"description": offer})
        recorder.start()
        record = recorder.peer_connections[pc]
        assert not record.seen_from_start and not recorder.sessions[session.id].seen_from_start
        assert record.states["signalingState"] == "have-local-offer"
        assert [channel["label"] for channel in record.view()["dataChannels"]] == ["early"]
        await page.drop()

    run(scenario())


def test_recorder_forgets_the_oldest_closed_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspector_recorder, "CLOSED_SESSIONS", 1)
    registry = Registry()
    recorder = Recorder(registry)
    recorder.start()
    first, second = Session(registry, origin=ORIGIN), Session(registry, origin=ORIGIN)

    async def scenario() -> None:
        first_page = InProcessPage(first)
        first_pc = await first_page.create_peer_connection()
        await first_page.drop()
        assert recorder.take_updates()[0]["type"] == "session"
        second_page = InProcessPage(second)
        await second_page.create_peer_connection()
        await second_page.drop()
        assert list(recorder.sessions) == [second.id]  # the first closed session went
        assert first_pc not in recorder.peer_connections
        assert {"type": "forget", "session": first.id} in recorder.take_updates()

    run(scenario())


def test_recorder_keeps_the_last_closed_peer_connections_of_an_open_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspector_recorder, "CLOSED_PEER_CONNECTIONS_PER_SESSION", 1)
    _, recorder, session = recording()

    async def scenario() -> None:
        page = InProcessPage(session)
        made = [await page.create_peer_connection() for _ in range(3)]
        recorder.take_updates()
        for pc in made:
            await page.call(pc, "close", {})
        assert recorder.sessions[session.id].peer_connections == [made[2]]
        assert list(recorder.peer_connections) == [made[2]]
        updates = recorder.take_updates()
        assert [update for update in updates if update["type"] == "forget"] == [
            {"type": "forget", "peerConnection": made[0]}, {"type": "forget", "peerConnection": made[1]}]
        assert [update["peerConnection"]["handle"] for update in updates if update["type"] == "peerConnection"] == [
            made[2]]
        await page.drop()

    run(scenario())


def test_log_is_bounded_and_long_values_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "LOG_ENTRIES", 3)
    _, recorder, session = recording()

    async def scenario() -> None:
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        for _ in range(5):
            await page.call(pc, "createOffer", {"options": {}})
        record = recorder.peer_connections[pc]
        assert len(record.log) == 3
        assert all(len(entry.outcome or "") <= records.VALUE_CHARS + 40 for entry in record.log)
        await page.drop()

    run(scenario())
    assert records.summarised("x" * 5000).endswith("… (5002 characters)")


def test_take_updates_sends_each_change_once() -> None:
    _, recorder, session = recording()

    async def scenario() -> None:
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        updates = recorder.take_updates()
        assert [update["type"] for update in updates] == ["session", "peerConnection"]
        assert [entry["name"] for entry in updates[0]["log"]] == ["hello", "spareCertificate", "createPeerConnection"]
        assert recorder.take_updates() == []
        await page.call(pc, "createOffer", {"options": {}})
        (update,) = recorder.take_updates()
        assert [entry["name"] for entry in update["log"]] == ["createOffer"]
        snapshot = recorder.snapshot()
        assert [entry["name"] for entry in snapshot["peerConnections"][0]["log"]] == ["createOffer"]
        await page.drop()

    run(scenario())


def test_feed_watches_only_while_a_viewer_is_open() -> None:
    registry = Registry()
    feed = InspectorFeed(registry, sample_interval=0.05, keep_recording=0.05)
    session = Session(registry, origin=ORIGIN)

    async def scenario() -> None:
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        assert not registry.watched and not feed.sampler.running
        viewer = feed.join()
        assert registry.watched and feed.sampler.running
        snapshot = viewer.queue.get_nowait()
        assert snapshot["type"] == "snapshot" and snapshot["peerConnections"][0]["handle"] == pc
        # Samples arrive, pushed as the peer connection's new chart points.
        while not (update := await viewer.queue.get())["points"]:
            pass
        assert update["type"] == "peerConnection" and update["peerConnection"]["statsTimestamp"] is not None
        feed.leave(viewer)
        assert not feed.sampler.running  # no stats for nobody, at once
        assert registry.watched  # the recording is kept a while, for a reload
        await asyncio.sleep(0.2)
        assert not registry.watched and not feed.recorder.started
        await page.drop()

    run(scenario())


def test_feed_resynchronises_a_viewer_that_does_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspector_feed, "VIEWER_BACKLOG", 2)
    registry = Registry()
    feed = InspectorFeed(registry, sample_interval=60)
    session = Session(registry, origin=ORIGIN)

    async def scenario() -> None:
        viewer = feed.join()
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        for _ in range(4):
            await page.call(pc, "createOffer", {"options": {}})
            feed.flush()
        waiting = [viewer.queue.get_nowait() for _ in range(viewer.queue.qsize())]
        assert len(waiting) <= 2 and any(message["type"] == "snapshot" for message in waiting)
        feed.leave(viewer)
        await page.drop()
        feed.stop_recording()

    run(scenario())


def test_dump_with_no_inspector_open_reads_the_live_objects_once() -> None:
    registry = Registry()
    feed = InspectorFeed(registry)
    session = Session(registry, origin=ORIGIN)

    async def scenario() -> dict[str, Any]:
        page = InProcessPage(session)
        pc = await page.create_peer_connection()
        dump = await feed.dump()
        assert not registry.watched
        await page.drop()
        return {"dump": dump, "pc": pc}

    outcome = run(scenario())
    dump, pc = outcome["dump"], outcome["pc"]
    exported = dump["PeerConnections"][pc]
    assert exported["url"] == ORIGIN and exported["seenFromStart"] is False
    assert exported["stats"]["P-dataChannelsOpened"]["statsType"] == "peer-connection"
    assert exported["lastReport"][0]["type"] == "peer-connection"
    assert dump["sessions"][0]["peerConnections"] == [pc]
