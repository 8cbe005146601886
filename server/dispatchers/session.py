"""The root object of a session: the page's entry point for peer connections and media."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from ..configuration import to_aiortc_configuration
from ..dispatcher import Dispatcher, Params, Result
from ..errors import BridgeTypeError, NotFoundError, UnknownError
from ..media import constraints as track_constraints
from ..media.upload import UploadedSource
from ..protocol import ROOT_HANDLE
from ..spare_certificates import SpareCertificates, expires_within
from . import certificate as dtls_certificate
from .media_stream_track import MediaTrackDispatcher
from .peer_connection import PeerConnectionDispatcher

if TYPE_CHECKING:
    from ..session import Session

DEVICE_KINDS = {"audio": "audioinput", "video": "videoinput"}
# Keys one session generates at a time on the key threads (certificate.KEY_GENERATION: RSA);
# its further generateCertificate calls wait their turn, so no page holds all the threads.
KEY_GENERATIONS_PER_SESSION = 1


class SessionDispatcher(Dispatcher):
    interface = "Session"

    def __init__(self, session: Session) -> None:
        super().__init__(session, ROOT_HANDLE, None)
        self.commands = {
            "createPeerConnection": self.create_peer_connection,
            "getUserMedia": self.get_user_media,
            "enumerateDevices": self.enumerate_devices,
            "uploadTrack": self.upload_track,
            "generateCertificate": self.generate_certificate,
            "takeSpareCertificate": self.take_spare_certificate,
        }
        self._key_generations = asyncio.Semaphore(KEY_GENERATIONS_PER_SESSION)
        self.spare_certificates = SpareCertificates()

    async def create_peer_connection(self, params: Params) -> Result:
        configuration = params["configuration"]
        certificates: list[dtls_certificate.CertificateDispatcher] = configuration["certificates"]
        for certificate in certificates:
            certificate.check_unexpired()
        self.session.limits.check("peer_connections", self.session.held["PeerConnection"] + 1,
                                  "Cannot create so many PeerConnections", UnknownError)
        peer_connection = PeerConnectionDispatcher(
            self.session, params["peerConnection"], self, configuration,
            to_aiortc_configuration(configuration),
            certificate=certificates[0].certificate if certificates else None,
        )
        return {"fingerprints": dtls_certificate.dtls_fingerprints(peer_connection.certificate)}

    async def generate_certificate(self, params: Params) -> Result:
        if dtls_certificate.generates_quickly(params["algorithm"]):
            # Less than the trip to a key thread and back costs under load.
            generated = dtls_certificate.generate(params["algorithm"])
        else:
            async with self._key_generations:
                generated = await asyncio.get_running_loop().run_in_executor(
                    dtls_certificate.KEY_GENERATION, dtls_certificate.generate, params["algorithm"])
        certificate = dtls_certificate.CertificateDispatcher(
            self.session, self.session.new_handle("Certificate"), self, generated)
        certificate.announce()
        return {"certificate": certificate.guid}

    def offer_spare_certificate(self) -> None:
        """Make a spare certificate and give the page its fingerprint (spare_certificates.py)."""
        spare, certificate = self.spare_certificates.make()
        self.emit("spareCertificate", {
            "spare": spare, "fingerprints": dtls_certificate.page_fingerprints(certificate)})

    async def take_spare_certificate(self, params: Params) -> Result:
        taken = self.spare_certificates.take(params["spare"])
        dtls_certificate.CertificateDispatcher(
            self.session, params["certificate"], self, taken, expires_within(taken, params["expires"]))
        self.offer_spare_certificate()  # before the reply: the page has the next one as soon as can be
        return {}

    async def get_user_media(self, params: Params) -> Result:
        """Choose a device and settings per kind first; make tracks only if all kinds can."""
        chosen = []
        for kind, device_kind in DEVICE_KINDS.items():
            requested: Any = params[kind]
            if requested in (None, False):
                continue
            constraints = track_constraints.normalize(requested)
            devices = [d for d in self.session.media_sources.devices if d.kind == device_kind]
            if not devices:
                raise NotFoundError(f"this server offers no {device_kind} device")
            device, settings = track_constraints.select_settings(constraints, devices)
            # getConstraints() gives back what the page asked for (true asked for nothing).
            chosen.append((kind, device, settings, requested if isinstance(requested, dict) else {}))
        self.check_room_for_tracks(len(chosen))
        tracks = []
        for kind, device, settings, constraints in chosen:
            track = MediaTrackDispatcher(
                self.session, self.session.new_handle("MediaStreamTrack"), self, kind=kind,
                track_id=str(uuid.uuid4()), label=device.label, source=device.make(settings),
                device=device, settings=settings, constraints=constraints,
            )
            track.announce()
            tracks.append(track.guid)
        return {"tracks": tracks}

    async def upload_track(self, params: Params) -> Result:
        if not isinstance(params["settings"], dict):  # the page's getSettings(): a dictionary
            raise BridgeTypeError("uploadTrack's settings must be an object")
        self.check_room_for_tracks()
        MediaTrackDispatcher(
            self.session, params["track"], self, kind=params["kind"], track_id=params["id"],
            label=params["label"], source=UploadedSource(params["kind"], self.session.limits),
            settings=params["settings"],
        )
        return {}

    def check_room_for_tracks(self, adding: int = 1) -> None:
        """Every call that makes tracks asks first (getUserMedia, clone, uploads, transceivers)."""
        self.session.limits.check(
            "tracks", self.session.held["MediaStreamTrack"] + adding, "Cannot create so many tracks")

    async def enumerate_devices(self, params: Params) -> Result:
        return {"devices": [
            {"deviceId": device.device_id, "kind": device.kind, "label": device.label, "groupId": device.group_id,
             "capabilities": device.track_capabilities()}
            for device in self.session.media_sources.devices
        ]}
