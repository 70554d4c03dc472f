"""Compose against a real Docker engine and a real compose project (tests/servers/docker.py)."""

from __future__ import annotations

import ast
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import docker
import pytest

from pytest_deployready import compose as compose_module
from pytest_deployready.compose import (
    Compose,
    ComposeError,
    ComposeFileError,
    ServiceState,
    project_name_from_dir,
)
from pytest_deployready.errors import DeployReadyError, TargetUnreachable
from tests.servers.docker import COMPOSE_DIR, IMAGE, ComposeProject

EXPECTED = ["web", "worker", "sick", "crasher", "logger"]


@pytest.fixture(autouse=True)
def _clean_compose_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stack(compose_project: ComposeProject) -> Iterator[Compose]:
    with Compose(
        compose_project.file, project=compose_project.name, docker_host=compose_project.docker_host
    ) as stack:
        yield stack


@pytest.fixture
def make_stack(compose_project: ComposeProject) -> Iterator[Callable[..., Compose]]:
    """Compose objects on the test project (any compose file), closed at teardown."""
    made: list[Compose] = []

    def make(file: Path | None = None, **kwargs: Any) -> Compose:
        stack = Compose(
            file or compose_project.file,
            project=compose_project.name,
            docker_host=compose_project.docker_host,
            **kwargs,
        )
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.close()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# --- declared services, project names, compose files (no engine needed) -------------------------


def test_services_in_file_order_without_inactive_profiles() -> None:
    assert Compose(COMPOSE_DIR / "docker-compose.yml").services() == EXPECTED


def test_profile_from_argument_env_and_wildcard(monkeypatch: pytest.MonkeyPatch) -> None:
    file = COMPOSE_DIR / "docker-compose.yml"
    assert Compose(file, profiles=["extra"]).services() == [*EXPECTED, "optional"]
    assert Compose(file, profiles=["other"]).services() == EXPECTED
    assert Compose(file, profiles=["*"]).services()[-1] == "optional"
    monkeypatch.setenv("COMPOSE_PROFILES", "debug, extra")
    assert Compose(file).services() == [*EXPECTED, "optional"]
    assert Compose(file, profiles=[]).services() == EXPECTED  # the argument wins


def test_spec_reports_the_declaration() -> None:
    stack = Compose(COMPOSE_DIR / "docker-compose.yml")
    web = stack.spec("web")
    assert (web.image, web.has_healthcheck, web.expected) == (IMAGE, True, True)
    assert stack.spec("worker").has_healthcheck is False
    optional = stack.spec("optional")
    assert (optional.profiles, optional.expected) == (("extra",), False)


def test_unknown_service_lists_the_declared_ones() -> None:
    with pytest.raises(ComposeError, match=r"'nope' is not declared in .*declared: web, worker"):
        Compose(COMPOSE_DIR / "docker-compose.yml").service("nope")


def test_project_name_explicit_env_file_name_and_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = COMPOSE_DIR / "docker-compose.yml"
    assert Compose(file).project == "compose"
    assert Compose(file, project="Release_42.b").project == "release_42b"
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "FromEnv")
    assert Compose(file).project == "fromenv"
    assert Compose(file, project="explicit").project == "explicit"
    assert Compose(COMPOSE_DIR / "named.yml", project="x").project == "x"
    monkeypatch.delenv("COMPOSE_PROJECT_NAME")
    assert Compose(COMPOSE_DIR / "named.yml").project == "shop-stack_2"
    odd = tmp_path / "My Stack.v2"
    odd.mkdir()
    (odd / "docker-compose.yml").write_text("services:\n  a:\n    image: x\n")
    assert Compose(odd / "docker-compose.yml").project == "mystackv2"
    assert Compose(odd).services() == ["a"]  # a directory: its default compose file
    assert project_name_from_dir(odd) == "mystackv2"


def test_several_files_are_merged_in_order(tmp_path: Path) -> None:
    override = tmp_path / "override.yml"
    override.write_text("services:\n  worker:\n    profiles: [ops]\n  extra:\n    image: other:1\n")
    stack = Compose([COMPOSE_DIR / "docker-compose.yml", override])
    assert stack.services() == ["web", "sick", "crasher", "logger", "extra"]
    assert stack.spec("worker").image == IMAGE  # kept from the first file
    assert stack.project == "compose"  # from the first file's directory


def test_interpolation_of_image_and_container_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("# defaults\nTAG=from-dotenv\nNAME='svc-name'\n")
    file = tmp_path / "docker-compose.yml"
    file.write_text(
        "services:\n"
        "  a:\n"
        "    image: repo/app:${TAG}\n"
        "    container_name: ${NAME:-unused}\n"
        "  b:\n"
        "    image: ${MISSING:-fallback}:$$literal\n"
        "  c:\n"
        "    image: ${REQUIRED:?set REQUIRED}\n"
    )
    monkeypatch.setenv("REQUIRED", "required:1")
    monkeypatch.setenv("TAG", "from-env")  # the process environment beats .env
    stack = Compose(file)
    assert stack.spec("a").image == "repo/app:from-env"
    assert stack.spec("a").container_name == "svc-name"
    assert stack.spec("b").image == "fallback:$literal"
    assert stack.spec("c").image == "required:1"
    monkeypatch.delenv("REQUIRED")
    with pytest.raises(ComposeFileError, match="required variable REQUIRED is missing"):
        Compose(file).services()


def test_missing_compose_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "docker-compose.yml"
    stack = Compose(path)
    with pytest.raises(ComposeFileError) as info:
        stack.services()
    assert str(info.value) == f"compose file not found: {path}"
    with pytest.raises(ComposeFileError) as again:  # remembered, same error
        stack.missing()
    assert again.value is info.value


def test_unparsable_compose_file_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError) as info:
        Compose(COMPOSE_DIR / "broken.yml").services()
    message = str(info.value)
    assert message.startswith(f"cannot parse compose file {COMPOSE_DIR / 'broken.yml'}: line ")
    assert "\n" not in message
    not_a_mapping = tmp_path / "list.yml"
    not_a_mapping.write_text("- a\n- b\n")
    with pytest.raises(ComposeFileError, match="top level must be a mapping"):
        Compose(not_a_mapping).services()
    bad_services = tmp_path / "bad.yml"
    bad_services.write_text("services: [a, b]\n")
    with pytest.raises(ComposeFileError, match="'services' must be a mapping"):
        Compose(bad_services).services()
    with pytest.raises(ComposeFileError, match="no compose file in directory"):
        Compose(tmp_path).services()


# --- the real project ----------------------------------------------------------------------------


def test_states_of_every_expected_service(stack: Compose) -> None:
    states = stack.states()
    assert list(states) == EXPECTED
    summary = {n: (s.state, s.health) for n, s in states.items()}
    assert summary == {
        "web": ("running", "healthy"),
        "worker": ("running", None),
        "sick": ("running", "unhealthy"),
        "crasher": ("exited", None),
        "logger": ("running", None),
    }


def test_service_details_of_a_healthy_service(stack: Compose) -> None:
    web = stack.service("web")
    assert isinstance(web, ServiceState)
    assert (web.running, web.ok, web.restart_count, web.image) == (True, True, 0, IMAGE)
    assert len(web.containers) == 1 and web.container_ids == [web.containers[0].id]
    assert re.fullmatch(r"[0-9a-f]{64}", web.container_ids[0])
    assert web.started_at is not None and web.started_at.tzinfo is not None
    assert web.started_at <= datetime.now(UTC)
    assert web.uptime_s is not None and web.uptime_s >= 0
    assert web.exit_code is None


def test_restart_count_and_exit_code_of_a_crashing_service(stack: Compose) -> None:
    crasher = stack.service("crasher")
    assert (crasher.state, crasher.restart_count, crasher.exit_code) == ("exited", 2, 3)
    assert crasher.uptime_s is None and not crasher.ok
    assert stack.logs("crasher").count("crasher starting") == 3  # first run + 2 restarts


def test_unhealthy_and_missing_on_the_real_project(stack: Compose) -> None:
    assert stack.unhealthy() == ["sick", "crasher"]
    assert stack.missing() == []


def test_missing_service_is_detected(make_stack: Callable[..., Compose]) -> None:
    stack = make_stack(COMPOSE_DIR / "with-missing.yml")
    assert stack.missing() == ["ghost"]
    assert stack.unhealthy() == ["ghost"]
    ghost = stack.service("ghost")
    assert (ghost.state, ghost.containers, ghost.health, ghost.ok) == ("missing", [], None, False)
    with pytest.raises(ComposeError, match="'ghost' has no container in project"):
        stack.logs("ghost")
    with pytest.raises(ComposeError, match="'ghost' has no container in project"):
        stack.exec("ghost", ["true"])


def test_profile_service_is_missing_only_when_its_profile_is_active(
    make_stack: Callable[..., Compose], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert make_stack().missing() == []
    assert make_stack(profiles=["extra"]).missing() == ["optional"]
    assert "optional" in make_stack(profiles=["extra"]).unhealthy()
    monkeypatch.setenv("COMPOSE_PROFILES", "extra")
    assert make_stack().missing() == ["optional"]
    assert make_stack().service("optional").state == "missing"


def test_container_name_finds_an_unlabelled_lookup(
    make_stack: Callable[..., Compose], compose_project: ComposeProject, tmp_path: Path
) -> None:
    file = tmp_path / "docker-compose.yml"
    file.write_text(
        f"services:\n  legacy:\n    container_name: {compose_project.name}_worker_1\n"
        "  other:\n    container_name: no-such-container-deployready\n"
    )
    stack = make_stack(file)
    assert stack.service("legacy").state == "running"
    assert stack.missing() == ["other"]


def test_logs_since_and_tail(stack: Compose) -> None:
    text = stack.logs("logger")
    for line in ("INFO logger up", "ERROR something went wrong", "ERROR something else"):
        assert line in text.splitlines()
    assert len(stack.logs("logger", tail=1).splitlines()) == 1
    assert stack.logs("logger", tail=0) == ""
    assert stack.logs("logger", since=time.time() + 3600) == ""
    assert "INFO logger up" in stack.logs("logger", since=datetime.now(UTC) - timedelta(hours=1))
    assert stack.logs("logger", since=0) == text
    with pytest.raises(ComposeError, match="tail must be >= 0"):
        stack.logs("logger", tail=-1)


def test_log_errors(stack: Compose) -> None:
    errors = stack.log_errors("logger")
    assert sorted(errors) == ["ERROR something else", "ERROR something went wrong"]
    assert stack.log_errors("logger", pattern=r"WARN") == ["WARN disk at 80%"]
    assert stack.log_errors("logger", pattern=re.compile(r"terror")) == [
        "not an errors word: terror"
    ]
    assert stack.log_errors("logger", since=time.time() + 3600) == []
    assert stack.log_errors("worker") == []


def test_exec_runs_in_the_running_container(
    stack: Compose, compose_project: ComposeProject
) -> None:
    result = stack.exec("web", ["cat", "/www/index.html"])
    assert (result.exit_code, result.output, result.ok) == (0, "deployready busybox\n", True)
    assert result.container_id == stack.service("web").container_ids[0]
    port = compose_project.web_port
    fetched = stack.exec("web", f"wget -q -O - http://127.0.0.1:{port}/")
    assert fetched.output == "deployready busybox\n"
    failed = stack.exec("worker", ["sh", "-c", "echo oops >&2; exit 7"])
    assert (failed.exit_code, failed.output, failed.ok) == (7, "oops\n", False)
    with pytest.raises(ComposeError, match=r"'crasher' .* no running container .*state: exited"):
        stack.exec("crasher", ["true"])


def test_engine_version(stack: Compose) -> None:
    assert re.match(r"^\d+\.\d+", stack.engine_version())
    assert stack.connect_attempts == 1


# --- read-only -----------------------------------------------------------------------------------


def _snapshot(client: docker.DockerClient, project: str) -> dict[str, Any]:
    containers = client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={project}"}
    )
    return {
        "containers": sorted(
            (
                c.id,
                c.attrs["State"]["Status"],
                c.attrs["RestartCount"],
                c.attrs["State"]["StartedAt"],
                c.attrs["State"]["Pid"],
            )
            for c in containers
        ),
        "images": sorted(i.id for i in client.images.list(all=True)),
        "networks": sorted(n.id for n in client.networks.list()),
        "volumes": sorted(v.id for v in client.volumes.list()),
    }


def test_every_helper_leaves_the_project_unchanged(
    stack: Compose, compose_project: ComposeProject, docker_engine: docker.DockerClient
) -> None:
    before = _snapshot(docker_engine, compose_project.name)
    assert len(before["containers"]) == len(EXPECTED)
    stack.services()
    stack.missing()
    stack.unhealthy()
    stack.engine_version()
    for name, state in stack.states().items():
        stack.spec(name)
        stack.service(name)
        stack.logs(name, tail=5)
        stack.log_errors(name)
        if state.running:
            stack.exec(name, ["cat", "/etc/passwd"])
    assert _snapshot(docker_engine, compose_project.name) == before


def test_module_calls_no_mutating_docker_method() -> None:
    forbidden = {
        "attach",
        "commit",
        "create",
        "exec_start",
        "kill",
        "pause",
        "prune",
        "put_archive",
        "remove",
        "rename",
        "restart",
        "run",
        "start",
        "stop",
        "unpause",
        "wait",
    }
    tree = ast.parse(Path(compose_module.__file__).read_text(encoding="utf-8"))
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert called & forbidden == set()


# --- faults ---------------------------------------------------------------------------------------


def _assert_fails_fast(stack: Compose, expected: str) -> None:
    started = time.monotonic()
    calls: list[Callable[[], object]] = [
        stack.states,
        stack.missing,
        stack.unhealthy,
        stack.engine_version,
        lambda: stack.service("web"),
        lambda: stack.logs("logger"),
        lambda: stack.log_errors("logger"),
        lambda: stack.exec("web", ["true"]),
    ]
    messages = set()
    for i in range(50):
        with pytest.raises(TargetUnreachable) as info:
            calls[i % len(calls)]()
        messages.add(str(info.value))
    assert messages == {expected}
    assert stack.connect_attempts == 1
    assert time.monotonic() - started < 20


def test_no_engine_at_a_missing_socket() -> None:
    stack = Compose(COMPOSE_DIR / "docker-compose.yml", docker_host="unix:///nonexistent.sock")
    _assert_fails_fast(
        stack, "cannot reach Docker engine at unix:///nonexistent.sock: no such file or directory"
    )


def test_no_engine_at_a_closed_tcp_port() -> None:
    port = _closed_port()
    stack = Compose(COMPOSE_DIR / "docker-compose.yml", docker_host=f"tcp://127.0.0.1:{port}")
    _assert_fails_fast(
        stack, f"cannot reach Docker engine at tcp://127.0.0.1:{port}: connection refused"
    )


def test_docker_host_from_environment_and_no_credentials_in_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    with pytest.raises(TargetUnreachable, match=r"at unix:///nonexistent\.sock: "):
        Compose(COMPOSE_DIR / "docker-compose.yml").engine_version()
    port = _closed_port()
    stack = Compose(
        COMPOSE_DIR / "docker-compose.yml", docker_host=f"tcp://admin:s3cr3t-pw@127.0.0.1:{port}"
    )
    with pytest.raises(TargetUnreachable) as info:
        stack.states()
    assert "s3cr3t-pw" not in str(info.value) and "admin" not in str(info.value)
    assert isinstance(info.value, DeployReadyError)
