"""The Docker engine the demo's Compose project needs, and the local image it runs.

Example::

    problem = docker_problem()  # '' when an engine answers and the image is there (or imported)
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import tarfile
from pathlib import Path
from typing import Any

__all__ = ["BUSYBOX", "IMAGE", "docker_problem", "import_image"]

IMAGE = "deployready/busybox:local"
BUSYBOX = Path(os.environ.get("DEPLOYREADY_BUSYBOX", "/bin/busybox"))


class _ImageError(RuntimeError):
    """The image is missing and cannot be made here."""


def docker_problem() -> str:
    """Why the Compose project cannot run here ('' when it can); imports the image."""
    if shutil.which("docker-compose") is None:
        return "docker-compose is not installed (run `make bootstrap`)"
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        import docker
        import docker.errors

        if host.startswith("unix://"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect("/" + host.removeprefix("unix://").lstrip("/"))
        client = docker.DockerClient(base_url=host, timeout=15)
    except Exception as exc:  # docker raises many kinds
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"no Docker engine answered at {host} ({reason})"
    try:
        client.version()
        try:
            client.images.get(IMAGE)
        except docker.errors.ImageNotFound:
            import_image(client)
    except (docker.errors.DockerException, OSError, _ImageError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"Docker engine at {host} not usable ({reason})"
    finally:
        client.close()
    return ""


def import_image(client: Any) -> None:
    """``docker import`` a rootfs made of the static busybox (never a registry pull)."""
    if not BUSYBOX.is_file():
        raise _ImageError(
            f"{IMAGE} is missing and so is {BUSYBOX} (apt-get install busybox-static)"
        )
    listing = subprocess.run(
        [str(BUSYBOX), "--list"], capture_output=True, text=True, timeout=10, check=True
    )
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def add_dir(name: str, mode: int = 0o755) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            tar.addfile(info)

        def add_file(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))

        for name in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "www", "root",
                     "proc", "sys", "dev"):  # fmt: skip
            add_dir(name)
        add_dir("tmp", 0o1777)
        add_file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
        for applet in listing.stdout.split():
            if applet != "busybox":
                link = tarfile.TarInfo(f"bin/{applet}")
                link.type, link.linkname = tarfile.SYMTYPE, "busybox"
                tar.addfile(link)
        add_file(
            "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n"
        )
        add_file("etc/group", b"root:x:0:\nnogroup:x:65534:\n")
        add_file("www/index.html", b"deployready demo edge\n")
    client.api.import_image_from_data(
        buf.getvalue(),
        repository=IMAGE.split(":")[0],
        tag=IMAGE.split(":")[1],
        changes=["ENV PATH=/bin:/sbin:/usr/bin:/usr/sbin", 'CMD ["sh"]'],
    )
