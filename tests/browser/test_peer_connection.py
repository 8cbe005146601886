"""RTCPeerConnection through the real bridge: states, events, descriptions, errors."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from rtcshim.dispatchers.peer_connection import PeerConnectionDispatcher
from rtcshim.serving import ServerThread

from .page_helpers import run


def connected_pair_events(page: Page) -> list[str]:
    events: list[str] = page.evaluate("""async () => {
      const pair = await makePair();
      // Both ends report 'connected' before the channel opens; wait for the last event.
      await connected(pair.b);
      return pair.events;
    }""")
    return events


def side(events: list[str], name: str) -> list[str]:
    """One end's events, candidates collapsed to one entry per run."""
    result: list[str] = []
    for event in events:
        if not event.startswith(name + " "):
            continue
        event = event[len(name) + 1:]
        if event == "icecandidate candidate" and result and result[-1] == event:
            continue
        result.append(event)
    return result


def test_connect_offerer_events_in_spec_order(shim_page: Page) -> None:
    # No negotiationneeded: createOffer follows createDataChannel at once, so the
    # operations chain is busy from then until the negotiation ends (webrtc-pc "update the
    # negotiation-needed flag"). Native Chromium's signalling thread fires one anyway.
    assert side(connected_pair_events(shim_page), "a") == [
        "signalingstatechange have-local-offer",
        "icegatheringstatechange gathering",
        "icecandidate candidate",
        "icegatheringstatechange complete",
        "icecandidate null",
        "signalingstatechange stable",
        "iceconnectionstatechange checking",
        "connectionstatechange connecting",
        "iceconnectionstatechange connected",
        "connectionstatechange connected",
    ]


def test_connect_answerer_events_in_spec_order(shim_page: Page) -> None:
    events = side(connected_pair_events(shim_page), "b")
    assert events[:6] == [
        "signalingstatechange have-remote-offer",
        "signalingstatechange stable",
        "icegatheringstatechange gathering",
        "icecandidate candidate",
        "icegatheringstatechange complete",
        "icecandidate null",
    ]
    assert [e for e in events if "connectionstatechange" in e] == [
        "iceconnectionstatechange checking", "connectionstatechange connecting",
        "iceconnectionstatechange connected", "connectionstatechange connected",
    ]


def test_set_local_description_getters_are_current_when_it_resolves(shim_page: Page) -> None:
    state = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      pc.createDataChannel('x');
      const before = [pc.signalingState, pc.localDescription, pc.pendingLocalDescription];
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      return {
        before,
        signalingState: pc.signalingState,
        localType: pc.localDescription.type,
        pendingIsLocal: pc.pendingLocalDescription === pc.localDescription,
        current: pc.currentLocalDescription,
        isDescription: pc.localDescription instanceof RTCSessionDescription,
        hasApplication: /m=application/.test(pc.localDescription.sdp),
      };
    }""")
    assert state == {
        "before": ["stable", None, None], "signalingState": "have-local-offer", "localType": "offer",
        "pendingIsLocal": True, "current": None, "isDescription": True, "hasApplication": True,
    }


def test_descriptions_current_and_pending_after_negotiation(shim_page: Page) -> None:
    state = shim_page.evaluate("""async () => {
      const { a, b } = await makePair();
      return {
        a: [a.currentLocalDescription.type, a.currentRemoteDescription.type,
            a.pendingLocalDescription, a.pendingRemoteDescription],
        b: [b.currentLocalDescription.type, b.currentRemoteDescription.type,
            b.pendingLocalDescription, b.pendingRemoteDescription],
        canTrickle: [a.canTrickleIceCandidates, new RTCPeerConnection().canTrickleIceCandidates],
      };
    }""")
    assert state["a"] == ["offer", "answer", None, None]
    assert state["b"] == ["answer", "offer", None, None]
    assert state["canTrickle"][1] is None
    assert isinstance(state["canTrickle"][0], bool)


def test_close_then_every_method_fails_with_invalid_state(shim_page: Page) -> None:
    results = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      pc.close();
      pc.close();  // idempotent
      const names = {};
      const attempts = {
        createOffer: () => pc.createOffer(),
        createAnswer: () => pc.createAnswer(),
        setLocalDescription: () => pc.setLocalDescription({ type: 'offer', sdp: '' }),
        setRemoteDescription: () => pc.setRemoteDescription({ type: 'offer', sdp: 'v=0' }),
        addIceCandidate: () => pc.addIceCandidate({ candidate: '', sdpMid: '0' }),
      };
      for (const [name, attempt] of Object.entries(attempts)) {
        names[name] = await attempt().then(() => 'resolved', (error) => error.name);
      }
      for (const [name, attempt] of Object.entries({
        createDataChannel: () => pc.createDataChannel('x'),
        setConfiguration: () => pc.setConfiguration({}),
      })) {
        try { attempt(); names[name] = 'returned'; } catch (error) { names[name] = error.name; }
      }
      names.states = [pc.signalingState, pc.iceConnectionState, pc.connectionState];
      return names;
    }""")
    assert results == {
        "createOffer": "InvalidStateError", "createAnswer": "InvalidStateError",
        "setLocalDescription": "InvalidStateError", "setRemoteDescription": "InvalidStateError",
        "addIceCandidate": "InvalidStateError", "createDataChannel": "InvalidStateError",
        "setConfiguration": "InvalidStateError", "states": ["closed", "closed", "closed"],
    }


def test_close_fires_no_events_and_closes_the_server_side(shim_page: Page, server: ServerThread) -> None:
    fired = shim_page.evaluate("""async () => {
      const { a, b, channel } = await makePair();
      const fired = [];
      for (const name of ['signalingstatechange', 'iceconnectionstatechange', 'connectionstatechange',
                          'icegatheringstatechange']) {
        a.addEventListener(name, () => fired.push(name));
      }
      channel.onclose = () => fired.push('channel close');
      await connected(b);
      a.close();
      // The server did close a: b saw its peer go.
      await until(() => b.connectionState === 'disconnected', 'b disconnected');
      return { fired, channelState: channel.readyState, remoteState: b.connectionState };
    }""")
    assert fired == {"fired": [], "channelState": "closed", "remoteState": "disconnected"}
    remaining = [o for o in server.registry.objects() if isinstance(o, PeerConnectionDispatcher)]
    assert len(remaining) == 1  # only b is left on the server


def test_configuration_is_normalised_and_reaches_the_server(shim_page: Page, server: ServerThread) -> None:
    configuration = shim_page.evaluate("""async () => {
      window.pc = new RTCPeerConnection({
        iceServers: [{ url: 'stun:127.0.0.1:3478' }, { urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'c' }],
        bundlePolicy: 'max-bundle',
      });
      await rtcshim.session();
      await pc.createOffer();  // a round trip: the server has the connection
      return pc.getConfiguration();
    }""")
    assert configuration == {
        "iceServers": [{"urls": ["stun:127.0.0.1:3478"]},
                       {"urls": ["turn:127.0.0.1:3478"], "username": "u", "credential": "c"}],
        "iceTransportPolicy": "all", "bundlePolicy": "max-bundle", "rtcpMuxPolicy": "require",
        "iceCandidatePoolSize": 0, "certificates": [],
    }
    (dispatcher,) = [o for o in server.registry.objects() if isinstance(o, PeerConnectionDispatcher)]
    # The server's copy names every field; what the page left out is None there.
    stun_server = {"urls": ["stun:127.0.0.1:3478"], "username": None, "credential": None}
    assert dispatcher.configuration == {**configuration, "iceServers": [stun_server, configuration["iceServers"][1]]}


def test_set_configuration_and_update_ice_change_the_server(shim_page: Page, server: ServerThread) -> None:
    result = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      pc.updateIce({ iceServers: [{ urls: 'stun:127.0.0.1:3479' }] }, { mandatory: { IceTransports: 'relay' } });
      let modification;
      try { pc.setConfiguration({ bundlePolicy: 'max-compat' }); } catch (error) { modification = error.name; }
      await pc.createOffer();
      return { configuration: pc.getConfiguration(), modification };
    }""")
    assert result["modification"] == "InvalidModificationError"
    assert result["configuration"]["iceTransportPolicy"] == "relay"
    (dispatcher,) = [o for o in server.registry.objects() if isinstance(o, PeerConnectionDispatcher)]
    assert dispatcher.configuration["iceServers"] == [
        {"urls": ["stun:127.0.0.1:3479"], "username": None, "credential": None}]
    aiortc_configuration: Any = dispatcher._aiortc_configuration
    assert aiortc_configuration.iceServers == []  # rtcshim gathers from them itself (ice_gathering.py)
    assert aiortc_configuration.iceTransportPolicy.value == "relay"


def test_constructor_without_ice_servers_gives_aiortc_none(shim_page: Page, server: ServerThread) -> None:
    shim_page.evaluate("async () => { const pc = new RTCPeerConnection(); await pc.createOffer(); }")
    (dispatcher,) = [o for o in server.registry.objects() if isinstance(o, PeerConnectionDispatcher)]
    assert dispatcher._aiortc_configuration.iceServers == []  # not aiortc's public STUN default


def test_constructor_rejects_bad_configuration(shim_page: Page) -> None:
    errors = shim_page.evaluate("""() => {
      const attempts = {
        badScheme: { iceServers: [{ urls: 'http://127.0.0.1' }] },
        turnWithoutCredential: { iceServers: [{ urls: 'turn:127.0.0.1' }] },
        noUrls: { iceServers: [{}] },
        badPolicy: { iceTransportPolicy: 'some' },
        badBundle: { bundlePolicy: 'all' },
        poolTooLarge: { iceCandidatePoolSize: 256 },
      };
      const names = {};
      for (const [name, configuration] of Object.entries(attempts)) {
        try { new RTCPeerConnection(configuration); names[name] = 'constructed'; } catch (error) { names[name] = error.name; }
      }
      return names;
    }""")
    assert errors == {
        "badScheme": "SyntaxError", "turnWithoutCredential": "InvalidAccessError", "noUrls": "TypeError",
        "badPolicy": "TypeError", "badBundle": "TypeError", "poolTooLarge": "TypeError",
    }


def test_add_ice_candidate_errors(shim_page: Page) -> None:
    errors = shim_page.evaluate("""async () => {
      const lonely = new RTCPeerConnection();
      const candidate = { candidate: 'candidate:1 1 udp 2122260223 10.77.0.1 9 typ host', sdpMid: '0' };
      const { a } = await makePair();
      const name = (promise) => promise.then(() => 'resolved', (error) => error.name);
      return {
        noRemoteDescription: await name(lonely.addIceCandidate(candidate)),
        unknownMid: await name(a.addIceCandidate({ ...candidate, sdpMid: 'nope' })),
        garbage: await name(a.addIceCandidate({ candidate: 'candidate:garbage', sdpMid: '0' })),
        noMidNorIndex: await name(a.addIceCandidate({ candidate: candidate.candidate })),
        endOfCandidates: await name(a.addIceCandidate(null)),
        isDomException: await a.addIceCandidate({ ...candidate, sdpMid: 'nope' }).catch((e) => e instanceof DOMException),
      };
    }""")
    assert errors == {
        "noRemoteDescription": "InvalidStateError", "unknownMid": "OperationError", "garbage": "OperationError",
        "noMidNorIndex": "TypeError", "endOfCandidates": "resolved", "isDomException": True,
    }


def test_add_ice_candidate_shows_in_the_remote_description_sections_it_names(shim_page: Page) -> None:
    """webrtc-pc 4.4.1.6: a candidate, or end-of-candidates (`{}`, null, an empty string),
    shows in remoteDescription in the sections it names (sdpMid, sdpMLineIndex, or the
    usernameFragment's), in stable too; a usernameFragment that is not the section's is an
    OperationError."""
    result = run(shim_page, """async () => {
      const offerer = new RTCPeerConnection();
      offerer.addTransceiver('audio');
      offerer.addTransceiver('video');
      const created = await offerer.createOffer();
      // The second section gets ICE credentials of its own (aiortc's sections share one set).
      const parts = created.sdp.split(/(?=\\r\\nm=)/);
      parts[2] = parts[2].replace(/a=ice-ufrag:\\S+/, 'a=ice-ufrag:zZ9q');
      const offer = { type: 'offer', sdp: parts.join('') };
      const sectionsOf = (sdp) => sdp.split(/\\r?\\nm=/).slice(1);
      const ufrags = sectionsOf(offer.sdp).map((section) => section.match(/a=ice-ufrag:(\\S+)/)[1]);
      const mids = sectionsOf(offer.sdp).map((section) => section.match(/a=mid:(\\S+)/)[1]);
      const candidate = 'candidate:7 1 udp 2113937151 10.77.0.9 40000 typ host';
      const fresh = async () => {
        const pc = new RTCPeerConnection();
        await pc.setRemoteDescription(offer);
        return pc;
      };
      const shown = (pc) => sectionsOf(pc.remoteDescription.sdp).map((section) => section.split(/\\r?\\n/)
        .filter((line) => line.startsWith('a=candidate:7 ') || line === 'a=end-of-candidates'));
      const name = (promise) => promise.then(() => 'resolved', (error) => error.name);

      const named = await fresh();
      await named.addIceCandidate({ candidate, sdpMLineIndex: 1, usernameFragment: ufrags[1] });
      await named.addIceCandidate({ candidate: '', sdpMid: mids[1] });
      const byUfrag = await fresh();
      await byUfrag.addIceCandidate({ usernameFragment: ufrags[0] });
      const all = await fresh();
      await all.addIceCandidate({});
      const inStable = await fresh();
      await inStable.setLocalDescription(await inStable.createAnswer());
      await inStable.addIceCandidate(null);
      const errors = await fresh();
      return {
        named: shown(named), byUfrag: shown(byUfrag), all: shown(all), inStable: shown(inStable),
        otherSectionsUfrag: await name(errors.addIceCandidate({ candidate, sdpMid: mids[0], usernameFragment: ufrags[1] })),
        unknownUfrag: await name(errors.addIceCandidate({ usernameFragment: 'no such ufrag' })),
        twoUfrags: ufrags[0] !== ufrags[1],
      };
    }""")
    assert result["twoUfrags"]
    candidate = "a=candidate:7 1 udp 2113937151 10.77.0.9 40000 typ host"
    assert result["named"] == [[], [candidate, "a=end-of-candidates"]]
    assert result["byUfrag"] == [["a=end-of-candidates"], []]
    assert result["all"] == result["inStable"] == [["a=end-of-candidates"], ["a=end-of-candidates"]]
    assert result["otherSectionsUfrag"] == result["unknownUfrag"] == "OperationError"


def test_local_description_shows_each_candidate_from_its_event_on(shim_page: Page) -> None:
    """webrtc-pc "surface the candidate": setLocalDescription resolves with no candidate in
    localDescription; each icecandidate event finds its own there, and no other still to come;
    a=end-of-candidates is in every section once the gathering state is complete; a re-offer
    on the same transports keeps them all."""
    result = run(shim_page, """async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio');
      pc.createDataChannel('x');
      const lines = () => pc.localDescription.sdp.split(/\\r\\n(?=m=)/).slice(1).map((section) => section
        .split('\\r\\n').filter((line) => line.startsWith('a=candidate:') || line === 'a=end-of-candidates'));
      const seen = [];
      const ended = new Promise((resolve) => {
        pc.onicecandidate = ({ candidate }) => {
          const shown = lines();
          seen.push(candidate ? shown[candidate.sdpMLineIndex].includes(`a=${candidate.candidate}`)
            && shown.flat().length === seen.length
            : shown.every((section) => section.at(-1) === 'a=end-of-candidates'));
          if (!candidate) resolve();
        };
      });
      pc.onicegatheringstatechange = () => seen.push(`${pc.iceGatheringState} ${lines().flat().filter(
        (line) => line === 'a=end-of-candidates').length}`);
      await pc.setLocalDescription();
      const atFirst = lines();
      await ended;
      const gathered = lines();
      await pc.setLocalDescription();
      const reoffered = lines();
      pc.close();
      return { atFirst, seen, gathered, reoffered };
    }""")
    assert result["atFirst"] == [[], []]
    assert result["seen"][0] == "gathering 0" and result["seen"][-2] == "complete 2"
    assert len(result["seen"]) > 3 and all(result["seen"])
    assert all(len(section) > 1 for section in result["gathered"])
    assert sum(len(section) - 1 for section in result["gathered"]) == len(result["seen"]) - 3
    assert result["reoffered"] == result["gathered"]


def test_peer_connection_ice_event_constructor_checks_its_arguments(shim_page: Page) -> None:
    result = shim_page.evaluate("""() => {
      const name = (make) => { try { make(); return 'made'; } catch (error) { return error.name; } };
      const candidate = new RTCIceCandidate({ candidate: '', sdpMid: '0' });
      return {
        noArguments: name(() => new RTCPeerConnectionIceEvent()),
        plainCandidate: name(() => new RTCPeerConnectionIceEvent('icecandidate', { candidate: candidate.toJSON() })),
        iceCandidate: new RTCPeerConnectionIceEvent('icecandidate', { candidate }).candidate === candidate,
        noCandidate: new RTCPeerConnectionIceEvent('icecandidate').candidate,
      };
    }""")
    assert result == {"noArguments": "TypeError", "plainCandidate": "TypeError", "iceCandidate": True,
                      "noCandidate": None}


def test_set_remote_description_errors(shim_page: Page) -> None:
    errors = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const name = (promise) => promise.then(() => 'resolved', (error) => error.name);
      return {
        invalidSdp: await name(pc.setRemoteDescription({ type: 'offer', sdp: 'not sdp' })),
        answerInStable: await name(pc.setRemoteDescription({ type: 'answer', sdp: 'v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n' })),
        badType: await name(pc.setRemoteDescription({ type: 'bogus', sdp: '' })),
        missing: await name(pc.setRemoteDescription()),
        answerWithoutOffer: await name(pc.createAnswer()),
      };
    }""")
    assert errors == {
        "invalidSdp": "OperationError", "answerInStable": "InvalidStateError", "badType": "TypeError",
        "missing": "TypeError", "answerWithoutOffer": "InvalidStateError",
    }


def test_set_remote_description_of_bad_sdp_is_an_rtc_error_after_the_state_check(shim_page: Page) -> None:
    """webrtc-pc: SDP that does not parse rejects with an RTCError (sdp-syntax-error, with
    the line), once the description's type suits the signaling state (else InvalidStateError)."""
    result = run(shim_page, """async () => {
      const failure = (promise) => promise.then(() => 'resolved', (error) => ({
        name: error.name, isRTCError: error instanceof RTCError, errorDetail: error.errorDetail,
        sdpLineNumber: error.sdpLineNumber }));
      return {
        offer: await failure(new RTCPeerConnection().setRemoteDescription({ type: 'offer', sdp: 'v=0\\r\\nnot sdp\\r\\n' })),
        answerInStable: (await failure(new RTCPeerConnection().setRemoteDescription({ type: 'answer', sdp: 'not sdp' }))).name,
      };
    }""")
    assert result == {
        "offer": {"name": "OperationError", "isRTCError": True, "errorDetail": "sdp-syntax-error", "sdpLineNumber": 2},
        "answerInStable": "InvalidStateError",
    }


def test_rtcp_mux_policy_negotiate_is_kept_and_unmuxed_rtp_is_refused(shim_page: Page) -> None:
    """rtcpMuxPolicy "negotiate" is taken and kept, as in Chromium (setConfiguration may not
    change it); aiortc always muxes RTCP, so a description without a=rtcp-mux is an
    InvalidAccessError, as webrtc-pc says under "require"."""
    result = run(shim_page, """async () => {
      const name = async (attempt) => { try { await attempt(); return 'ok'; } catch (error) { return error.name; } };
      const negotiating = new RTCPeerConnection({ rtcpMuxPolicy: 'negotiate' });
      const offerer = new RTCPeerConnection();
      offerer.addTransceiver('audio');
      const offer = await offerer.createOffer();
      const unmuxed = { type: 'offer', sdp: offer.sdp.replace(/a=rtcp-mux\\r\\n/g, '') };
      return {
        policy: negotiating.getConfiguration().rtcpMuxPolicy,
        toRequire: await name(() => negotiating.setConfiguration({})),
        toNegotiate: await name(() => new RTCPeerConnection().setConfiguration({ rtcpMuxPolicy: 'negotiate' })),
        unmuxedOffer: await name(() => new RTCPeerConnection().setRemoteDescription(unmuxed)),
        muxedOffer: await name(() => new RTCPeerConnection().setRemoteDescription(offer)),
      };
    }""")
    assert result == {"policy": "negotiate", "toRequire": "InvalidModificationError",
                      "toNegotiate": "InvalidModificationError", "unmuxedOffer": "InvalidAccessError", "muxedOffer": "ok"}


def test_ice_candidate_constructor_parses_and_validates(shim_page: Page) -> None:
    result = shim_page.evaluate("""() => {
      const candidate = new RTCIceCandidate({
        candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.77.0.1 rport 46154 generation 0 ufrag abcd',
        sdpMLineIndex: 0,
      });
      let error;
      try { new RTCIceCandidate({ candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host' }); } catch (e) { error = e.name; }
      return {
        fields: [candidate.foundation, candidate.component, candidate.protocol, candidate.priority, candidate.address,
                 candidate.port, candidate.type, candidate.relatedAddress, candidate.relatedPort, candidate.usernameFragment],
        json: candidate.toJSON(),
        error,
      };
    }""")
    # usernameFragment is the dictionary's (null here), not the string's ufrag: webrtc-pc, and native Chromium.
    assert result["fields"] == ["842163049", "rtp", "udp", 1677729535, "203.0.113.7", 46154, "srflx",
                                "10.77.0.1", 46154, None]
    assert result["json"]["sdpMid"] is None and result["json"]["sdpMLineIndex"] == 0
    assert result["error"] == "TypeError"


def test_session_description_legacy_sdp_is_writable(shim_page: Page) -> None:
    result = shim_page.evaluate("""() => {
      const description = new RTCSessionDescription({ type: 'offer', sdp: 'v=0' });
      description.sdp = description.sdp + '\\r\\n';
      let bad;
      try { new RTCSessionDescription({ type: 'nonsense' }); } catch (error) { bad = error.name; }
      return { json: JSON.stringify(description), bad, tag: Object.prototype.toString.call(description) };
    }""")
    assert result == {"json": '{"type":"offer","sdp":"v=0\\r\\n"}', "bad": "TypeError",
                      "tag": "[object RTCSessionDescription]"}


# --- negotiationneeded and the operations chain ------------------------------------------

def test_negotiationneeded_fires_once_after_the_call_that_needs_it(shim_page: Page) -> None:
    result = shim_page.evaluate("""async () => {
      const pc = new RTCPeerConnection();
      const fired = [];
      pc.onnegotiationneeded = () => fired.push(pc.signalingState);
      pc.createDataChannel('first');
      const synchronously = fired.length;
      await until(() => fired.length === 1, 'negotiationneeded');
      pc.createDataChannel('second');
      pc.addTransceiver('audio');
      await settled();
      return { synchronously, fired };
    }""")
    assert result == {"synchronously": 0, "fired": ["stable"]}


def test_negotiationneeded_waits_while_the_operations_chain_is_busy(shim_page: Page) -> None:
    """A track added just before the remote offer is applied goes into the answer: no
    negotiation is left to do, so no event (period libraries answer so, and an event here
    made them send a second offer in the middle of answering)."""
    result = shim_page.evaluate("""async () => {
      const caller = new RTCPeerConnection();
      const callee = new RTCPeerConnection();
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      caller.addTrack(stream.getTracks()[0], stream);
      await caller.setLocalDescription(await caller.createOffer());
      const fired = [];
      callee.onnegotiationneeded = () => fired.push(callee.signalingState);
      const [track] = (await navigator.mediaDevices.getUserMedia({ audio: true })).getTracks();
      callee.addTrack(track);
      await callee.setRemoteDescription(caller.localDescription);
      await callee.setLocalDescription(await callee.createAnswer());
      await caller.setRemoteDescription(callee.localDescription);
      await settled();
      return { fired, answer: callee.localDescription.sdp.match(/^a=(sendrecv|sendonly|recvonly|inactive)/m)[1] };
    }""")
    assert result == {"fired": [], "answer": "sendrecv"}


def test_negotiationneeded_fires_after_a_negotiation_that_left_something_out(shim_page: Page) -> None:
    result = shim_page.evaluate("""async () => {
      const offerer = new RTCPeerConnection();
      const answerer = new RTCPeerConnection();
      offerer.addTransceiver('audio');
      await offerer.setLocalDescription(await offerer.createOffer());
      const fired = [];
      offerer.onnegotiationneeded = () => fired.push(offerer.signalingState);
      offerer.createDataChannel('late');  // in have-local-offer: not in this negotiation
      await answerer.setRemoteDescription(offerer.localDescription);
      await answerer.setLocalDescription(await answerer.createAnswer());
      await offerer.setRemoteDescription(answerer.localDescription);
      const whenResolved = fired.length;
      await until(() => fired.length === 1, 'negotiationneeded after the answer');
      await settled();
      return { whenResolved, fired };
    }""")
    assert result == {"whenResolved": 0, "fired": ["stable"]}
