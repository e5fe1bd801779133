"""Writes fuzz/seeds/smp/: valid SMP requests, raw (the UDP path) and serial-framed (the
FrameDecoder path), the seeds of `cargo xtask fuzz smp`. Made with smp 4.2.0 (the venv of
smp/tests/interop.py): /work/venv-smp/bin/python fuzz/seeds/make_smp_seeds.py
"""

from hashlib import sha256
from pathlib import Path

from smp import packet
from smp.image_management import ImageEraseRequest, ImageStatesReadRequest, ImageUploadWriteRequest
from smp.os_management import EchoWriteRequest, MCUMgrParametersReadRequest

blob = b"FBPK\x05stats\x051.2.0" + bytes(40)
requests = {
    "echo": EchoWriteRequest(d="hello", sequence=1).BYTES,
    "params": MCUMgrParametersReadRequest(sequence=2).BYTES,
    "state": ImageStatesReadRequest(sequence=3).BYTES,
    "upload_whole": ImageUploadWriteRequest(
        off=0, data=blob, image=0, len=len(blob), sha=sha256(blob).digest(), upgrade=False, sequence=4
    ).BYTES,
    "upload_first": ImageUploadWriteRequest(off=0, data=blob[:20], image=0, len=len(blob), sequence=5).BYTES,
    "upload_next": ImageUploadWriteRequest(off=20, data=blob[20:], sequence=6).BYTES,
    "erase": ImageEraseRequest(sequence=7).BYTES,
    # Fireball group 64: list (read, id 1) and remove (write, id 0) {"name": "m0"}
    "list": bytes.fromhex("0800000100400801a0"),
    "remove": bytes.fromhex("0a00000900400900a1646e616d65626d30"),
}
out = Path(__file__).with_name("smp")
for name, pkt in requests.items():
    (out / f"{name}.raw").write_bytes(pkt)
    (out / f"{name}.serial").write_bytes(b"".join(packet.encode(pkt, line_length=128)))
(out / "first_then_next.serial").write_bytes(
    b"".join(packet.encode(requests["upload_first"], 128)) + b"log\n" + b"".join(packet.encode(requests["upload_next"], 128))
)
