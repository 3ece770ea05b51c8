"""A real Mosquitto broker for the live-feed tests, on a free port, started per test.

``mosquitto`` yields a :class:`Broker` that can be stopped and started again on the
same port (the reconnect test). The tests skip, saying why, only when the binary is
not installed (``tests/run.sh`` installs it: apt package ``mosquitto``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or (
    "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def make_certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl)."""
    ca_key, ca, key, csr, cert = (
        workdir / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ext = workdir / "san.cnf"
    ext.write_text("subjectAltName = IP:127.0.0.1\n")

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(ca_key),
        "-out", str(ca), "-subj", "/CN=alatau-test-ca")  # fmt: skip
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", "/CN=127.0.0.1")  # fmt: skip
    ssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-out", str(cert), "-extfile", str(ext))  # fmt: skip
    return ca, cert, key


class Broker:
    """One mosquitto process with a temporary config: anonymous, no persistence."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        tls: bool = False,
    ) -> None:
        assert MOSQUITTO is not None
        self.port = port or free_port()
        self.workdir = workdir
        self.config = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        lines = [f"listener {self.port} 127.0.0.1", "persistence false", "log_dest stderr"]
        if os.geteuid() == 0:
            # As root, mosquitto drops to user "mosquitto", who cannot read our 0700
            # temporary folder (password file, certificates): stay who we are.
            lines.append("user root")
        if users:
            pwfile = workdir / "passwd"
            for i, (user, password) in enumerate(users.items()):
                flags = ["-b", "-c"] if i == 0 else ["-b"]
                subprocess.run(
                    ["mosquitto_passwd", *flags, str(pwfile), user, password],
                    check=True,
                    capture_output=True,
                )
            lines += ["allow_anonymous false", f"password_file {pwfile}"]
        else:
            lines.append("allow_anonymous true")
        self.ca: Path | None = None
        if tls:
            self.ca, cert, key = make_certificates(workdir)
            lines += [f"cafile {self.ca}", f"certfile {cert}", f"keyfile {key}"]
        self.config.write_text("\n".join(lines) + "\n")
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=logf, stderr=logf)
        logf.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
            if _accepts(self.port):
                time.sleep(0.05)  # it listens before reading certificates: still alive?
                if self.proc.poll() is not None:
                    raise RuntimeError(f"mosquitto exited: {self.log.read_text()[-2000:]}")
                return
            time.sleep(0.02)
        raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None
        deadline = time.monotonic() + 5
        while _accepts(self.port) and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture()
def make_broker(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Start brokers with options (users, TLS); all are stopped after the test."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    started: list[Broker] = []

    def make(**kw: object) -> Broker:
        if kw.get("tls") and not shutil.which("openssl"):
            pytest.skip("openssl is not installed (needed to make test certificates)")
        workdir = tmp_path / f"broker{len(started)}"
        workdir.mkdir()
        broker = Broker(workdir, **kw)  # type: ignore[arg-type]
        started.append(broker)
        broker.start()
        return broker

    yield make
    for broker in started:
        broker.stop()


@pytest.fixture()
def mosquitto(tmp_path: Path) -> Iterator[Broker]:
    """A running broker on a free port of 127.0.0.1, stopped after the test."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    broker = Broker(tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
