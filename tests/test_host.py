"""The ``host`` fixture over real backends: local, a real sshd on 127.0.0.1, a container."""

from __future__ import annotations

import json
import os
import pwd
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from pytest_deployready.errors import DeployReadyError, ReadOnlyViolation, TargetUnreachable
from pytest_deployready.host import Host
from tests.servers.docker import IMAGE
from tests.servers.ssh import SshServer

pytest_plugins = ["pytester"]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "env").write_text("SECRET_KEY=x\nDEBUG=false\n")
    os.chmod(tmp_path / "env", 0o600)
    old = tmp_path / "backup.sql.gz"
    old.write_bytes(b"x" * 2048)
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    return tmp_path


@pytest.fixture(params=["local", "ssh"])
def machine(request: pytest.FixtureRequest, ssh_server: SshServer) -> Iterator[Host]:
    if request.param == "local":
        host = Host("local", "local://", timeout_s=20)
    else:
        host = Host(
            "ssh",
            ssh_server.url,
            identity_file=str(ssh_server.identity_file),
            known_hosts=str(ssh_server.known_hosts),
            timeout_s=20,
        )
    yield host
    host.close()


def test_files_mode_owner_age_and_content(machine: Host, files: Path) -> None:
    env = machine.file(str(files / "env"))
    assert env.exists and env.is_file and env.mode == 0o600 and env.user == "root"
    backup = machine.file(str(files / "backup.sql.gz"))
    assert backup.size == 2048 and backup.age_s is not None and backup.age_s > 3 * 86400 - 60
    assert machine.file(str(files)).is_directory
    missing = machine.file(str(files / "nope"))
    assert not missing.exists and missing.mode is None and missing.age_s is None
    assert machine.file_contains(str(files / "env"), r"^DEBUG=false$")
    assert not machine.file_contains(str(files / "env"), r"^DEBUG=true$")


def test_sockets_processes_packages_disk_memory(machine: Host, ssh_server: SshServer) -> None:
    assert machine.listening(f"tcp://127.0.0.1:{ssh_server.port}")
    assert not machine.listening("tcp://127.0.0.1:1")
    assert machine.process_count(comm="sshd") >= 1
    assert machine.package("openssh-server") is not None
    assert machine.package("no-such-package-xyz") is None
    assert 0 < machine.disk_used_ratio("/") < 1
    assert 0 < machine.memory_used_ratio() < 1


def test_config_tests_only_read_and_commands_need_an_opt_in(
    machine: Host, ssh_server: SshServer, tmp_path: Path
) -> None:
    config = Path(str(ssh_server.identity_file)).parent / "sshd_config"
    result = machine.config_test(f"sshd -t -f {config}")
    assert result.ok, result.stderr
    marker = tmp_path / "touched"
    for command in ("rm -rf /tmp/x", f"sshd -t -f {config}; touch {marker}", "nginx -s stop"):
        with pytest.raises(ReadOnlyViolation):
            machine.config_test(command)
    with pytest.raises(ReadOnlyViolation, match="allow_commands = true"):
        machine.run(f"touch {marker}")
    assert not marker.exists()
    opted_in = Host(machine.name, machine.url, identity_file=machine.identity_file,
                    known_hosts=machine.known_hosts, allow_commands=True)  # fmt: skip
    try:
        assert opted_in.run("echo hello").stdout.strip() == "hello"
    finally:
        opted_in.close()


def test_a_container_through_the_docker_backend(docker_engine: docker.DockerClient) -> None:
    name = f"deployready-host-{uuid.uuid4().hex[:8]}"
    container = docker_engine.containers.run(
        IMAGE, ["sh", "-c", "echo ok > /ready; sleep 600"], name=name, detach=True,
        network_mode="host",
    )  # fmt: skip
    try:
        host = Host("box", f"docker://{name}", timeout_s=20)
        deadline = time.monotonic() + 30
        while not host.file("/ready").exists and time.monotonic() < deadline:
            time.sleep(0.2)
        assert host.file("/ready").size == 3
        assert host.file_contains("/ready", "^ok$")
        assert 0 < host.disk_used_ratio("/") <= 1
    finally:
        container.remove(force=True)


def test_wrong_key_closed_port_and_silent_server_are_one_line(
    ssh_server: SshServer, silent_port: int
) -> None:
    wrong = Host("web", ssh_server.url, identity_file=str(ssh_server.wrong_identity_file),
                 known_hosts=str(ssh_server.known_hosts), timeout_s=15)  # fmt: skip
    with pytest.raises(
        TargetUnreachable, match=r"host web \(ssh://root@127.0.0.1:\d+\): authentication failed"
    ):
        wrong.file("/etc/hostname")
    with pytest.raises(TargetUnreachable, match="authentication failed"):  # remembered
        wrong.file("/etc/hostname")
    closed = Host("gone", "ssh://root@127.0.0.1:1", timeout_s=15)
    with pytest.raises(TargetUnreachable, match=r"cannot reach host gone .*: .*refused"):
        closed.file("/etc/hostname")
    silent = Host("mute", f"ssh://root@127.0.0.1:{silent_port}", timeout_s=3)
    started = time.monotonic()
    with pytest.raises(TargetUnreachable, match=r"host mute .*timed out after 3 s|cannot reach"):
        silent.file("/etc/hostname")
    assert time.monotonic() - started < 30
    started = time.monotonic()
    with pytest.raises(TargetUnreachable):
        silent.file("/etc/hostname")  # remembered: no second wait
    assert time.monotonic() - started < 2


def _users_known_hosts() -> bytes | None:
    """The current user's ~/.ssh/known_hosts as OpenSSH finds it (the passwd home, not $HOME)."""
    path = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".ssh" / "known_hosts"
    return path.read_bytes() if path.exists() else None


def test_host_keys_are_checked_never_learnt(ssh_server: SshServer) -> None:
    """A key that is not pinned, or differs from the pinned one, is an error; nothing is
    written to the user's known_hosts (a server's key is never accepted on first sight)."""
    before = _users_known_hosts()
    key = str(ssh_server.identity_file)
    unknown = Host("new", ssh_server.url, identity_file=key, timeout_s=15)
    with pytest.raises(
        TargetUnreachable, match=r"^host new \(ssh://root@127.0.0.1:\d+\): host key verification "
        r"failed: (its key is not in|the key differs from the one in) ~/.ssh/known_hosts \(check"
    ):  # fmt: skip
        unknown.file("/etc/hostname")
    unknown.close()
    changed = Host("moved", ssh_server.url, identity_file=key,
                   known_hosts=str(ssh_server.wrong_known_hosts), timeout_s=15)  # fmt: skip
    with pytest.raises(TargetUnreachable) as raised:
        changed.file("/etc/hostname")
    changed.close()
    message = str(raised.value)
    assert "\n" not in message and "CommandResult" not in message and "@@@" not in message
    assert f"the key differs from the one in {ssh_server.wrong_known_hosts}" in message
    pinned = Host("pinned", ssh_server.url, identity_file=key,
                  known_hosts=str(ssh_server.known_hosts), timeout_s=15)  # fmt: skip
    try:
        assert pinned.file("/etc/hostname").exists
    finally:
        pinned.close()
    assert _users_known_hosts() == before


def test_several_hosts_in_a_suite(pytester: pytest.Pytester, ssh_server: SshServer) -> None:
    pytester.makefile(
        ".toml",
        deployready=f"""
[thresholds]
disk_used_ratio = "< 0.999"

[[targets.hosts]]
name = "here"
url = "local://"

[[targets.hosts]]
name = "over-ssh"
url = "{ssh_server.url}"
identity_file = "{ssh_server.identity_file}"
known_hosts = "{ssh_server.known_hosts}"
""",
    )
    pytester.makepyfile(
        test_hosts="""
import pytest


@pytest.mark.phase("pre")
def test_disk(host, thresholds):
    thresholds.check("disk_used_ratio", host.disk_used_ratio("/"))


@pytest.mark.phase("pre")
def test_no_commands(host):
    host.run("true")
"""
    )
    result = pytester.runpytest("--deploy-record=record.json")
    record = json.loads((pytester.path / "record.json").read_text())
    outcomes = {c["id"].split("::")[1]: c["outcome"] for c in record["checks"]}
    assert outcomes == {
        "test_disk[here]": "passed",
        "test_disk[over-ssh]": "passed",
        "test_no_commands[here]": "failed",
        "test_no_commands[over-ssh]": "failed",
    }
    assert result.ret == 1


def test_a_suite_that_did_not_opt_in_keeps_testinfras_host(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="""
def test_uses_testinfra(host):
    assert type(host).__module__.startswith("testinfra")
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_a_password_in_a_host_url_reaches_no_output(pytester: pytest.Pytester) -> None:
    canary = "Canary-H0st-Pw-5150"
    pytester.makefile(
        ".toml",
        deployready=f"""
[[targets.hosts]]
name = "web"
url = "ssh://deploy:{canary}@127.0.0.1:1"
""",
    )
    pytester.makepyfile(
        test_host="""
import pytest


@pytest.mark.phase("pre")
def test_reach(host):
    assert host.file("/etc/hostname").exists


@pytest.mark.phase("pre")
def test_echo(host, evidence):
    evidence.add("host", repr(host) + " " + host.url)
"""
    )
    result = pytester.runpytest(
        "--deploy-record=r.json", "--deploy-html=r.html", "--junitxml=j.xml"
    )
    assert result.ret == 1
    outputs = {
        "terminal": result.stdout.str() + result.stderr.str(),
        **{n: (pytester.path / n).read_text() for n in ("r.json", "r.html", "j.xml")},
    }
    assert [name for name, text in outputs.items() if canary in text] == []


def test_files_lists_a_directory_by_pattern(machine: Host, files: Path) -> None:
    (files / "app-20261201T000000.sql.gz").write_bytes(b"\x1f\x8b" + b"y" * 100)
    (files / "backend.backup.20261207").mkdir()
    (files / "sub").mkdir()
    (files / "sub" / "app-nested.sql.gz").write_bytes(b"z")  # not a direct entry
    os.chmod(files / "backup.sql.gz", 0o640)
    dumps = machine.files(str(files), "*.sql.gz")
    assert [Path(d.path).name for d in dumps] == ["app-20261201T000000.sql.gz", "backup.sql.gz"]
    old = dumps[1]
    assert old.is_file and old.size == 2048 and old.mode == 0o640 and old.user == "root"
    assert old.age_s is not None and old.age_s > 3 * 86400 - 60
    assert dumps[0].age_s is not None and dumps[0].age_s < 3600
    (backup,) = machine.files(str(files), "backend.backup.*")
    assert backup.is_directory and not backup.is_file
    assert machine.files(str(files), "nothing-*") == []
    with pytest.raises(DeployReadyError, match=r"cannot list .*no-such-dir"):
        machine.files(str(files / "no-such-dir"), "*")


def test_directory_listing_env_names_and_gzip_content(machine: Host, files: Path) -> None:
    """Backup directories, env files and compressed dumps, read without copying them off."""
    import gzip

    dumps = files / "backups"
    dumps.mkdir()
    for day, age_days in (("20261201", 6), ("20261206", 1)):
        dump = dumps / f"app-{day}.sql.gz"
        dump.write_bytes(gzip.compress(b"CREATE TABLE public.users (\n);\nCOPY users;\n"))
        then = time.time() - age_days * 86400
        os.utime(dump, (then, then))
    (dumps / "backup.log").write_text("backup ok\n")
    (dumps / "broken.sql.gz").write_bytes(gzip.compress(b"CREATE TABLE public.x (\n")[:-6])
    listed = machine.files(str(dumps), "app-*.sql.gz")
    assert [f.path for f in listed] == [
        str(dumps / "app-20261201.sql.gz"),
        str(dumps / "app-20261206.sql.gz"),
    ]
    assert all(f.is_file and f.size and f.size > 20 for f in listed)
    assert listed[0].age_s is not None and 6 * 86400 - 60 < listed[0].age_s < 6 * 86400 + 60
    assert len(machine.files(str(dumps))) == 4 and machine.files(str(dumps), "*.txt") == []
    with pytest.raises(DeployReadyError, match="cannot list"):
        machine.files(str(files / "nope"))

    assert machine.env_names(str(files / "env")) == ["SECRET_KEY", "DEBUG"]
    (files / "env2").write_text("# comment\nexport TOKEN=abc\n  PORT = 8000\nnot a line\n")
    assert machine.env_names(str(files / "env2")) == ["TOKEN", "PORT"]
    with pytest.raises(DeployReadyError, match="cannot read"):
        machine.env_names(str(files / "nope"))

    assert machine.gzip_ok(str(listed[1].path))
    assert not machine.gzip_ok(str(dumps / "broken.sql.gz"))
    assert not machine.gzip_ok(str(dumps / "backup.log"))
    assert machine.gzip_lines(str(listed[1].path), r"^CREATE TABLE ") == [
        "CREATE TABLE public.users ("
    ]
    assert machine.gzip_lines(str(listed[1].path), r"^(CREATE|COPY)", limit=1) == [
        "CREATE TABLE public.users ("
    ]
    with pytest.raises(DeployReadyError, match="cannot read"):
        machine.gzip_lines(str(dumps / "broken.sql.gz"), "CREATE")


def test_env_names_never_carry_values(machine: Host, files: Path) -> None:
    """Only names cross the connection: a value is in no result, even a name-like one."""
    (files / "secret.env").write_text("API_TOKEN=TOPSECRET_VALUE\nX=Y=Z\n")
    names = machine.env_names(str(files / "secret.env"))
    assert names == ["API_TOKEN", "X"]
    assert "TOPSECRET_VALUE" not in repr(names)


def test_host_in_a_suite_that_turns_warnings_into_errors(pytester: pytest.Pytester) -> None:
    """The fixture raises no deprecation warning (``filterwarnings = error`` suites use it too)."""
    pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    pytester.makefile(".toml", deployready='[[targets.hosts]]\nname = "here"\nurl = "local://"\n')
    pytester.makepyfile(
        test_warned="""
import pytest


@pytest.mark.phase("pre")
def test_one(host):
    assert host.file("/").is_directory


@pytest.mark.phase("pre")
def test_two(host):
    assert host.file("/").is_directory
"""
    )
    result = pytester.runpytest_subprocess("--deploy-record=record.json")
    record = json.loads((pytester.path / "record.json").read_text())
    assert {c["id"].split("::")[1]: c["outcome"] for c in record["checks"]} == {
        "test_one": "passed",
        "test_two": "passed",
    }, result.stdout.str()[-2000:]
    assert result.ret == 0
