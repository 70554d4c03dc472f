"""Docker Compose stacks, read-only: declared services against the containers that run them.

The compose file is parsed with PyYAML (services, ``profiles``, ``image``, ``container_name``,
``healthcheck``); containers are found through the labels Compose puts on them
(``com.docker.compose.project`` and ``com.docker.compose.service``) with the Docker SDK. Nothing
here starts, stops, restarts or removes anything. :meth:`Compose.exec` runs a command inside a
container: running only read-only commands there is the caller's responsibility.

The engine is reached lazily on first use. If that fails, the one-line error
(``cannot reach Docker engine at unix:///var/run/docker.sock: no such file or directory``) is
remembered and raised again at once by every later call; :attr:`Compose.connect_attempts`
counts the attempts. Connecting has an overall deadline of ``timeout``, every Docker API call
one of ``command_timeout`` (``Docker engine at ...: logs of service 'api' timed out after
30 s``); the SDK's own timeout bounds single reads only.

Examples, one per helper::

    stack = Compose("deploy/docker-compose.yml", project="shop")
    stack.services()                       # ['api', 'worker', 'db'] (declared and expected)
    stack.missing()                        # ['worker'] (expected, but no container at all)
    stack.service("api").health            # 'healthy' | 'unhealthy' | 'starting' | None
    stack.service("api").restart_count     # 0
    stack.states()["db"].state             # 'running'
    stack.unhealthy()                      # [] when every expected service is up and healthy
    stack.logs("api", since=time.time() - 600, tail=200)
    stack.log_errors("api")                # ['ERROR db pool exhausted', ...]
    stack.exec("db", ["pg_isready"]).exit_code   # 0 (read-only commands only!)
    stack.engine_version()                 # '20.10.24+dfsg1'
    stack.spec("api").image                # image declared in the compose file
"""

from __future__ import annotations

import math
import os
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import docker
import docker.errors
import yaml
from docker.models.containers import Container

from pytest_deployready._redact import Redactor, safe_url
from pytest_deployready._target import Target, exception_chain
from pytest_deployready.errors import DeployReadyError, TargetTimeout, TargetUnreachable

__all__ = [
    "DEFAULT_DOCKER_HOST",
    "DEFAULT_ERROR_PATTERN",
    "Compose",
    "ComposeError",
    "ComposeFileError",
    "ContainerState",
    "ExecResult",
    "ServiceSpec",
    "ServiceState",
    "project_name_from_dir",
]

_T = TypeVar("_T")

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
DEFAULT_ERROR_PATTERN = r"(?i)\b(error|exception|fatal|panic)\b"

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
NUMBER_LABEL = "com.docker.compose.container-number"

# Names Compose looks for when given a directory, in its order of preference.
_DEFAULT_FILENAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
# When several containers of one service disagree, the service shows the worst state.
_STATE_RANK = {
    "dead": 0,
    "exited": 1,
    "restarting": 2,
    "removing": 3,
    "paused": 4,
    "created": 5,
    "running": 6,
}
_HEALTH_RANK = {"unhealthy": 0, "starting": 1, "healthy": 2}
_DOCKER_TIME = re.compile(
    r"^(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d\d:\d\d)$"
)
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[_A-Za-z][_A-Za-z0-9]*))"
)
_BRACED = re.compile(r"^(?P<name>[_A-Za-z][_A-Za-z0-9]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.S)


class ComposeError(DeployReadyError):
    """A Compose check could not be answered: unknown service, no running container, API error.

    Example: ``service 'web' of project 'shop' has no running container to exec in``.
    """


class ComposeFileError(ComposeError):
    """The compose file is missing or cannot be parsed; the one-line message names the file.

    Example: ``cannot parse compose file deploy/docker-compose.yml: line 4: mapping values ...``.
    """


@dataclass(frozen=True)
class ServiceSpec:
    """A service as declared in the compose file.

    Example: ``Compose("docker-compose.yml").spec("api").has_healthcheck  # True``
    """

    name: str
    image: str | None
    container_name: str | None
    profiles: tuple[str, ...]
    has_healthcheck: bool
    expected: bool  # False when all of its profiles are inactive


@dataclass(frozen=True)
class ContainerState:
    """One container of a service, as the engine reports it.

    Example: ``compose.service("api").containers[0].restart_count  # 0``
    """

    id: str
    name: str
    state: str
    health: str | None
    restart_count: int
    image: str | None
    started_at: datetime | None
    exit_code: int | None


@dataclass(frozen=True)
class ServiceState:
    """A service's containers and their summary (the worst state and health of its containers).

    ``state`` is ``"missing"`` when no container exists; ``health`` is ``None`` without a
    healthcheck; ``restart_count`` adds up its containers'; ``started_at``/``uptime_s`` are those
    of its most recently started container (``uptime_s`` only while running).

    Example::

        api = compose.service("api")
        assert api.state == "running" and api.health == "healthy", api
    """

    name: str
    containers: list[ContainerState] = field(default_factory=list)
    state: str = "missing"
    health: str | None = None
    restart_count: int = 0
    image: str | None = None
    started_at: datetime | None = None
    uptime_s: float | None = None
    container_ids: list[str] = field(default_factory=list)
    exit_code: int | None = None

    @property
    def running(self) -> bool:
        """True when every container of the service is running (and there is at least one)."""
        return self.state == "running"

    @property
    def ok(self) -> bool:
        """True when running and, if it has a healthcheck, healthy."""
        return self.running and self.health in (None, "healthy")


@dataclass(frozen=True)
class ExecResult:
    """Exit code and combined stdout/stderr of :meth:`Compose.exec`.

    Example: ``compose.exec("db", ["pg_isready"]).exit_code == 0``
    """

    exit_code: int
    output: str
    container_id: str

    @property
    def ok(self) -> bool:
        """True when the command exited with 0."""
        return self.exit_code == 0


def project_name_from_dir(directory: str | Path) -> str:
    """The project name Compose derives from a directory: lowercase, only ``[a-z0-9_-]`` kept.

    Example: ``project_name_from_dir("/srv/My Shop.v2")  # 'myshopv2'``
    """
    return _normalize_project(Path(directory).resolve().name)


class Compose(Target):
    """Read-only view of a Compose project: declared services against running containers.

    Example::

        stack = Compose("docker-compose.yml", project="shop", timeout=5)
        assert stack.missing() == []
        assert stack.unhealthy() == [], stack.states()
    """

    def __init__(
        self,
        compose_file: str | Path | Sequence[str | Path],
        *,
        project: str | None = None,
        timeout: float = 10.0,
        docker_host: str | None = None,
        profiles: Sequence[str] | None = None,
        command_timeout: float = 30.0,
    ) -> None:
        super().__init__()
        files = [compose_file] if isinstance(compose_file, str | Path) else list(compose_file)
        if not files:
            raise ComposeFileError("no compose file given")
        self.compose_files: list[Path] = [Path(f) for f in files]
        self.timeout = timeout
        self.command_timeout = command_timeout
        self.docker_host = docker_host or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
        self._explicit_host = docker_host is not None
        self._explicit_project = project
        self._profiles = None if profiles is None else tuple(profiles)
        self._client: docker.DockerClient | None = None
        self._version: dict[str, Any] = {}
        self._specs: dict[str, ServiceSpec] | None = None
        self._file_name: str | None = None
        self._file_error: ComposeFileError | None = None

    def close(self) -> None:
        """Close the connection to the engine (a later call connects again).

        Example: ``with Compose("docker-compose.yml") as stack: stack.unhealthy()``
        """
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Compose:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Compose({str(self.compose_files[0])!r}, docker_host={self.where!r})"

    # --- what is declared ---------------------------------------------------------------------

    @property
    def where(self) -> str:
        """The engine's address without credentials, as used in messages."""
        return safe_url(self.docker_host)

    @property
    def active_profiles(self) -> tuple[str, ...]:
        """Profiles in effect: the ``profiles=`` argument, else ``COMPOSE_PROFILES``."""
        if self._profiles is not None:
            return self._profiles
        raw = os.environ.get("COMPOSE_PROFILES", "")
        return tuple(p.strip() for p in raw.split(",") if p.strip())

    @property
    def project(self) -> str:
        """Project name: explicit, else ``COMPOSE_PROJECT_NAME``, else ``name:``, else the dir."""
        if self._explicit_project:
            return _normalize_project(self._explicit_project)
        from_env = os.environ.get("COMPOSE_PROJECT_NAME")
        if from_env:
            return _normalize_project(from_env)
        self._load()
        if self._file_name:
            return _normalize_project(self._file_name)
        return project_name_from_dir(self._resolved_files()[0].parent)

    def spec(self, name: str) -> ServiceSpec:
        """The declaration of one service (also for services whose profile is inactive).

        Example: ``compose.spec("api").image  # 'registry.local/api:1.4.2'``
        """
        specs = self._load()
        if name not in specs:
            declared = ", ".join(specs) or "none"
            raise ComposeError(
                f"service {name!r} is not declared in {self._files_label()} (declared: {declared})"
            )
        return specs[name]

    def services(self) -> list[str]:
        """Declared services that are expected to run (profiles respected), in file order.

        Example: ``compose.services()  # ['api', 'worker', 'db']``
        """
        return [name for name, spec in self._load().items() if spec.expected]

    # --- what runs ----------------------------------------------------------------------------

    def service(self, name: str) -> ServiceState:
        """State of one declared service (``state == "missing"`` when it has no container).

        Example: ``compose.service("api").health  # 'healthy'``
        """
        spec = self.spec(name)
        client = self._connect()
        labels = [f"{PROJECT_LABEL}={self.project}", f"{SERVICE_LABEL}={name}"]
        containers = self._call(
            lambda: client.containers.list(
                all=True, filters={"label": labels}, ignore_removed=True
            ),
            f"listing the containers of service {name!r}",
        )
        found = [c for c in containers if not _is_oneoff(c)]
        if not found and spec.container_name:
            found = self._by_container_name(client, spec.container_name)
        return _service_state(name, found)

    def states(self) -> dict[str, ServiceState]:
        """States of every expected service, from one listing of the project's containers.

        Example: ``{n: s.state for n, s in compose.states().items()}  # {'api': 'running', ...}``
        """
        expected = self.services()
        client = self._connect()
        labels = [f"{PROJECT_LABEL}={self.project}"]
        containers = self._call(
            lambda: client.containers.list(
                all=True, filters={"label": labels}, ignore_removed=True
            ),
            f"listing the containers of project {self.project!r}",
        )
        grouped: dict[str, list[Container]] = {name: [] for name in expected}
        for container in containers:
            service = (container.labels or {}).get(SERVICE_LABEL)
            if service in grouped and not _is_oneoff(container):
                grouped[service].append(container)
        for name, found in grouped.items():
            container_name = self.spec(name).container_name
            if not found and container_name:
                grouped[name] = self._by_container_name(client, container_name)
        return {name: _service_state(name, found) for name, found in grouped.items()}

    def missing(self) -> list[str]:
        """Expected services without any container (running or not), in file order.

        Example: ``assert compose.missing() == []``
        """
        return [name for name, state in self.states().items() if not state.containers]

    def unhealthy(self) -> list[str]:
        """Expected services not up and healthy: missing, not running, or health not "healthy".

        A service without a healthcheck counts as healthy while all its containers run.

        Example: ``assert compose.unhealthy() == [], compose.states()``
        """
        return [name for name, state in self.states().items() if not state.ok]

    def logs(
        self,
        service: str,
        since: datetime | float | None = None,
        tail: int | None = None,
    ) -> str:
        """Stdout and stderr of the service's containers (``tail`` lines of each, from ``since``).

        ``since`` is a datetime (naive means local time) or a Unix timestamp.

        Example: ``"listening on" in compose.logs("api", tail=100)``
        """
        state = self._present(service)
        client = self._connect()
        tail_arg: Literal["all"] | int = "all"
        if tail is not None:
            if tail < 0:
                raise ComposeError(f"logs(tail={tail}): tail must be >= 0")
            tail_arg = tail
        since_arg: float | None = None
        if since is not None:
            since_arg = since.timestamp() if isinstance(since, datetime) else float(since)
            if since_arg <= 0:  # the engine's "since the beginning"
                since_arg = None

        def fetch(cid: str) -> bytes:
            container = client.containers.get(cid)
            return container.logs(stdout=True, stderr=True, tail=tail_arg, since=since_arg)

        chunks: list[str] = []
        for cid in state.container_ids:
            text = self._call(partial(fetch, cid), f"logs of service {service!r}").decode(
                "utf-8", errors="replace"
            )
            if text and not text.endswith("\n"):
                text += "\n"
            chunks.append(text)
        return "".join(chunks)

    def log_errors(
        self,
        service: str,
        since: datetime | float | None = None,
        pattern: str | re.Pattern[str] = DEFAULT_ERROR_PATTERN,
    ) -> list[str]:
        """Log lines of the service that match ``pattern`` (error, exception, fatal, panic).

        Example: ``assert compose.log_errors("api", since=deploy_started) == []``
        """
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        return [line for line in self.logs(service, since=since).splitlines() if regex.search(line)]

    def exec(self, service: str, cmd: list[str] | str) -> ExecResult:
        """Run ``cmd`` in the service's first running container and return exit code and output.

        Read-only is YOUR responsibility here: the command runs as given, inside the container.
        A string is split like a shell would (no shell is started).

        Example: ``compose.exec("db", ["pg_isready", "-q"]).exit_code == 0``
        """
        state = self._present(service)
        running = [c for c in state.containers if c.state == "running"]
        if not running:
            raise ComposeError(
                f"service {service!r} of project {self.project!r} has no running container "
                f"to exec in (state: {state.state})"
            )
        client = self._connect()
        cid = running[0].id
        result = self._call(
            lambda: client.containers.get(cid).exec_run(cmd, demux=False),
            f"exec in service {service!r}",
        )
        output = result.output
        text = output.decode("utf-8", errors="replace") if isinstance(output, bytes) else ""
        code = result.exit_code if result.exit_code is not None else -1
        return ExecResult(exit_code=code, output=text, container_id=cid)

    def engine_version(self) -> str:
        """Version of the Docker engine.

        Example: ``compose.engine_version()  # '20.10.24+dfsg1'``
        """
        self._connect()
        return str(self._version.get("Version", "unknown"))

    # --- internals ----------------------------------------------------------------------------

    def _present(self, service: str) -> ServiceState:
        state = self.service(service)
        if not state.containers:
            raise ComposeError(
                f"service {service!r} has no container in project {self.project!r} "
                f"(engine {self.where})"
            )
        return state

    def _connect(self) -> docker.DockerClient:
        self._failures.check()
        if self._client is not None:
            return self._client
        self.connect_attempts += 1
        # The SDK's own timeout bounds each read; the deadlines bound each whole call.
        seconds = max(1, math.ceil(max(self.timeout, self.command_timeout)))
        opened: list[docker.DockerClient] = []

        def connect() -> tuple[docker.DockerClient, dict[str, Any]]:
            self._probe_unix_socket()
            if self._explicit_host:
                client = docker.DockerClient(base_url=self.docker_host, timeout=seconds)
            else:
                client = docker.from_env(timeout=seconds)
            opened.append(client)
            return client, client.version()

        def abort() -> None:
            for client in opened:
                client.close()

        try:
            client, version = self._deadline(self.timeout, "connect").call(connect, abort)
        except TargetTimeout as exc:
            raise self._failures.remember(exc).with_traceback(None) from None
        except (docker.errors.DockerException, OSError) as exc:
            raise self._failures.remember(
                TargetUnreachable(f"cannot reach Docker engine at {self.where}: {self._why(exc)}")
            ) from None
        self._client = client
        self._version = version
        self._failures.forget()
        return client

    @property
    def _label(self) -> str:
        return f"Docker engine at {self.where}"

    def _call(self, fn: Callable[[], _T], operation: str) -> _T:
        """One Docker API call, bounded by ``command_timeout`` overall.

        A call that times out errors alone (the engine answered before): the client is
        dropped so the next call opens fresh connections, and nothing is remembered.
        """
        client = self._client
        try:
            result = self._deadline(self.command_timeout, operation).call(
                fn, client.close if client is not None else None
            )
        except TargetTimeout:
            if self._client is client:
                self._client = None
            raise
        except docker.errors.NotFound as exc:
            raise ComposeError(
                f"Docker engine at {self.where}: {_explanation(exc)} (container removed?)"
            ) from None
        except docker.errors.APIError as exc:
            raise ComposeError(f"Docker engine at {self.where}: {_explanation(exc)}") from None
        except (docker.errors.DockerException, OSError) as exc:
            if _is_timeout(exc):
                raise self._deadline(self.command_timeout, operation).error() from None
            if not any(isinstance(e, OSError) for e in exception_chain(exc)):
                raise ComposeError(f"Docker engine at {self.where}: {_reason(exc, 0)}") from None
            raise self._failures.remember(
                TargetUnreachable(f"cannot reach Docker engine at {self.where}: {self._why(exc)}")
            ) from None
        self._failures.forget()
        return result

    def _why(self, exc: BaseException) -> str:
        reason = _reason(exc, self.timeout).replace(self.docker_host, self.where)
        return Redactor.from_environ().redact(reason)

    def _probe_unix_socket(self) -> None:
        """Connect to a unix socket ourselves first: docker-py leaks the socket when that fails."""
        if not self.docker_host.startswith("unix://"):
            return
        path = "/" + self.docker_host.removeprefix("unix://").lstrip("/")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(path)

    def _by_container_name(self, client: docker.DockerClient, name: str) -> list[Container]:
        """The container called ``container_name``, unless another project owns it."""
        try:
            container = self._call(
                lambda: client.containers.get(name), f"looking up container {name!r}"
            )
        except ComposeError:
            return []
        owner = (container.labels or {}).get(PROJECT_LABEL)
        return [container] if owner in (None, self.project) else []

    def _files_label(self) -> str:
        return ", ".join(str(f) for f in self.compose_files)

    def _resolved_files(self) -> list[Path]:
        resolved: list[Path] = []
        for path in self.compose_files:
            if path.is_dir():
                candidates = [path / n for n in _DEFAULT_FILENAMES if (path / n).is_file()]
                if not candidates:
                    names = ", ".join(_DEFAULT_FILENAMES)
                    raise ComposeFileError(
                        f"no compose file in directory {path} (looked for {names})"
                    )
                path = candidates[0]
            resolved.append(path)
        return resolved

    def _load(self) -> dict[str, ServiceSpec]:
        if self._file_error is not None:
            raise self._file_error.with_traceback(None)
        if self._specs is not None:
            return self._specs
        try:
            self._specs = self._parse()
        except ComposeFileError as exc:
            self._file_error = exc
            raise
        return self._specs

    def _parse(self) -> dict[str, ServiceSpec]:
        merged: dict[str, dict[str, Any]] = {}
        name: str | None = None
        for path in self._resolved_files():
            doc = _read_yaml(path)
            env = _environment(path.parent)
            services = doc.get("services")
            if services is None:
                services = {}
            if not isinstance(services, Mapping):
                raise ComposeFileError(f"compose file {path}: 'services' must be a mapping")
            for service_name, body in services.items():
                if body is None:
                    body = {}
                if not isinstance(body, Mapping):
                    raise ComposeFileError(
                        f"compose file {path}: service {service_name!r} must be a mapping"
                    )
                merged.setdefault(str(service_name), {}).update(
                    {str(k): _interpolate_tree(v, env, path) for k, v in body.items()}
                )
            if doc.get("name") is not None:
                name = str(_interpolate(str(doc["name"]), env, path))
        self._file_name = name
        active = set(self.active_profiles)
        specs: dict[str, ServiceSpec] = {}
        for service_name, body in merged.items():
            profiles = tuple(str(p) for p in body.get("profiles") or ())
            expected = not profiles or "*" in active or bool(active.intersection(profiles))
            specs[service_name] = ServiceSpec(
                name=service_name,
                image=_opt_str(body.get("image")),
                container_name=_opt_str(body.get("container_name")),
                profiles=profiles,
                has_healthcheck=_declares_healthcheck(body.get("healthcheck")),
                expected=expected,
            )
        return specs


# --- helpers ------------------------------------------------------------------------------------


def _normalize_project(name: str) -> str:
    return re.sub(r"[^-_a-z0-9]", "", name.lower())


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ComposeFileError(f"compose file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ComposeFileError(f"cannot read compose file {path}: {exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ComposeFileError(f"cannot parse compose file {path}: {where}{problem}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise ComposeFileError(f"compose file {path}: top level must be a mapping")
    return doc


def _environment(directory: Path) -> dict[str, str]:
    """Variables for interpolation: the directory's ``.env`` overlaid by the process environment."""
    env: dict[str, str] = {}
    dotenv = directory / ".env"
    if dotenv.is_file():
        for raw in dotenv.read_text(encoding="utf-8", errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            env[key.strip().removeprefix("export ").strip()] = value
    env.update(os.environ)
    return env


def _interpolate(text: str, env: Mapping[str, str], path: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        if match.group("named"):
            return env.get(match.group("named"), "")
        braced = _BRACED.match(match.group("braced") or "")
        if braced is None:
            raise ComposeFileError(f"compose file {path}: invalid interpolation {match.group(0)!r}")
        name, op, arg = braced.group("name"), braced.group("op"), braced.group("arg") or ""
        value = env.get(name)
        if op is None:
            return value or ""
        unset = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if unset else str(value)
        if op.endswith("+"):
            return "" if unset else arg
        if unset:  # "?" and ":?"
            raise ComposeFileError(
                f"compose file {path}: required variable {name} is missing: {arg or 'no value'}"
            )
        return str(value)

    return _VARIABLE.sub(replace, text)


def _interpolate_tree(value: Any, env: Mapping[str, str], path: Path) -> Any:
    if isinstance(value, str):
        return _interpolate(value, env, path)
    if isinstance(value, list):
        return [_interpolate_tree(v, env, path) for v in value]
    if isinstance(value, Mapping):
        return {k: _interpolate_tree(v, env, path) for k, v in value.items()}
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _declares_healthcheck(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    if value.get("disable") is True:
        return False
    test = value.get("test")
    if test in ("NONE", ["NONE"]):
        return False
    return test is not None


def _is_oneoff(container: Container) -> bool:
    return (container.labels or {}).get(ONEOFF_LABEL, "False") == "True"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or value.startswith("0001-"):
        return None
    match = _DOCKER_TIME.match(value)
    if match is None:
        return None
    frac = (match.group("frac") or "0")[:6].ljust(6, "0")
    tz = "+00:00" if match.group("tz") == "Z" else match.group("tz")
    return datetime.fromisoformat(f"{match.group('base')}.{frac}{tz}")


def _container_state(container: Container) -> ContainerState:
    attrs = container.attrs
    state = attrs.get("State") or {}
    health = state.get("Health") or {}
    config = attrs.get("Config") or {}
    status = str(state.get("Status") or "unknown")
    exit_code = state.get("ExitCode")
    return ContainerState(
        id=str(attrs.get("Id") or container.id),
        name=str(attrs.get("Name") or "").lstrip("/"),
        state=status,
        health=str(health["Status"]) if health.get("Status") else None,
        restart_count=int(attrs.get("RestartCount") or 0),
        image=_opt_str(config.get("Image")),
        started_at=_parse_time(state.get("StartedAt")),
        exit_code=int(exit_code) if status != "running" and exit_code is not None else None,
    )


def _container_number(container: Container) -> tuple[int, str]:
    number = (container.labels or {}).get(NUMBER_LABEL, "")
    return (int(number) if number.isdigit() else 0, container.name or "")


def _service_state(name: str, found: list[Container]) -> ServiceState:
    if not found:
        return ServiceState(name=name)
    containers = [_container_state(c) for c in sorted(found, key=_container_number)]
    worst = min(containers, key=lambda c: _STATE_RANK.get(c.state, -1))
    healths = [c.health for c in containers if c.health is not None]
    health = min(healths, key=lambda h: _HEALTH_RANK.get(h, -1)) if healths else None
    starts = [c.started_at for c in containers if c.started_at is not None]
    started_at = max(starts) if starts else None
    uptime = None
    if worst.state == "running" and started_at is not None:
        uptime = max(0.0, (datetime.now(UTC) - started_at).total_seconds())
    return ServiceState(
        name=name,
        containers=containers,
        state=worst.state,
        health=health,
        restart_count=sum(c.restart_count for c in containers),
        image=containers[0].image,
        started_at=started_at,
        uptime_s=uptime,
        container_ids=[c.id for c in containers],
        exit_code=worst.exit_code,
    )


def _is_timeout(exc: BaseException) -> bool:
    return any(
        isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in exception_chain(exc)
    )


def _reason(exc: BaseException, timeout: float) -> str:
    """A short why: ``connection refused``, ``no such file or directory``, ``timed out ...``."""
    if _is_timeout(exc):
        return f"timed out after {timeout:g} s"
    for e in exception_chain(exc):
        if isinstance(e, OSError) and e.strerror:
            return e.strerror[0].lower() + e.strerror[1:]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    text = text.removeprefix("Error while fetching server API version: ")
    return text if len(text) <= 200 else text[:197] + "..."


def _explanation(exc: docker.errors.APIError) -> str:
    text = str(exc.explanation or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return first if len(first) <= 200 else first[:197] + "..."
