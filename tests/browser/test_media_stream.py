"""MediaStream, MediaStreamTrack and getUserMedia through the real bridge.

Tracks come from the server's synthetic devices: a 640x480@30 camera whose frames carry a
readable counter, and a 48 kHz microphone. What a track delivers is checked by playing it
in a <video> and reading the frames back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page

from rtcshim.dispatchers.media_stream_track import MediaTrackDispatcher
from rtcshim.media.sources import SYNTHETIC_CAMERA_LABEL, SYNTHETIC_MICROPHONE_LABEL
from rtcshim.serving import ServerThread

from .page_helpers import assert_tone

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def server_tracks(server: ServerThread) -> dict[str, MediaTrackDispatcher]:
    """The server's track objects by the id the page sees."""
    return {o.track_id: o for o in server.registry.objects() if isinstance(o, MediaTrackDispatcher)}


# --- ids and track lists -------------------------------------------------------------


def test_get_user_media_stream_lists_its_tracks(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const [audio] = stream.getAudioTracks();
      const [video] = stream.getVideoTracks();
      return {
        isStream: stream instanceof MediaStream,
        isTrack: audio instanceof MediaStreamTrack && video instanceof MediaStreamTrack,
        streamId: stream.id,
        trackIds: [audio.id, video.id],
        kinds: stream.getTracks().map((track) => track.kind).sort(),
        counts: [stream.getTracks().length, stream.getAudioTracks().length, stream.getVideoTracks().length],
        byId: [stream.getTrackById(audio.id) === audio, stream.getTrackById(video.id) === video,
               stream.getTrackById('no such track')],
        sameTracksEachCall: stream.getTracks().every((track, index) => track === stream.getTracks()[index]),
        arrayIsACopy: (() => { stream.getTracks().pop(); return stream.getTracks().length; })(),
        active: stream.active,
      };
    }""")
    assert result["isStream"] is True
    assert result["isTrack"] is True
    assert result["kinds"] == ["audio", "video"]
    assert result["counts"] == [2, 1, 1]
    assert result["byId"] == [True, True, None]
    assert result["sameTracksEachCall"] is True
    assert result["arrayIsACopy"] == 2
    assert result["active"] is True
    ids = [result["streamId"], *result["trackIds"]]
    assert len(set(ids)) == 3
    for some_id in ids:
        assert re.match(UUID_PATTERN, some_id), some_id
    tracks = server_tracks(server)
    assert sorted(tracks) == sorted(result["trackIds"])
    assert {tracks[track_id].kind for track_id in result["trackIds"]} == {"audio", "video"}


def test_track_attributes_of_the_synthetic_devices(shim_page: Page) -> None:
    tracks: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const describe = (track) => ({
        kind: track.kind, label: track.label, enabled: track.enabled, muted: track.muted,
        readyState: track.readyState, contentHint: track.contentHint,
        tag: Object.prototype.toString.call(track),
      });
      return { audio: describe(stream.getAudioTracks()[0]), video: describe(stream.getVideoTracks()[0]) };
    }""")
    common = {"enabled": True, "muted": False, "readyState": "live", "contentHint": "",
              "tag": "[object MediaStreamTrack]"}
    assert tracks["audio"] == {"kind": "audio", "label": SYNTHETIC_MICROPHONE_LABEL, **common}
    assert tracks["video"] == {"kind": "video", "label": SYNTHETIC_CAMERA_LABEL, **common}


def test_add_track_and_remove_track_change_the_list_without_events(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const source = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const [audio] = source.getAudioTracks();
      const [video] = source.getVideoTracks();
      const stream = new MediaStream();
      const events = [];
      for (const name of ['addtrack', 'removetrack', 'active', 'inactive']) {
        stream.addEventListener(name, () => events.push(name));
      }
      const steps = { empty: [stream.getTracks().length, stream.active] };
      stream.addTrack(video);
      steps.afterVideo = [stream.getTracks().length, stream.active];
      stream.addTrack(video);  // already there: nothing happens
      stream.addTrack(audio);
      steps.afterAudio = stream.getTracks().map((track) => track.kind);
      stream.removeTrack(video);
      steps.afterRemove = stream.getTracks().map((track) => track.kind);
      stream.removeTrack(video);  // not there: nothing happens
      stream.removeTrack(audio);
      steps.afterRemoveAll = [stream.getTracks().length, stream.active];
      const errors = [];
      for (const bad of [null, {}, source]) {
        try { stream.addTrack(bad); errors.push('added'); } catch (error) { errors.push(error.name); }
      }
      // addtrack/removetrack are only for changes the remote peer makes; anything the
      // server would report has arrived after a round trip.
      await roundTrip();
      return { steps, events, errors, sourceUntouched: source.getTracks().length };
    }""")
    assert result["steps"] == {
        "empty": [0, False], "afterVideo": [1, True], "afterAudio": ["video", "audio"],
        "afterRemove": ["audio"], "afterRemoveAll": [0, False],
    }
    # Chromium fires `active` and `inactive` as the stream gains its first live track and
    # loses its last one (the spec dropped both events; Chromium kept them).
    assert result["events"] == ["active", "inactive"]
    assert result["errors"] == ["TypeError", "TypeError", "TypeError"]
    assert result["sourceUntouched"] == 2


def test_stream_constructor_from_tracks_or_stream_shares_tracks(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const source = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const fromStream = new MediaStream(source);
      const fromTracks = new MediaStream(source.getVideoTracks());
      const empty = new MediaStream();
      const errors = [];
      for (const bad of [42, [{}], [null]]) {
        try { new MediaStream(bad); errors.push('constructed'); } catch (error) { errors.push(error.name); }
      }
      return {
        ids: [source.id, fromStream.id, fromTracks.id, empty.id],
        fromStreamShares: fromStream.getTracks().every((track) => source.getTracks().includes(track))
          && fromStream.getTracks().length === 2,
        fromTracksShares: fromTracks.getTracks().length === 1 && fromTracks.getTracks()[0] === source.getVideoTracks()[0],
        active: [fromStream.active, fromTracks.active, empty.active],
        errors,
        webkitAlias: window.webkitMediaStream === MediaStream,
      };
    }""")
    assert len(set(result["ids"])) == 4
    assert result["fromStreamShares"] is True
    assert result["fromTracksShares"] is True
    assert result["active"] == [True, True, False]
    assert result["errors"] == ["TypeError", "TypeError", "TypeError"]
    assert result["webkitAlias"] is True


# --- clones ---------------------------------------------------------------------------


def test_clone_has_new_ids_and_plays_on_its_own(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const original = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const copy = original.clone();
      const originalVideo = await playVideo(original);
      const copyVideo = await playVideo(copy);
      const before = {
        original: await counterAdvances(originalVideo, 'the original'),
        copy: await counterAdvances(copyVideo, 'the clone'),
      };
      copy.getTracks().forEach((track) => track.stop());
      // The server has handled the stops (calls run in order) before the test reads it.
      await roundTrip();
      return {
        ids: { original: original.id, copy: copy.id },
        trackIds: { original: original.getTracks().map((t) => t.id), copy: copy.getTracks().map((t) => t.id) },
        distinctObjects: copy.getTracks().every((track) => !original.getTracks().includes(track)),
        kindsAndLabels: copy.getTracks().map((t, i) => t.kind === original.getTracks()[i].kind
                                                       && t.label === original.getTracks()[i].label),
        before,
        copyStates: copy.getTracks().map((track) => track.readyState),
        copyActive: copy.active,
        originalStates: original.getTracks().map((track) => track.readyState),
        originalActive: original.active,
        // The source goes on for the original once the clone is stopped.
        originalAfter: await counterAdvances(originalVideo, 'the original after the clone stopped'),
      };
    }""")
    assert result["ids"]["original"] != result["ids"]["copy"]
    assert not set(result["trackIds"]["original"]) & set(result["trackIds"]["copy"])
    assert result["distinctObjects"] is True
    assert result["kindsAndLabels"] == [True, True]
    for first, second in result["before"].values():
        assert second > first
    assert result["copyStates"] == ["ended", "ended"]
    assert result["copyActive"] is False
    assert result["originalStates"] == ["live", "live"]
    assert result["originalActive"] is True
    assert result["originalAfter"][1] > result["originalAfter"][0]
    tracks = server_tracks(server)
    for track_id in result["trackIds"]["original"]:
        assert tracks[track_id].ended is False
    for track_id in result["trackIds"]["copy"]:
        assert tracks[track_id].ended is True


def test_track_clone_plays_after_the_original_stopped(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [original] = stream.getVideoTracks();
      const copy = original.clone();
      original.stop();
      const video = await playVideo(new MediaStream([copy]));
      return {
        states: [original.readyState, copy.readyState],
        settings: copy.getSettings().width,
        counters: await counterAdvances(video, 'the clone of a stopped track'),
      };
    }""")
    assert result["states"] == ["ended", "live"]
    assert result["settings"] == 640
    assert result["counters"][1] > result["counters"][0]


# --- ending ---------------------------------------------------------------------------


def test_track_stop_ends_it_without_an_ended_event(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const [audio] = stream.getAudioTracks();
      const [video] = stream.getVideoTracks();
      const events = [];
      stream.addEventListener('inactive', () => events.push('stream inactive'));
      for (const track of [audio, video]) {
        track.onended = () => events.push(`${track.kind} ended`);
        track.addEventListener('ended', () => events.push(`${track.kind} ended (listener)`));
      }
      video.stop();
      const afterOne = { states: [audio.readyState, video.readyState], active: stream.active, ended: stream.ended };
      video.stop();  // again: nothing happens
      audio.stop();
      const afterBoth = { states: [audio.readyState, video.readyState], active: stream.active, ended: stream.ended };
      // Anything the server would report has arrived after a round trip.
      await roundTrip();
      return { afterOne, afterBoth, events, ids: [audio.id, video.id],
               applyOnEnded: await video.applyConstraints({ width: 320 }).then(() => 'resolved', (e) => e.name) };
    }""")
    assert result["afterOne"] == {"states": ["live", "ended"], "active": True, "ended": False}
    assert result["afterBoth"] == {"states": ["ended", "ended"], "active": False, "ended": True}
    # stop() fires no `ended` on the track (the page asked); the stream goes inactive.
    assert result["events"] == ["stream inactive"]
    assert result["applyOnEnded"] == "resolved"
    tracks = server_tracks(server)
    assert [tracks[track_id].ended for track_id in result["ids"]] == [True, True]


def test_legacy_stream_stop_label_and_ended(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      navigator.getUserMedia = navigator.getUserMedia || navigator.webkitGetUserMedia || navigator.mozGetUserMedia;
      const stream = await within(new Promise((resolve, reject) => {
        navigator.getUserMedia({ video: true, audio: true }, resolve, reject);
      }), 'the legacy getUserMedia calls back');
      const before = { label: stream.label, id: stream.id, ended: stream.ended };
      stream.stop();
      await roundTrip();
      return {
        before,
        after: { ended: stream.ended, active: stream.active, states: stream.getTracks().map((t) => t.readyState) },
        ids: stream.getTracks().map((track) => track.id),
      };
    }""")
    assert result["before"]["label"] == result["before"]["id"]
    assert result["before"]["ended"] is False
    assert result["after"] == {"ended": True, "active": False, "states": ["ended", "ended"]}
    tracks = server_tracks(server)
    assert all(tracks[track_id].ended for track_id in result["ids"])


# --- settings, constraints, capabilities ------------------------------------------


def test_get_settings_defaults(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const devices = await within(navigator.mediaDevices.enumerateDevices(), 'enumerateDevices');
      const deviceId = (kind) => devices.find((device) => device.kind === kind).deviceId;
      const groupId = (kind) => devices.find((device) => device.kind === kind).groupId;
      return {
        video: stream.getVideoTracks()[0].getSettings(),
        audio: stream.getAudioTracks()[0].getSettings(),
        deviceIds: { video: deviceId('videoinput'), audio: deviceId('audioinput') },
        groupIds: { video: groupId('videoinput'), audio: groupId('audioinput') },
        constraints: [stream.getVideoTracks()[0].getConstraints(), stream.getAudioTracks()[0].getConstraints()],
      };
    }""")
    video, audio = result["video"], result["audio"]
    assert (video["width"], video["height"], video["frameRate"]) == (640, 480, 30)
    assert video["aspectRatio"] == 640 / 480
    assert video["deviceId"] == result["deviceIds"]["video"]
    assert video["groupId"] == result["groupIds"]["video"]
    assert audio["sampleRate"] == 48000
    assert audio["channelCount"] == 1
    assert audio["deviceId"] == result["deviceIds"]["audio"]
    assert audio["groupId"] == result["groupIds"]["audio"]
    assert "width" not in audio
    assert "sampleRate" not in video
    # Asked for with `true`: no constraints.
    assert result["constraints"] == [{}, {}]


def test_get_capabilities_describe_the_devices(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true, audio: true }), 'getUserMedia');
      const [video] = stream.getVideoTracks();
      const [audio] = stream.getAudioTracks();
      const copy = video.getCapabilities();
      copy.width.max = 1;  // a fresh dictionary each call
      return {
        video: video.getCapabilities(), audio: audio.getCapabilities(),
        settings: { video: video.getSettings(), audio: audio.getSettings() },
      };
    }""")
    video, audio = result["video"], result["audio"]
    assert video["width"] == {"min": 1, "max": 1920}
    assert video["height"] == {"min": 1, "max": 1080}
    assert video["frameRate"]["max"] == 60
    assert audio["sampleRate"] == {"min": 48000, "max": 48000}
    assert audio["channelCount"]["min"] <= 1 <= audio["channelCount"]["max"]
    # MediaTrackCapabilities has the device's deviceId and groupId too.
    assert video.get("deviceId") == result["settings"]["video"]["deviceId"]
    assert video.get("groupId") == result["settings"]["video"]["groupId"]
    assert audio.get("deviceId") == result["settings"]["audio"]["deviceId"]


def test_apply_constraints_changes_delivered_frame_size(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      const events = [];
      track.onended = () => events.push('ended');
      const video = await playVideo(stream);
      await videoSize(video, 640, 480, 'the preview');
      await within(track.applyConstraints({ width: 320, height: 240 }), 'applyConstraints');
      const settings = track.getSettings();
      await until(() => track.readyState === 'ended' || (video.videoWidth === 320 && video.videoHeight === 240),
                  'the preview plays at 320x240 (or the track ends)');
      if (track.readyState !== 'live') return { readyState: track.readyState, events };
      return {
        settings: [settings.width, settings.height],
        constraints: track.getConstraints(),
        counters: await counterAdvances(video, 'the preview at 320x240'),
        id: track.id,
        readyState: track.readyState,
        events,
      };
    }""")
    # The track stays live through the change of settings.
    assert result["readyState"] == "live"
    assert result["events"] == []
    assert result["settings"] == [320, 240]
    assert result["counters"][1] > result["counters"][0]
    track = server_tracks(server)[result["id"]]
    assert (track.settings["width"], track.settings["height"]) == (320, 240)


def test_apply_constraints_on_a_clone_leaves_the_original(shim_page: Page) -> None:
    """Clones share a source but not constraints: each plays at its own settings."""
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [original] = stream.getVideoTracks();
      const copy = original.clone();
      await within(copy.applyConstraints({ width: { exact: 320 }, height: { exact: 240 } }), 'applyConstraints');
      const originalVideo = await playVideo(stream);
      const copyVideo = await playVideo(new MediaStream([copy]));
      await videoSize(copyVideo, 320, 240, 'the clone');
      await counterAdvances(originalVideo, 'the original');
      return {
        settings: [original.getSettings().width, copy.getSettings().width],
        sizes: [[originalVideo.videoWidth, originalVideo.videoHeight], [copyVideo.videoWidth, copyVideo.videoHeight]],
        states: [original.readyState, copy.readyState],
      };
    }""")
    assert result == {"settings": [640, 320], "sizes": [[640, 480], [320, 240]], "states": ["live", "live"]}


def test_get_constraints_returns_what_apply_constraints_got(shim_page: Page) -> None:
    """mediacapture-main: getConstraints() returns the argument of the last applyConstraints."""
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      await within(track.applyConstraints({ width: { exact: 320 }, height: { exact: 240 } }), 'applyConstraints');
      const exact = track.getConstraints();
      await within(track.applyConstraints({ width: 320, height: 240 }), 'applyConstraints');
      return { exact, bare: track.getConstraints() };
    }""")
    assert result["exact"] == {"width": {"exact": 320}, "height": {"exact": 240}}
    assert result["bare"] == {"width": 320, "height": 240}


def test_apply_constraints_unsatisfiable_rejects_and_keeps_settings(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      const error = await within(track.applyConstraints({ width: { min: 5000 } }).then(() => null, (e) => e),
                                 'applyConstraints settles');
      return {
        name: error && error.name, constraint: error && error.constraint,
        isOverconstrained: error instanceof OverconstrainedError,
        settings: [track.getSettings().width, track.getSettings().height],
        constraints: track.getConstraints(),
      };
    }""")
    assert result == {
        "name": "OverconstrainedError", "constraint": "width", "isOverconstrained": True,
        "settings": [640, 480], "constraints": {},
    }


def test_get_user_media_exact_size_delivers_that_size(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia(
        { video: { width: { exact: 320 }, height: { exact: 240 } } }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      const video = await playVideo(stream);
      await videoSize(video, 320, 240, 'the preview');
      return {
        settings: [track.getSettings().width, track.getSettings().height],
        constraints: track.getConstraints(),
        counters: await counterAdvances(video, 'the 320x240 preview'),
      };
    }""")
    assert result["settings"] == [320, 240]
    assert result["constraints"] == {"width": {"exact": 320}, "height": {"exact": 240}}
    assert result["counters"][1] > result["counters"][0]


def test_get_user_media_legacy_mandatory_max_size(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(new Promise((resolve, reject) => navigator.webkitGetUserMedia(
        { video: { mandatory: { maxWidth: 320, maxHeight: 240 } } }, resolve, reject)), 'the legacy getUserMedia');
      const [track] = stream.getVideoTracks();
      const video = await playVideo(stream);
      await videoSize(video, 320, 240, 'the preview');
      return {
        settings: [track.getSettings().width, track.getSettings().height],
        counters: await counterAdvances(video, 'the 320x240 preview'),
      };
    }""")
    assert result["settings"] == [320, 240]
    assert result["counters"][1] > result["counters"][0]


def test_get_user_media_unsatisfiable_rejects_with_overconstrained(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const describe = (error) => ({
        name: error.name, constraint: error.constraint,
        isOverconstrained: error instanceof OverconstrainedError, isDomException: error instanceof DOMException,
      });
      const promiseError = await within(
        navigator.mediaDevices.getUserMedia({ video: { width: { min: 5000 } }, audio: true }).then(() => null, describe),
        'getUserMedia settles');
      const callbackError = await within(new Promise((resolve) => navigator.webkitGetUserMedia(
        { video: { mandatory: { minWidth: 5000 } } }, () => resolve(null), (error) => resolve(describe(error)))),
        'the legacy getUserMedia calls back');
      return { promiseError, callbackError };
    }""")
    expected = {"name": "OverconstrainedError", "constraint": "width", "isOverconstrained": True,
                "isDomException": True}
    assert result == {"promiseError": expected, "callbackError": expected}
    # Nothing was opened for the kind that could be satisfied either.
    assert server_tracks(server) == {}


def test_get_user_media_without_kinds_is_a_type_error(shim_page: Page) -> None:
    result: list[str] = shim_page.evaluate("""async () => {
      const names = [];
      for (const constraints of [{}, { audio: false, video: false }]) {
        names.push(await within(navigator.mediaDevices.getUserMedia(constraints).then(() => 'resolved', (e) => e.name),
                                'getUserMedia settles'));
      }
      names.push(await within(navigator.mediaDevices.getUserMedia().then(() => 'resolved', (e) => e.name),
                              'getUserMedia settles'));
      return names;
    }""")
    assert result == ["TypeError", "TypeError", "TypeError"]


# --- enabled --------------------------------------------------------------------------


def test_disabled_track_previews_black_and_enabled_restores(shim_page: Page, server: ServerThread) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      const video = await playVideo(stream);
      const before = await counterAdvances(video, 'the preview');
      track.enabled = false;
      const disabled = { enabled: track.enabled, readyState: track.readyState, level: await blackFrame(video, 'the disabled preview') };
      track.enabled = true;
      return { before, disabled, after: await counterAdvances(video, 'the re-enabled preview'), id: track.id };
    }""")
    assert result["before"][1] > result["before"][0]
    assert result["disabled"]["enabled"] is False
    assert result["disabled"]["readyState"] == "live"
    assert result["disabled"]["level"] < 8
    assert result["after"][1] > result["after"][0]
    assert server_tracks(server)[result["id"]].enabled is True


def test_disabled_track_sends_black_to_the_remote_peer(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: true }), 'getUserMedia');
      const [track] = stream.getVideoTracks();
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      a.addTrack(track, stream);
      const received = new Promise((resolve) => { b.ontrack = (event) => resolve(event.streams[0]); });
      await negotiate(a, b);
      const remote = await playVideo(await within(received, 'the remote track'));
      const before = await counterAdvances(remote, 'the remote video');
      track.enabled = false;
      const level = await blackFrame(remote, 'the remote video of a disabled track');
      track.enabled = true;
      const after = await counterAdvances(remote, 'the remote video re-enabled');
      a.close();
      b.close();
      return { before, level, after };
    }""")
    assert result["before"][1] > result["before"][0]
    assert result["level"] < 8
    assert result["after"][1] > result["after"][0]


def test_disabled_audio_track_is_silent_and_enabled_restores_the_tone(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const stream = await within(navigator.mediaDevices.getUserMedia({ audio: true }), 'getUserMedia');
      const [track] = stream.getAudioTracks();
      const before = await tonePeak(stream, 'the microphone');
      track.enabled = false;
      // Silence: every bin of a whole window far below the tone.
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(stream).connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      const start = context.currentTime;
      const windowSeconds = analyser.fftSize / context.sampleRate;
      const silent = await until(() => {
        analyser.getFloatTimeDomainData(samples);
        return context.currentTime > start + windowSeconds && samples.every((sample) => sample === 0);
      }, 'the disabled microphone is silent');
      context.close();
      track.enabled = true;
      return { before, silent, after: await tonePeak(stream, 'the re-enabled microphone') };
    }""")
    assert_tone(result["before"], bins=2)
    assert result["silent"] is True
    assert_tone(result["after"], bins=2)


# --- devices and legacy entry points ------------------------------------------------


def test_enumerate_devices_lists_the_synthetic_devices(shim_page: Page) -> None:
    devices: list[dict[str, Any]] = shim_page.evaluate("""async () => {
      const devices = await within(navigator.mediaDevices.enumerateDevices(), 'enumerateDevices');
      return devices.map((device) => ({ ...device.toJSON(), isInfo: device instanceof MediaDeviceInfo }));
    }""")
    kinds = {device["kind"]: device for device in devices}
    assert set(kinds) >= {"videoinput", "audioinput"}
    assert kinds["videoinput"]["label"] == SYNTHETIC_CAMERA_LABEL
    assert kinds["audioinput"]["label"] == SYNTHETIC_MICROPHONE_LABEL
    for device in devices:
        assert device["isInfo"] is True
        assert device["deviceId"]
        assert device["groupId"]
    assert kinds["videoinput"]["groupId"] == kinds["audioinput"]["groupId"]


def test_get_user_media_by_device_id_uses_that_device(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const devices = await within(navigator.mediaDevices.enumerateDevices(), 'enumerateDevices');
      const camera = devices.find((device) => device.kind === 'videoinput');
      const stream = await within(navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: camera.deviceId } } }),
                                  'getUserMedia');
      const unknown = await within(navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: 'nope' } } })
        .then(() => null, (error) => [error.name, error.constraint]), 'getUserMedia settles');
      return { chosen: stream.getVideoTracks()[0].getSettings().deviceId, wanted: camera.deviceId, unknown };
    }""")
    assert result["chosen"] == result["wanted"]
    assert result["unknown"] == ["OverconstrainedError", "deviceId"]


def test_get_supported_constraints(shim_page: Page) -> None:
    supported: dict[str, Any] = shim_page.evaluate(
        "() => navigator.mediaDevices.getSupportedConstraints()")
    for name in ["width", "height", "frameRate", "aspectRatio", "facingMode", "deviceId", "groupId",
                 "sampleRate", "channelCount"]:
        assert supported.get(name) is True, name


def test_prefixed_get_user_media_are_the_legacy_form(
    shim_context: BrowserContext, open_shim_page: Callable[[], Page]
) -> None:
    shim_context.add_init_script("window.rtcshimOptions = { prefixes: 'all' };")
    result: dict[str, Any] = open_shim_page().evaluate("""async () => {
      const names = ['getUserMedia', 'webkitGetUserMedia', 'mozGetUserMedia', 'msGetUserMedia'];
      const streams = {};
      for (const name of names) {
        streams[name] = await within(new Promise((resolve, reject) => {
          const returned = navigator[name]({ audio: true }, (stream) => resolve({
            isStream: stream instanceof MediaStream, kinds: stream.getTracks().map((track) => track.kind),
            returned,
          }), reject);
        }), `navigator.${name} calls back`);
      }
      return { types: names.map((name) => typeof navigator[name]), streams };
    }""")
    assert result["types"] == ["function", "function", "function", "function"]
    for stream in result["streams"].values():
        assert stream == {"isStream": True, "kinds": ["audio"], "returned": None}


def test_media_stream_track_get_sources_lists_devices(shim_page: Page) -> None:
    result: dict[str, Any] = shim_page.evaluate("""async () => {
      const sources = await within(new Promise((resolve) => MediaStreamTrack.getSources(resolve)),
                                   'MediaStreamTrack.getSources calls back');
      const devices = await within(navigator.mediaDevices.enumerateDevices(), 'enumerateDevices');
      return { sources, devices: devices.map((device) => device.toJSON()) };
    }""")
    by_kind = {source["kind"]: source for source in result["sources"]}
    assert set(by_kind) == {"audio", "video"}
    assert by_kind["video"]["label"] == SYNTHETIC_CAMERA_LABEL
    assert by_kind["audio"]["label"] == SYNTHETIC_MICROPHONE_LABEL
    device_ids = {device["kind"]: device["deviceId"] for device in result["devices"]}
    assert by_kind["video"]["id"] == device_ids["videoinput"]
    assert by_kind["audio"]["id"] == device_ids["audioinput"]
