"""The fixtures of pytest-deployready (registered as a plugin by ``_plugin.pytest_configure``).

Service fixtures are session-scoped and connect when the first check asks for them. When a
target cannot be reached, the check errors with one line (what, where, why) and pytest caches
that error for the session, so fifty checks against a dead target cost one timeout. Every
network operation of every fixture has an overall deadline from ``[timeouts]``
(:mod:`pytest_deployready._deadlines`): ``connect_s`` to connect, ``statement_s`` (+
``connect_s``) per SQL query, ``http_s`` per HTTP request, ``command_s`` per Redis command
and Docker API call.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn, TypeVar

import pytest

from pytest_deployready._run import RUN_KEY, DeployRun
from pytest_deployready.errors import DeployReadyError, TargetNotConfigured

if TYPE_CHECKING:
    from pytest_deployready.compose import Compose
    from pytest_deployready.config import DeployConfig
    from pytest_deployready.host import Host
    from pytest_deployready.http import Api
    from pytest_deployready.metrics import Metrics
    from pytest_deployready.postgres import Database
    from pytest_deployready.redis import RedisTarget
    from pytest_deployready.release import Release
    from pytest_deployready.thresholds import Evidence, Thresholds
    from pytest_deployready.tls import Tls

__all__ = [
    "CheckFixtures",
    "HostFixture",
    "api",
    "compose",
    "db",
    "deploy_config",
    "metrics",
    "redis",
    "release",
    "tls",
]

T = TypeVar("T")


def _fail(exc: DeployReadyError) -> NoReturn:
    __tracebackhide__ = True
    pytest.fail(str(exc), pytrace=False)


def _open(factory: Callable[[], T], connect: Callable[[T], object]) -> T:
    """Build a service object and connect it now, turning our errors into one-line failures."""
    __tracebackhide__ = True
    try:
        obj = factory()
        connect(obj)
    except DeployReadyError as exc:
        error = exc
    else:
        return obj
    _fail(error)  # outside the except block: one line, no "During handling of..." chain


def _missing(what: str, key: str, variable: str | None, cfg: DeployConfig) -> NoReturn:
    __tracebackhide__ = True
    where = (
        str(cfg.path) if cfg.path else "deployready.toml or [tool.deployready] in pyproject.toml"
    )
    hint = f' (for example targets.{key} = "${{{variable}}}")' if variable else ""
    _fail(TargetNotConfigured(f"no {what} target: set targets.{key} in {where}{hint}"))


@pytest.fixture(scope="session")
def deploy_config(pytestconfig: pytest.Config) -> DeployConfig:
    """The effective configuration (file, environment overlay and overrides applied).

    Example::

        def test_environment(deploy_config):
            assert deploy_config.environment == "production"
    """
    return pytestconfig.stash[RUN_KEY].deploy_config


class CheckFixtures:
    """The per-check fixtures ``thresholds`` and ``evidence``, bound to the run.

    They take no ``request``: pytest builds a new ``request`` fixture definition (a signature
    inspection) every time a fixture asks for it, for every check. The check that is being set
    up is the run's ``current_check`` instead. Registered by ``plugin.pytest_configure``::

        config.pluginmanager.register(CheckFixtures(run), "deployready-check-fixtures")
    """

    def __init__(self, run: DeployRun) -> None:
        self._run = run

    @pytest.fixture
    def thresholds(self) -> Thresholds:
        """Check measured values against the configured rules; each check lands in the record.

        Example::

            def test_p95(api, thresholds):
                thresholds.check("api_p95_ms", api.sample("GET", "/health", n=100).p95_ms)
        """
        from pytest_deployready.thresholds import Thresholds

        run = self._run
        item, state = run.current_check, run.current_state
        return Thresholds(
            run.deploy_config.thresholds,
            state.measurement_list() if state else None,
            baseline=run.baseline,
            check_id=item.nodeid if item is not None else "",
        )

    @pytest.fixture
    def evidence(self) -> Evidence:
        """Attach JSON-serialisable facts to this check's entry in the record.

        Example::

            def test_version(db, evidence):
                evidence.add("postgres_version", db.server_version())
        """
        from pytest_deployready.thresholds import Evidence

        state = self._run.current_state
        return Evidence(state.evidence_dict() if state else None)


@pytest.fixture(scope="session")
def db(deploy_config: DeployConfig) -> Iterator[Database]:
    """A read-only PostgreSQL session on ``targets.database_url`` (psycopg 3).

    Example::

        def test_orders_index(db):
            assert db.has_index("purchase_orders", columns=["supplier_id", "created_at"])
            assert db.explain("SELECT * FROM purchase_orders WHERE supplier_id = 1").uses_index()
    """
    from pytest_deployready.postgres import Database

    url = deploy_config.targets.database_url
    if not url:
        _missing("PostgreSQL", "database_url", "DATABASE_URL", deploy_config)
    t = deploy_config.timeouts
    database = _open(
        lambda: Database(url, connect_timeout=t.connect_s, statement_timeout=t.statement_s),
        lambda d: d.server_version(),
    )
    yield database
    database.close()


@pytest.fixture(scope="session")
def redis(deploy_config: DeployConfig) -> Iterator[RedisTarget]:
    """A Redis client on ``targets.redis_url`` that refuses every write command.

    Example::

        def test_persistence(redis):
            assert redis.persistence().aof_enabled
            assert redis.ping_ms() < 5
    """
    from pytest_deployready.redis import RedisTarget

    url = deploy_config.targets.redis_url
    if not url:
        _missing("Redis", "redis_url", "REDIS_URL", deploy_config)
    t = deploy_config.timeouts
    client = _open(
        lambda: RedisTarget(url, connect_timeout=t.connect_s, command_timeout=t.command_s),
        lambda r: r.ping_ms(),
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def api(request: pytest.FixtureRequest, deploy_config: DeployConfig) -> Iterator[Api]:
    """An HTTP client on the API under test (``targets.api_base_url`` or each of ``targets.apis``).

    Every response is timed; ``api.sample(...)`` measures latency under concurrency. With several
    API instances configured, each check using ``api`` runs once per instance.

    Example::

        def test_health(api):
            assert api.health("/health").ok

        def test_latency(api, thresholds):
            result = api.sample("GET", "/orders", n=200, concurrency=10)
            thresholds.check("api_p95_ms", result.p95_ms)
    """
    from pytest_deployready.http import Api

    targets = deploy_config.targets.api_targets()
    if not targets:
        _missing("API", "api_base_url", "API_BASE_URL", deploy_config)
    wanted = getattr(request, "param", None)
    target = next((t for t in targets if t.name == wanted), targets[0])
    token = os.environ.get(target.token_env) if target.token_env else None
    if target.token_env and token is None:
        _fail(
            TargetNotConfigured(
                f"API {target.name}: environment variable {target.token_env} is not set "
                "(named by targets.api_token_env)"
            )
        )
    client = Api(
        target.base_url, token=token, timeout=deploy_config.timeouts.http_s, name=target.name
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def metrics(deploy_config: DeployConfig) -> Iterator[Metrics]:
    """Prometheus metrics: scrape an exposition endpoint or query ``targets.prometheus_url``.

    Example::

        def test_cache_hit_ratio(api, metrics, thresholds):
            exposition = metrics.scrape(api, "/metrics")
            ratio = exposition.ratio("cache_hits", "cache_hits", "cache_misses")  # h / (h + m)
            thresholds.check("cache_hit_ratio", ratio)
    """
    from pytest_deployready.metrics import Metrics

    client = Metrics(
        prometheus_url=deploy_config.targets.prometheus_url,
        timeout=deploy_config.timeouts.http_s,
        alertmanager_url=deploy_config.targets.alertmanager_url,
        metrics_url=deploy_config.targets.metrics_url,
    )
    yield client
    client.close()


@pytest.fixture(scope="session")
def compose(deploy_config: DeployConfig) -> Iterator[Compose]:
    """The Compose stack of ``targets.compose_file``, read through Docker and never changed.

    Example::

        def test_all_services_healthy(compose):
            assert compose.missing() == []
            assert compose.unhealthy() == []
    """
    from pytest_deployready.compose import Compose

    compose_file = deploy_config.targets.compose_file
    if not compose_file:
        _missing("Compose", "compose_file", None, deploy_config)
    stack = _open(
        lambda: Compose(
            compose_file,
            project=deploy_config.targets.compose_project,
            timeout=deploy_config.timeouts.connect_s,
            command_timeout=deploy_config.timeouts.command_s,
        ),
        lambda c: c.engine_version(),
    )
    yield stack
    stack.close()


@pytest.fixture(scope="session")
def tls(deploy_config: DeployConfig) -> Tls:
    """TLS endpoints by handshake only: certificate expiry, host name, chain, versions offered.

    ``targets.tls_ca_file`` is the CA bundle (default: the system's); without an endpoint the
    methods use the first ``https://`` API target. Example::

        def test_certificate(tls, thresholds, evidence):
            cert = tls.certificate("api.example.com:443")
            evidence.add("certificate", cert.as_evidence())
            thresholds.check("tls_days_left", cert.days_until_expiry)  # e.g. ">= 21"
            assert cert.chain_valid, cert.chain_error
            assert cert.hostname_matches, cert.names
            assert tls.protocols("api.example.com:443")["TLSv1.1"] is not True
    """
    from pytest_deployready.tls import Tls

    https = [
        t.base_url
        for t in deploy_config.targets.api_targets()
        if t.base_url.lower().startswith("https://")
    ]
    return Tls(
        timeout_s=deploy_config.timeouts.http_s,
        ca_file=deploy_config.targets.tls_ca_file,
        default_endpoint=https[0] if https else None,
    )


@pytest.fixture(scope="session")
def release(pytestconfig: pytest.Config, deploy_config: DeployConfig) -> Release:
    """The git state of the release under test: ``targets.release_repo``, else the checkout the
    suite (its config) lives in.

    Read-only git commands only. Example::

        def test_release_is_clean_and_tagged(release):
            assert not release.dirty, release.changed_files
            assert release.tags, f"{release.describe()} has no tag"

        def test_deployed_version_is_this_release(release, api):
            deployed = api.get("/version").json()["commit"]
            assert release.contains(deployed), f"{deployed} is not in {release.describe()}"
    """
    from pytest_deployready.release import GitError, Release

    configured = deploy_config.targets.release_repo
    if configured is None:
        root = deploy_config.path.parent if deploy_config.path else pytestconfig.rootpath
        return Release(root, timeout_s=deploy_config.timeouts.command_s)
    chosen = Release(configured, timeout_s=deploy_config.timeouts.command_s)
    problem = chosen.checkout_problem()
    if problem:
        _fail(GitError(f"release: targets.release_repo = {configured}: {problem}"))
    return chosen


class HostFixture:
    """The ``host`` fixture, registered only in a suite that opted in (config or option).

    pytest-testinfra, when installed, has a ``host`` fixture of its own: a suite that never
    asked for pytest-deployready keeps testinfra's. Registered by ``plugin.pytest_configure``.
    """

    # A classmethod: pytest deprecates session fixtures defined as instance methods (an error
    # in a suite that turns warnings into errors).
    @pytest.fixture(scope="session")
    @classmethod
    def host(cls, request: pytest.FixtureRequest, deploy_config: DeployConfig) -> Iterator[Host]:
        """A machine's state through pytest-testinfra, read-only (``[[targets.hosts]]``).

        With several hosts configured, each check using ``host`` runs once per host. Files,
        services, processes, sockets, packages, disk and memory, configuration tests; running
        other commands needs ``allow_commands = true`` on the host. Example::

            def test_web_host(host, thresholds):
                assert host.service("nginx").running
                assert host.listening("tcp://0.0.0.0:443")
                assert host.config_test("nginx -t").ok
                assert host.file("/etc/app/env").mode == 0o600
                thresholds.check("disk_used_ratio", host.disk_used_ratio("/var"))
        """
        from pytest_deployready.host import Host

        targets = deploy_config.targets.hosts
        if not targets:
            _missing("host", "hosts", None, deploy_config)
        wanted = getattr(request, "param", None)
        target = next((t for t in targets if t.name == wanted), targets[0])
        client = Host(
            target.name,
            target.url,
            identity_file=target.identity_file,
            known_hosts=target.known_hosts,
            timeout_s=deploy_config.timeouts.command_s,
            allow_commands=target.allow_commands,
            sudo=target.sudo,
        )
        yield client
        client.close()
