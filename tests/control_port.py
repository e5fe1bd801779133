"""CI: a client nobody here wrote (smpclient, from PyPI) manages the modules of a running
deployment over its control port — on the host, `fireball run <manifest> --control
udp:127.0.0.1:PORT`; with `--qemu`, the `deploy` image built with a control port, under QEMU
mps2-an505, its UART1 on a pty (smpclient's SMPSerialTransport, SMP's serial framing).

`cargo xtask test` runs it (`cargo xtask control-port [--board]` alone) after making, in DIR:
`fireball.toml` (the sensor hub, trusting `keys/fireball-signing.pub`, its aggregator
restarted whenever it finishes so that it calls `stats` the whole time), and three packages
of `stats`: `stats-1.1.0.fbpk` signed with the board's key, `stats-other.fbpk` signed with
another key, and (made here) the first with one byte flipped.

    python tests/control_port.py --fireball target/debug/fireball --dir DIR --modules MODULES
    python tests/control_port.py --qemu target/fireball/deploy-control.elf --dir DIR

Under QEMU (`-icount shift=0`: one instruction per virtual ns, which SysTick counts), UART0
(the deployment's consoles and router trace, `~ ` lines) goes to DIR/uart0.txt, semihosting
to DIR/qemu.txt, and the session ends with an SMP reset request, which ends the run (the
image's way to stop). The image stamps each trace line and each of its own lines with the
instructions since SysTick started (`~ @N …`, `@N [fireball] …`); from them the check prints
the update's downtime in instructions (docs/perf.md, "Update downtime").

Checks: the port answers an echo; the image list shows `stats` from the image; the flipped
package and the one signed by another key are refused (ACCESS_DENIED) and change nothing;
the good one installs (the upload's last chunk is answered once the new module serves) and
the list shows 1.1.0 running; the Fireball group lists it too; and, from the run's output,
the aggregator kept sending windows before and after the update with no call failing, the
run ended cleanly, and every request was answered (requests = replies + timeouts in the
trace). Exits non-zero on the first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "smp" / "tests"))

from interop import List, PortedUDP  # noqa: E402  (the Fireball group's models)
from interop import check as check_full  # noqa: E402
from smp import error as smperr  # noqa: E402
from smpclient import SMPClient  # noqa: E402
from smpclient.generics import success  # noqa: E402
from smpclient.requests.image_management import ImageStatesRead  # noqa: E402
from smpclient.requests.os_management import EchoWrite, ResetWrite  # noqa: E402
from smpclient.transport.serial import SMPSerialTransport  # noqa: E402

RUN_SECONDS = 12


def check(condition: bool, what: str) -> None:
    check_full(condition, what if len(what) < 240 else what[:240] + " …")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def refused(client: SMPClient, package: bytes, what: str) -> None:
    try:
        async for _ in client.upload(package):
            pass
    except Exception as e:  # smpclient's upload error, carrying the board's ErrorV1
        text = repr(e)
        check("ACCESS" in text, f"{what} refused: {text[:300]}")
        return
    check(False, f"{what} refused")


def stats_image(images):
    return [i for i in images if i.version in ("0.0.0", "1.1.0")]


async def session(client: SMPClient, packages: Path, uart0: Path | None = None) -> None:
    """The checks over `client`; with `uart0` (the board), once the aggregator has sent a
    window after the update, a reset request ends the run."""
    good = (packages / "stats-1.1.0.fbpk").read_bytes()
    other = (packages / "stats-other.fbpk").read_bytes()
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x01
    async with client:
        r = await client.request(EchoWrite(d="hello sensor hub"))
        check(success(r) and r.r == "hello sensor hub", "echo")

        r = await client.request(List())
        check(success(r), f"fireball list {r}")
        before = {m.name: m for m in r.modules}
        check(before["stats"].version == "0.0.0", "stats runs the image's module")

        await refused(client, bytes(flipped), "a package with a flipped byte")
        await refused(client, other, "a package signed by another key")
        r = await client.request(List())
        check({m.name: m.version for m in r.modules}["stats"] == "0.0.0", "nothing changed")

        started = time.monotonic()
        offsets = [off async for off in client.upload(good)]
        check(offsets[-1] == len(good), f"stats 1.1.0 uploaded in {len(offsets)} chunks "
              f"and installed in {time.monotonic() - started:.2f} s")

        r = await client.request(ImageStatesRead())
        check(success(r), "image state read")
        images = {i.image: i for i in r.images}
        r2 = await client.request(List())
        names = {m.image: m.name for m in r2.modules}
        stats = [images[n] for n, name in names.items() if name == "stats"]
        check(len(stats) == 1 and stats[0].version == "1.1.0" and stats[0].active,
              f"the image list shows stats 1.1.0 active: {stats}")
        check({m.name: m.version for m in r2.modules}["stats"] == "1.1.0",
              "the Fireball group lists stats 1.1.0")
        if uart0 is not None:
            await windows_after_update(uart0)
            r = await client.request(ResetWrite())
            check(success(r), f"reset answered (ends the run): {r}")


async def windows_after_update(uart0: Path, within_s: float = 30.0) -> None:
    """Wait until the board's UART0 shows two aggregator windows after the update."""
    deadline = time.monotonic() + within_s
    after = 0
    while time.monotonic() < deadline:
        lines = uart0.read_text(errors="replace").splitlines()
        update = next((i for i, l in enumerate(lines) if "stats now runs version 1.1.0" in l), None)
        if update is not None:
            after = sum(1 for l in lines[update:] if "aggregator: window" in l)
            if after >= 2:
                return
        await asyncio.sleep(0.2)
    check(False, f"two aggregator windows after the update within {within_s} s ({after})")


def check_output(lines: list[str], trace: list[str]) -> None:
    """What the run printed: the update, windows on both sides of it, no failed call."""
    update = next((i for i, l in enumerate(lines) if "stats now runs version 1.1.0" in l), None)
    check(update is not None, "the run says stats now runs 1.1.0")
    windows = [i for i, l in enumerate(lines) if "aggregator: window" in l]
    before = sum(1 for i in windows if i < update)
    check(before > 0 and len(windows) > before,
          f"the aggregator sent windows before and after the update "
          f"({before} before, {len(windows) - before} after)")
    bad = [l for l in lines if "aggregator" in l
           and any(w in l for w in ("ERROR", "trapped", "failed", "gave up", "refused"))]
    check(not bad, f"no aggregator call failed: {bad[:3]}")
    refusals = [l for l in lines if "modules:" in l and "refused" in l]
    check(len(refusals) == 0 or all("control" in l for l in refusals), "refusals came from the port")
    requests = sum(1 for l in trace if " request " in l)
    answers = sum(1 for l in trace if " reply " in l or " timeout " in l)
    check(requests == answers, f"every request answered: {requests} requests, {answers} answers")


STAMPED = re.compile(r"^(?:~ )?@(\d+) w(\d+) (.*)$")
REQUEST = re.compile(r"^\d+ request +#(\d+) \S+ -> (\S+) ")
REPLY_OK = re.compile(r"^\d+ reply +#(\d+) ok ")


def downtime(lines: list[str]) -> dict[str, tuple[int, int]]:
    """From the board's stamped UART0, as (instructions, of which waiting for SysTick to
    catch up with the deployment's clock): the last reply served by `stats#1`, the swap
    (`unregister stats#1`, drained at the swap), `stats#2` serving (`stats now runs`, the
    module manager saw it at `route_next`) and the first reply served by `stats#2`."""
    target: dict[str, str] = {}
    last_old = first_new = swap = serving = None
    for line in lines:
        m = STAMPED.match(line)
        if not m:
            continue
        at, text = (int(m.group(1)), int(m.group(2))), m.group(3)
        if r := REQUEST.match(text):
            target[r.group(1)] = r.group(2)
        elif r := REPLY_OK.match(text):
            served_by = target.get(r.group(1))
            if served_by == "stats#1":
                last_old = at
            elif served_by == "stats#2" and first_new is None:
                first_new = at
        elif text.split()[1:3] == ["unregister", "stats#1"]:
            swap = at
        elif "stats now runs version 1.1.0" in text and serving is None:
            serving = at
    stamps = {"last stats#1 reply": last_old, "swap": swap, "stats#2 serving": serving,
              "first stats#2 reply": first_new}
    check(all(v is not None for v in stamps.values()), f"the stamped trace has {stamps}")
    order = [v[0] for v in stamps.values()]
    check(order == sorted(order), f"in order: {stamps}")
    return stamps


def report_downtime(stamps: dict[str, tuple[int, int]]) -> None:
    """The intervals between the stamps: instructions (of which waiting)."""
    names = list(stamps)

    def span(a: str, b: str) -> str:
        (t0, w0), (t1, w1) = stamps[a], stamps[b]
        return f"{t1 - t0:,} ({w1 - w0:,} waiting, {(t1 - t0) - (w1 - w0):,} working)"

    print("update downtime on the board, instructions (QEMU -icount shift=0):")
    print(f"  {names[0]} -> {names[-1]}: {span(names[0], names[-1])}")
    for a, b in zip(names, names[1:]):
        print(f"    {a} -> {b}: {span(a, b)}")


def on_qemu(elf: Path, packages: Path) -> None:
    """The image under QEMU: UART0 to a file, UART1 on a pty the client opens."""
    uart0 = packages / "uart0.txt"
    log = packages / "qemu.txt"
    proc = subprocess.Popen(
        ["qemu-system-arm", "-M", "mps2-an505", "-icount", "shift=0",
         "-nographic", "-monitor", "none",
         "-serial", f"file:{uart0}", "-serial", "pty",
         "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)
    try:
        # QEMU names the pty before the firmware starts; the firmware says when it serves.
        pty = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (pty is None or not any("control port" in l for l in out)):
            line = proc.stdout.readline()
            if not line:
                break
            out.append(line)
            m = re.search(r"char device redirected to (/dev/pts/\d+) \(label serial1\)", line)
            if m:
                pty = m.group(1)
        check(pty is not None, f"QEMU put UART1 on a pty: {''.join(out)[-300:]}")
        check(any("control port" in l for l in out), "the image serves SMP on UART1")
        reader.start()
        # The aggregator has sent a window (under -icount the board's time runs at QEMU's
        # pace, not the host's).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "aggregator: window" not in uart0.read_text(errors="replace"):
            time.sleep(0.1)
        started = time.monotonic()
        client = SMPClient(SMPSerialTransport(), pty, timeout_s=20.0)
        asyncio.run(session(client, packages, uart0))
        print(f"ok: the session took {time.monotonic() - started:.1f} s")
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=5)
        log.write_text("".join(out))
    check(code == 0, f"the run ended cleanly on the reset (exit {code}; {log})")
    lines = uart0.read_text(errors="replace").splitlines()
    trace = [l for l in lines if l.startswith("~ ")]
    check_output([l for l in lines if not l.startswith("~ ")], trace)
    report_downtime(downtime(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fireball")
    parser.add_argument("--qemu", type=Path, help="the deploy image with a control port")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--modules")
    args = parser.parse_args()
    if args.qemu:
        on_qemu(args.qemu, args.dir)
        print("control port on the board (QEMU): all passed")
        return
    port = free_port()
    log = args.dir / "run.log"
    trace = args.dir / "trace.txt"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [args.fireball, "run", str(args.dir / "fireball.toml"), "--modules", args.modules,
             "--control", f"udp:127.0.0.1:{port}", "--for", str(RUN_SECONDS), "--quiet",
             "--trace", str(trace)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        time.sleep(1.5)  # booted, and the aggregator has sent a few windows
        client = SMPClient(PortedUDP(port), "127.0.0.1", timeout_s=10.0)
        asyncio.run(session(client, args.dir))
        code = proc.wait(timeout=RUN_SECONDS + 30)
    finally:
        if proc.poll() is None:
            proc.kill()
    check(code == 0, f"the run ended cleanly (exit {code})")
    check_output(log.read_text().splitlines(), trace.read_text().splitlines())
    print("control port: all passed")


if __name__ == "__main__":
    main()
