"""Interop: stock smpclient and smpmgr (PyPI) against fireball-smp's UDP example.

Run from the workspace root:

    python3 -m venv /work/venv-smp
    /work/venv-smp/bin/pip install -r smp/tests/requirements.txt
    nice -n 10 cargo build -p fireball-smp --example udp_server
    /work/venv-smp/bin/python smp/tests/interop.py

It starts target/debug/examples/udp_server (or $SMP_UDP_SERVER) on a free port and, with
smpclient over SMPUDPTransport: echoes, reads the MCUmgr parameters, uploads a 20 KB
package with `SMPClient.upload` (ImageUploadWrite chunks sized from buf_size, SHA-256 in the
first), reads the image state and finds the package's hash, lists and removes the module
through the Fireball group (64) with request models subclassed from smp's, and checks the
refusals (a second remove: NO_ENTRY; a package that is not FBPK: INVALID; an unknown group:
NOT_SUPPORTED). Then, on port 1337 (smpmgr's fixed UDP port) if it is free, smpmgr's
`os echo` and `image state-read` CLI commands (not `image upload`: smpmgr parses the file
as an MCUboot image first and refuses anything without MCUboot's magic). Last, the serial
framing: the example in `--stdio` mode behind a pty, smpclient's SMPSerialTransport on the
pty's other end (echo, params, a 6 KB upload, image state). Exits non-zero on the first
failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tty
from enum import IntEnum
from hashlib import sha256
from pathlib import Path

from smp import error as smperr
from smp import header as smphdr
from smp import message as smpmsg
from smpclient import SMPClient
from smpclient.generics import error, error_v1, success
from smpclient.requests.image_management import ImageStatesRead
from smpclient.requests.os_management import EchoWrite, MCUMgrParametersRead
from smpclient.transport.udp import SMPUDPTransport

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(os.environ.get("SMP_UDP_SERVER", ROOT / "target/debug/examples/udp_server"))
FIREBALL_GROUP = 64


# --- The Fireball group (64), as a client would declare it ---------------------------------
class FireballRc(IntEnum):
    """Group-specific codes (none yet: errors come as SMP v1 `rc`)."""

    OK = 0


class FireballErrorV1(smperr.ErrorV1):
    _GROUP_ID = FIREBALL_GROUP


class FireballErrorV2(smperr.ErrorV2[FireballRc]):
    _GROUP_ID = FIREBALL_GROUP


class RemoveResponse(smpmsg.WriteResponse):
    _GROUP_ID = FIREBALL_GROUP
    _COMMAND_ID = 0


class Remove(smpmsg.WriteRequest):
    _GROUP_ID = FIREBALL_GROUP
    _COMMAND_ID = 0
    _Response = RemoveResponse
    _ErrorV1 = FireballErrorV1
    _ErrorV2 = FireballErrorV2

    name: str


class Module(smpmsg.BaseModel):
    model_config = smpmsg.ConfigDict(extra="forbid", frozen=True)
    image: int
    name: str
    version: str
    hash: bytes
    state: str


class ListResponse(smpmsg.ReadResponse):
    _GROUP_ID = FIREBALL_GROUP
    _COMMAND_ID = 1
    modules: list[Module]


class List(smpmsg.ReadRequest):
    _GROUP_ID = FIREBALL_GROUP
    _COMMAND_ID = 1
    _Response = ListResponse
    _ErrorV1 = FireballErrorV1
    _ErrorV2 = FireballErrorV2


class UnknownErrorV1(smperr.ErrorV1):
    _GROUP_ID = 99


class UnknownErrorV2(smperr.ErrorV2[FireballRc]):
    _GROUP_ID = 99


class UnknownResponse(smpmsg.ReadResponse):
    _GROUP_ID = 99
    _COMMAND_ID = 0


class UnknownGroupRead(smpmsg.ReadRequest):
    """A group the server does not have."""

    _GROUP_ID = 99
    _COMMAND_ID = 0
    _Response = UnknownResponse
    _ErrorV1 = UnknownErrorV1
    _ErrorV2 = UnknownErrorV2


# --- Helpers ----------------------------------------------------------------------------
class PortedUDP(SMPUDPTransport):
    """SMPUDPTransport on a port of our choosing (SMPClient.connect passes none)."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    async def connect(self, address: str, timeout_s: float, port: int = 1337) -> None:
        await super().connect(address, timeout_s, self._port)


def package(name: str, version: str, size: int) -> bytes:
    head = b"FBPK" + bytes([len(name)]) + name.encode() + bytes([len(version)]) + version.encode()
    return head + bytes((i * 7) % 251 for i in range(size - len(head)))


def start_server(port: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([str(SERVER), str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, int(line.rsplit(":", 1)[1])


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}")


# --- smpclient ----------------------------------------------------------------------------
async def smpclient_session(port: int) -> None:
    blob = package("stats", "1.2.0", 20 * 1024)
    async with SMPClient(PortedUDP(port), "127.0.0.1") as client:
        r = await client.request(EchoWrite(d="hello fireball"))
        check(success(r) and r.r == "hello fireball", "echo")

        r = await client.request(MCUMgrParametersRead())
        check(success(r) and r.buf_size == 1024 and r.buf_count == 1, f"params {r}")

        offsets = [off async for off in client.upload(blob)]
        check(offsets[-1] == len(blob) and len(offsets) > 10, f"upload in {len(offsets)} chunks")

        r = await client.request(ImageStatesRead())
        check(success(r), "image state read")
        mine = [i for i in r.images if i.hash == sha256(blob).digest()]
        check(
            len(mine) == 1 and mine[0].version == "1.2.0" and mine[0].slot == 0 and mine[0].active,
            f"uploaded image listed: {mine}",
        )

        r = await client.request(List())
        check(success(r) and [m.name for m in r.modules] == ["stats"], f"fireball list {r}")

        r = await client.request(Remove(name="stats"))
        check(success(r), f"fireball remove {r}")
        r = await client.request(Remove(name="stats"))
        check(error_v1(r) and r.rc == smperr.MGMT_ERR.ENOENT and r.rsn, f"second remove refused {r}")

        r = await client.request(ImageStatesRead())
        check(success(r) and r.images == [], "image list empty after remove")

        try:
            async for _ in client.upload(b"NOPE" + bytes(3000)):
                pass
            check(False, "non-FBPK upload refused")
        except Exception as e:  # SMPUploadError carrying the ErrorV1
            check("EINVAL" in repr(e) or "rc=<MGMT_ERR.EINVAL" in repr(e), f"non-FBPK upload refused: {e!r}")

        r = await client.request(UnknownGroupRead())
        check(error(r) and r.rc == smperr.MGMT_ERR.ENOTSUP, f"unknown group {r}")


# --- smpmgr -------------------------------------------------------------------------------
def smpmgr_session() -> None:
    smpmgr = Path(sys.executable).with_name("smpmgr")
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.bind(("127.0.0.1", 1337))
    except OSError:
        print("skip: smpmgr (port 1337 is taken)")
        return
    probe.close()
    proc, _ = start_server(1337)
    try:
        def run(*args: str) -> str:
            out = subprocess.run(
                [str(smpmgr), "--ip", "127.0.0.1", *args], capture_output=True, text=True, timeout=30
            )
            check(out.returncode == 0, f"smpmgr {' '.join(args)} exits 0 ({out.stderr[-300:]})")
            return out.stdout

        check("hi from smpmgr" in run("os", "echo", "hi from smpmgr"), "smpmgr os echo")
        run("image", "state-read")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- The serial framing, over a pty ----------------------------------------------------------
async def serial_session() -> None:
    from smpclient.transport.serial import SMPSerialTransport

    controller, device = os.openpty()
    tty.setraw(controller)
    proc = subprocess.Popen([str(SERVER), "--stdio"], stdin=controller, stdout=controller)
    os.close(controller)
    try:
        blob = package("filter", "0.3.1", 6 * 1024)
        transport = SMPSerialTransport()
        async with SMPClient(transport, os.ttyname(device), timeout_s=5.0) as client:
            r = await client.request(EchoWrite(d="over serial"))
            check(success(r) and r.r == "over serial", "serial echo")
            r = await client.request(MCUMgrParametersRead())
            check(success(r) and r.buf_size == 1024, "serial params")
            offsets = [off async for off in client.upload(blob)]
            check(offsets[-1] == len(blob), f"serial upload in {len(offsets)} chunks")
            r = await client.request(ImageStatesRead())
            check(
                success(r) and [i.hash for i in r.images] == [sha256(blob).digest()],
                "serial image state",
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        os.close(device)


def main() -> None:
    proc, port = start_server(0)
    try:
        asyncio.run(smpclient_session(port))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    smpmgr_session()
    asyncio.run(serial_session())
    print("interop: all passed")


if __name__ == "__main__":
    main()
