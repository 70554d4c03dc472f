"""Session fixtures for a real Docker engine and a real Compose project on it.

The engine is the machine's dockerd, started by ``make services`` (scripts/dockerd.sh) with no
bridge and no iptables; the images are imported locally from busybox-static, never pulled. The
test project ``tests/data/compose/docker-compose.yml`` is brought up with Debian's
``docker-compose`` (1.29) under a unique project name (suffixed with the xdist worker id) and
taken down again at the end of the session (``down`` without ``-v``: the project is ours).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import pytest

__all__ = [
    "COMPOSE_FILE",
    "IMAGE",
    "ComposeProject",
    "compose_project",
    "docker_engine",
    "docker_host",
]

IMAGE = "deployready/busybox:local"
COMPOSE_DIR = Path(__file__).resolve().parent.parent / "data" / "compose"
COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
UP_TIMEOUT_S = 180.0
READY_TIMEOUT_S = 90.0
CRASHER_RESTARTS = 2  # restart: "on-failure:2" in the compose file


@dataclass(frozen=True)
class ComposeProject:
    """The running test project: its name, file, engine address and the web service's port.

    Example: ``Compose(compose_project.file, project=compose_project.name)``
    """

    name: str
    file: Path
    docker_host: str
    web_port: int


def _engine_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def docker_host() -> str:
    """Address of the Docker engine the tests use (``DOCKER_HOST`` or the default socket).

    Example: ``Compose(file, docker_host=docker_host)``
    """
    return _engine_host()


@pytest.fixture(scope="session")
def docker_engine(docker_host: str) -> Iterator[docker.DockerClient]:
    """A Docker SDK client on the machine's engine; fails (never skips) if none answers.

    Example: ``docker_engine.containers.list(all=True)``
    """
    problem = ""
    try:
        if docker_host.startswith("unix://"):
            # Probe the socket first: docker-py leaks the socket object when connecting fails.
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(15)
                sock.connect("/" + docker_host.removeprefix("unix://").lstrip("/"))
        client = docker.DockerClient(base_url=docker_host, timeout=15)
        client.version()
    except (docker.errors.DockerException, OSError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if problem:
        pytest.fail(
            f"no Docker engine answers at {docker_host} ({problem}): run `make services` "
            "(scripts/dockerd.sh starts dockerd and imports the test image)",
            pytrace=False,
        )
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        client.close()
        pytest.fail(
            f"image {IMAGE} is missing: run `make services` (scripts/dockerd.sh imports it "
            "from busybox-static)",
            pytrace=False,
        )
    yield client
    client.close()


def _compose_cli(project: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is missing: run `make bootstrap`", pytrace=False)
    return subprocess.run(
        [binary, "--ansi", "never", "-f", str(COMPOSE_FILE), "-p", project, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=UP_TIMEOUT_S,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _not_ready(client: docker.DockerClient, project: str) -> list[str]:
    """What is still missing before the project is in its intended mix of states."""
    found = client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={project}"}, ignore_removed=True
    )
    by_service = {c.labels.get("com.docker.compose.service", ""): c for c in found}
    waiting: list[str] = []

    def health(name: str) -> str | None:
        container = by_service.get(name)
        if container is None:
            return None
        status = (container.attrs["State"].get("Health") or {}).get("Status")
        return str(status) if status else None

    def status(name: str) -> str | None:
        container = by_service.get(name)
        return None if container is None else str(container.attrs["State"]["Status"])

    if health("web") != "healthy":
        waiting.append(f"web health={health('web')}")
    if status("worker") != "running":
        waiting.append(f"worker state={status('worker')}")
    if health("sick") != "unhealthy":
        waiting.append(f"sick health={health('sick')}")
    crasher = by_service.get("crasher")
    restarts = None if crasher is None else crasher.attrs.get("RestartCount")
    if status("crasher") != "exited" or restarts != CRASHER_RESTARTS:
        waiting.append(f"crasher state={status('crasher')} restarts={restarts}")
    logger = by_service.get("logger")
    logged = b"" if logger is None else logger.logs(stdout=True, stderr=True)
    if status("logger") != "running" or b"ERROR something else" not in logged:
        waiting.append(f"logger state={status('logger')} (waiting for its ERROR lines)")
    return waiting


@pytest.fixture(scope="session")
def compose_project(
    docker_engine: docker.DockerClient, docker_host: str
) -> Iterator[ComposeProject]:
    """The test stack up and settled: web healthy, worker running, sick unhealthy, crasher exited
    after 2 restarts, logger running with ERROR lines; ``optional`` (profile "extra") not started.

    Example: ``Compose(compose_project.file, project=compose_project.name).unhealthy()``
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    project = f"deployready-test-{uuid.uuid4().hex[:8]}-{worker}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env["DOCKER_HOST"] = docker_host
    env["DEPLOYREADY_WEB_PORT"] = str(port)

    def down() -> None:
        _compose_cli(project, env, "down", "--timeout", "1")

    up = _compose_cli(project, env, "up", "-d")
    if up.returncode != 0:
        down()
        tail = "\n".join(up.stderr.splitlines()[-15:])
        pytest.fail(f"docker-compose up failed for project {project}:\n{tail}", pytrace=False)
    deadline = time.monotonic() + READY_TIMEOUT_S
    waiting = _not_ready(docker_engine, project)
    while waiting and time.monotonic() < deadline:
        time.sleep(0.25)
        waiting = _not_ready(docker_engine, project)
    if waiting:
        logs = _compose_cli(project, env, "logs", "--tail", "5").stdout[-2000:]
        down()
        pytest.fail(
            f"compose project {project} not settled within {READY_TIMEOUT_S:g} s: "
            f"{'; '.join(waiting)}\n{logs}",
            pytrace=False,
        )
    try:
        yield ComposeProject(
            name=project, file=COMPOSE_FILE, docker_host=docker_host, web_port=port
        )
    finally:
        down()
