"""The 2013 call forms (webrtc-pc "legacy interface extensions" and older), end to end.

Every call here goes through the bridge to a real aiortc peer connection: the callback
forms must reach the same server operations as the promise forms, call exactly one
callback, and return a promise that resolves to undefined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from rtcshim.serving import ServerThread

from .page_helpers import run


def media_kinds(sdp: str) -> list[str]:
    return re.findall(r"^m=(\w+) ", sdp, flags=re.MULTILINE)


def media_directions(sdp: str) -> list[str]:
    """The direction attribute of each media section, in order."""
    sections = re.split(r"^m=", sdp, flags=re.MULTILINE)[1:]
    directions = []
    for section in sections:
        found = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", section, flags=re.MULTILINE)
        directions.append(found[0] if found else "")
    return directions


def assert_one_success(outcome: dict[str, Any]) -> list[Any]:
    """The shape every successful legacy call has; returns the success callback's arguments."""
    assert outcome["isPromise"] is True
    assert outcome["resolvedUndefined"] is True
    assert [call["callback"] for call in outcome["calls"]] == ["success"]
    args: list[Any] = outcome["calls"][0]["args"]
    return args


def assert_one_failure(outcome: dict[str, Any], error_name: str) -> None:
    assert outcome["isPromise"] is True
    assert outcome["resolvedUndefined"] is True
    assert [call["callback"] for call in outcome["calls"]] == ["failure"]
    assert outcome["calls"][0]["args"] == [
        {"isDOMException": True, "name": error_name, "hasMessage": True}
    ]


# --- createOffer / createAnswer ------------------------------------------------------


@pytest.mark.parametrize("invoke", [
    pytest.param("(success, failure) => pc.createOffer(success, failure)", id="success-and-failure"),
    pytest.param("(success) => pc.createOffer(success)", id="success-only"),
])
def test_createOffer_with_callbacks_calls_success_with_offer(shim_page: Page, invoke: str) -> None:
    outcome = run(
        shim_page,
        f"""async () => {{
          const pc = new RTCPeerConnection();
          pc.createDataChannel('x');
          const outcome = await callbackOutcome({invoke});
          for (const call of outcome.calls) call.args = call.args.map(describeDescription);
          outcome.signalingState = pc.signalingState;
          return outcome;
        }}""",
    )
    [offer] = assert_one_success(outcome)
    assert offer["isSessionDescription"] is True
    assert offer["type"] == "offer"
    assert offer["sdp"].startswith("v=0")
    assert media_kinds(offer["sdp"]) == ["application"]
    assert outcome["signalingState"] == "stable"


OFFER_OPTION_CASES = [
    pytest.param(
        "(success, failure) => pc.createOffer(success, null, "
        "{ mandatory: { OfferToReceiveAudio: true, OfferToReceiveVideo: true } })",
        ["audio", "video"], id="legacy-mandatory-constraints",
    ),
    pytest.param(
        "(success, failure) => pc.createOffer(success, failure, { offerToReceiveAudio: 1 })",
        ["audio"], id="legacy-flat-numeric-constraint",
    ),
    pytest.param(
        "(success, failure) => pc.createOffer(success, failure, { optional: [{ OfferToReceiveVideo: true }] })",
        ["video"], id="legacy-optional-constraint",
    ),
    pytest.param(
        "(success, failure) => pc.createOffer({ offerToReceiveVideo: true }).then(success, failure)",
        ["video"], id="promise-form-options",
    ),
]


@pytest.mark.parametrize(("invoke", "expected_kinds"), OFFER_OPTION_CASES)
def test_createOffer_offer_to_receive_adds_recvonly_media_sections(
    shim_page: Page, invoke: str, expected_kinds: list[str]
) -> None:
    outcome = run(
        shim_page,
        f"""async () => {{
          const pc = new RTCPeerConnection();
          const outcome = await callbackOutcome({invoke});
          for (const call of outcome.calls) call.args = call.args.map(describeDescription);
          return outcome;
        }}""",
    )
    assert [call["callback"] for call in outcome["calls"]] == ["success"]
    offer = outcome["calls"][0]["args"][0]
    assert offer["type"] == "offer"
    assert media_kinds(offer["sdp"]) == expected_kinds
    assert media_directions(offer["sdp"]) == ["recvonly"] * len(expected_kinds)


def test_createOffer_offer_to_receive_keeps_data_channel_section(shim_page: Page) -> None:
    outcome = run(
        shim_page,
        """async () => {
          const pc = new RTCPeerConnection();
          pc.createDataChannel('x');
          const outcome = await callbackOutcome((success, failure) =>
            pc.createOffer(success, failure, { mandatory: { OfferToReceiveAudio: true } }));
          for (const call of outcome.calls) call.args = call.args.map(describeDescription);
          return outcome;
        }""",
    )
    [offer] = assert_one_success(outcome)
    assert sorted(media_kinds(offer["sdp"])) == ["application", "audio"]


def test_createAnswer_with_callbacks_calls_success_with_answer(shim_page: Page) -> None:
    outcome = run(
        shim_page,
        """async () => {
          const a = new RTCPeerConnection();
          const b = new RTCPeerConnection();
          a.createDataChannel('x');
          await a.setLocalDescription(await a.createOffer());
          await b.setRemoteDescription(a.localDescription);
          const outcome = await callbackOutcome((success, failure) => b.createAnswer(success, failure));
          for (const call of outcome.calls) call.args = call.args.map(describeDescription);
          outcome.signalingState = b.signalingState;
          return outcome;
        }""",
    )
    [answer] = assert_one_success(outcome)
    assert answer["isSessionDescription"] is True
    assert answer["type"] == "answer"
    assert media_kinds(answer["sdp"]) == ["application"]
    assert outcome["signalingState"] == "have-remote-offer"


# --- setLocalDescription / setRemoteDescription / addIceCandidate ---------------------


# Each sets up `pc`, `invoke(success, failure)` and `facts()`: what the call changed.
VOID_SUCCESS_CASES = [
    pytest.param(
        """const pc = new RTCPeerConnection();
           pc.createDataChannel('x');
           const offer = await pc.createOffer();
           const invoke = (success, failure) => pc.setLocalDescription(offer, success, failure);
           const facts = () => ({ localType: pc.localDescription && pc.localDescription.type });""",
        {"stateInCallback": "have-local-offer", "localType": "offer"},
        id="setLocalDescription-offer",
    ),
    pytest.param(
        """const { offer } = await offerAndAnswer();
           const pc = new RTCPeerConnection();
           const description = new RTCSessionDescription(offer);
           const invoke = (success, failure) => pc.setRemoteDescription(description, success, failure);
           const facts = () => ({
             remoteMatches: pc.remoteDescription.type === 'offer' && pc.remoteDescription.sdp === offer.sdp });""",
        {"stateInCallback": "have-remote-offer", "remoteMatches": True},
        id="setRemoteDescription-session-description-object",
    ),
    pytest.param(
        """const a = new RTCPeerConnection();
           const pc = new RTCPeerConnection();
           a.createDataChannel('x');
           const gathered = new Promise((resolve) => {
             const candidates = [];
             a.onicecandidate = (event) => {
               if (event.candidate) candidates.push(event.candidate.toJSON());
               else resolve(candidates);
             };
           });
           await a.setLocalDescription(await a.createOffer());
           await pc.setRemoteDescription(a.localDescription);
           const candidates = await within(gathered, 'the end of candidates');
           const invoke = (success, failure) => pc.addIceCandidate(new RTCIceCandidate(candidates[0]), success, failure);
           const facts = () => ({ hasCandidates: candidates.length >= 1 });""",
        {"stateInCallback": "have-remote-offer", "hasCandidates": True},
        id="addIceCandidate-ice-candidate-object",
    ),
]


@pytest.mark.parametrize(("setup", "facts"), VOID_SUCCESS_CASES)
def test_legacy_call_succeeding_calls_success_without_arguments(
    shim_page: Page, setup: str, facts: dict[str, Any]
) -> None:
    outcome = run(
        shim_page,
        f"""async () => {{
          {setup}
          let stateInCallback = null;
          const outcome = await callbackOutcome((success, failure) => invoke(
            (...args) => {{ stateInCallback = pc.signalingState; success(...args); }}, failure));
          outcome.argsUndefined = outcome.calls.every((call) => call.args.every((arg) => arg === undefined));
          for (const call of outcome.calls) delete call.args;
          return {{ ...outcome, stateInCallback, ...facts() }};
        }}""",
    )
    assert outcome == {
        "isPromise": True, "resolvedUndefined": True, "calls": [{"callback": "success"}], "argsUndefined": True,
        **facts,
    }


# --- failures --------------------------------------------------------------------------

FAILURE_CASES = [
    pytest.param(
        """const { answer } = await offerAndAnswer();
           const invoke = (success, failure) =>
             pc.setRemoteDescription(new RTCSessionDescription(answer), success, failure);""",
        "InvalidStateError", id="setRemoteDescription-answer-in-stable",
    ),
    pytest.param(
        """const invoke = (success, failure) => pc.createAnswer(success, failure);""",
        "InvalidStateError", id="createAnswer-without-remote-offer",
    ),
    pytest.param(
        """const invoke = (success, failure) => pc.setRemoteDescription(
             new RTCSessionDescription({ type: 'offer', sdp: 'this is not SDP' }), success, failure);""",
        "OperationError", id="setRemoteDescription-garbage-sdp",
    ),
    pytest.param(
        """const { answer } = await offerAndAnswer();
           const invoke = (success, failure) =>
             pc.setLocalDescription(new RTCSessionDescription(answer), success, failure);""",
        "InvalidStateError", id="setLocalDescription-answer-in-stable",
    ),
    pytest.param(
        """const invoke = (success, failure) => pc.addIceCandidate(new RTCIceCandidate({
             candidate: 'candidate:1 1 udp 2130706431 10.77.0.1 40000 typ host', sdpMid: '0',
             sdpMLineIndex: 0 }), success, failure);""",
        "InvalidStateError", id="addIceCandidate-without-remote-description",
    ),
    pytest.param(
        """pc.close();
           const invoke = (success, failure) => pc.createOffer(success, failure);""",
        "InvalidStateError", id="createOffer-on-closed-connection",
    ),
]


@pytest.mark.parametrize(("setup", "error_name"), FAILURE_CASES)
def test_legacy_call_failing_calls_failure_with_dom_exception(
    shim_page: Page, setup: str, error_name: str
) -> None:
    outcome = run(
        shim_page,
        f"""async () => {{
          const pc = new RTCPeerConnection();
          {setup}
          const stateBefore = pc.signalingState;
          const outcome = await callbackOutcome(invoke);
          for (const call of outcome.calls) {{
            call.args = call.args.map((arg) => (arg instanceof Error || arg instanceof DOMException)
              ? describeError(arg) : String(arg));
          }}
          outcome.stateUnchanged = pc.signalingState === stateBefore;
          return outcome;
        }}""",
    )
    assert_one_failure(outcome, error_name)
    assert outcome["stateUnchanged"] is True


# --- a whole call, 2013 style ----------------------------------------------------------


def test_legacy_call_between_two_connections_delivers_data_channel_message(
    shim_page: Page, server: ServerThread
) -> None:
    result = run(
        shim_page,
        """async () => {
          const failures = [];
          const fail = (where) => (error) => failures.push(`${where}: ${error.name}`);
          const configuration = { iceServers: [] };
          const constraints = { optional: [{ DtlsSrtpKeyAgreement: true }] };
          const caller = new webkitRTCPeerConnection(configuration, constraints);
          const callee = new webkitRTCPeerConnection(configuration, constraints);
          caller.onicecandidate = (event) => {
            if (event.candidate) {
              callee.addIceCandidate(new RTCIceCandidate(event.candidate), () => {}, fail('callee addIceCandidate'));
            }
          };
          callee.onicecandidate = (event) => {
            if (event.candidate) {
              caller.addIceCandidate(new RTCIceCandidate(event.candidate), () => {}, fail('caller addIceCandidate'));
            }
          };
          const channel = caller.createDataChannel('chat');
          const received = new Promise((resolve) => {
            callee.ondatachannel = (event) => { event.channel.onmessage = (message) => resolve(message.data); };
          });
          const opened = new Promise((resolve) => { channel.onopen = resolve; });
          const answered = new Promise((resolve) => {
            caller.createOffer((offer) => {
              caller.setLocalDescription(offer, () => {
                callee.setRemoteDescription(new RTCSessionDescription(offer), () => {
                  callee.createAnswer((answer) => {
                    callee.setLocalDescription(answer, () => {
                      caller.setRemoteDescription(new RTCSessionDescription(answer), resolve,
                        fail('caller setRemoteDescription'));
                    }, fail('callee setLocalDescription'));
                  }, fail('callee createAnswer'));
                }, fail('callee setRemoteDescription'));
              }, fail('caller setLocalDescription'));
            }, fail('caller createOffer'), { mandatory: { OfferToReceiveAudio: false, OfferToReceiveVideo: false } });
          });
          await answered;
          await opened;
          channel.send('hello from 2013');
          return {
            message: await received, failures,
            states: [caller.signalingState, callee.signalingState],
          };
        }""",
    )
    assert result == {
        "message": "hello from 2013",
        "failures": [],
        "states": ["stable", "stable"],
    }
    assert len([o for o in server.registry.objects() if o.interface == "PeerConnection"]) == 2


# --- prefixed names and legacy constructor arguments -----------------------------------


def test_prefixed_constructors_are_the_standard_constructors(
    shim_context: BrowserContext, open_shim_page: Callable[[], Page]
) -> None:
    shim_context.add_init_script("window.rtcshimOptions = { prefixes: 'all' };")
    result = run(
        open_shim_page(),
        """() => ({
          webkitRTCPeerConnection: window.webkitRTCPeerConnection === RTCPeerConnection,
          mozRTCPeerConnection: window.mozRTCPeerConnection === RTCPeerConnection,
          mozRTCSessionDescription: window.mozRTCSessionDescription === RTCSessionDescription,
          webkitRTCSessionDescription: window.webkitRTCSessionDescription === RTCSessionDescription,
          msRTCSessionDescription: window.msRTCSessionDescription === RTCSessionDescription,
          mozRTCIceCandidate: window.mozRTCIceCandidate === RTCIceCandidate,
          prefixedInstance: new webkitRTCPeerConnection() instanceof RTCPeerConnection,
          prefixedDescription: new mozRTCSessionDescription({ type: 'offer', sdp: '' }) instanceof RTCSessionDescription,
          prefixedCandidate: new mozRTCIceCandidate({ candidate: '', sdpMid: '0' }) instanceof RTCIceCandidate,
        })""",
    )
    assert result == dict.fromkeys(result, True)
    assert len(result) == 9


def test_RTCPeerConnection_legacy_url_and_constraints_are_accepted(
    shim_page: Page, server: ServerThread
) -> None:
    result = run(
        shim_page,
        """async () => {
          const pc = new RTCPeerConnection({ iceServers: [{ url: 'stun:127.0.0.1:3478' }] },
            { optional: [{ DtlsSrtpKeyAgreement: true }, { RtpDataChannels: true }] });
          pc.createDataChannel('x');
          const outcome = await callbackOutcome((success, failure) => pc.createOffer(success, failure));
          return {
            iceServers: pc.getConfiguration().iceServers,
            signalingState: pc.signalingState,
            callbacks: outcome.calls.map((call) => call.callback),
            offerType: outcome.calls[0].args[0].type,
          };
        }""",
    )
    assert result == {
        "iceServers": [{"urls": ["stun:127.0.0.1:3478"]}],
        "signalingState": "stable",
        "callbacks": ["success"],
        "offerType": "offer",
    }
    [peer_connection] = [o for o in server.registry.objects() if o.interface == "PeerConnection"]
    # The server's copy names every field; what the page left out is None there.
    assert peer_connection.configuration["iceServers"] == [
        {"urls": ["stun:127.0.0.1:3478"], "username": None, "credential": None}]
