"""Configuration through the plugin: discovery, overlays, header sources, usage errors (exit 4)."""

from __future__ import annotations

import pytest

CHECK = """
import pytest
@pytest.mark.phase("pre")
def test_a(deploy_config):
    print("ENV", deploy_config.environment, deploy_config.targets.redis_url)
"""


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[targets]\nredis_urll = 'redis://x'\n",
            "*deployready.toml: targets.redis_urll: unknown key*did you mean 'redis_url'?*",
        ),
        ("default_severity = 3\n", "*deployready.toml: default_severity:*"),
        (
            "[thresholds]\napi_p95_ms = 'fast'\n",
            "*deployready.toml: thresholds.api_p95_ms: cannot parse rule 'fast'*",
        ),
        (
            "[targets]\nredis_url = '${NOT_DEFINED_ANYWHERE}'\n",
            "*deployready.toml: targets.redis_url:*NOT_DEFINED_ANYWHERE*",
        ),
        ("[targets\n", "*deployready.toml*"),
        ("[timeouts]\nconnect_s = -1\n", "*deployready.toml: timeouts.connect_s:*"),
    ],
    ids=[
        "unknown-key",
        "wrong-type",
        "bad-rule",
        "undefined-variable",
        "toml-syntax",
        "negative-timeout",
    ],
)
def test_bad_config_is_one_line_usage_error(
    pytester: pytest.Pytester, toml: str, expected: str
) -> None:
    pytester.makefile(".toml", deployready=toml)
    pytester.makepyfile(CHECK)
    result = pytester.runpytest_subprocess()
    assert result.ret == 4
    result.stderr.fnmatch_lines([expected])
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert "Traceback" not in result.stdout.str()


def test_pyproject_table_is_used(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("[tool.deployready.targets]\nredis_url = 'redis://cache:6379/0'\n")
    pytester.makepyfile(CHECK)
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*config *pyproject.toml*", "*ENV None redis://cache:6379/0*"])


def test_env_overlay_from_environment_variable_and_header(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(
        ".toml",
        deployready=(
            "[targets]\nredis_url = 'redis://${REDIS_HOST:-localhost}:6379/0'\n"
            "[env.staging.targets]\nredis_url = 'redis://staging-cache:6379/0'\n"
        ),
    )
    pytester.makepyfile(CHECK)
    monkeypatch.setenv("DEPLOYREADY_ENV", "staging")
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(
        [
            "deployready: config *deployready.toml (sha256:*), environment staging, phases all",
            "deployready: overrides: targets.redis_url from deployready.toml [[]env.staging[]]",
            "*ENV staging redis://staging-cache:6379/0*",
        ]
    )
    monkeypatch.delenv("DEPLOYREADY_ENV")
    monkeypatch.setenv("REDIS_HOST", "cache.internal")
    result = pytester.runpytest("-s")
    result.stdout.fnmatch_lines(["*ENV None redis://cache.internal:6379/0*"])


def test_unknown_env_lists_defined_ones(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready="[env.staging]\n[env.production]\n")
    pytester.makepyfile(CHECK)
    result = pytester.runpytest_subprocess("--deploy-env=prod")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*prod*production*staging*"])


def test_explicit_config_wins(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", deployready="[targets]\nredis_url = 'redis://a:1/0'\n")
    pytester.mkdir("conf")
    (pytester.path / "conf" / "other.toml").write_text("[targets]\nredis_url = 'redis://b:2/0'\n")
    pytester.makepyfile(CHECK)
    result = pytester.runpytest("-s", "--deploy-config=conf/other.toml")
    result.stdout.fnmatch_lines(["*ENV None redis://b:2/0*"])
    missing = pytester.runpytest_subprocess("--deploy-config=conf/missing.toml")
    assert missing.ret == 4


def test_suite_directory_config_is_found(pytester: pytest.Pytester) -> None:
    suite = pytester.mkdir("suites")
    (suite / "deployready.toml").write_text("[targets]\nredis_url = 'redis://suite:1/0'\n")
    (suite / "test_s.py").write_text(CHECK)
    result = pytester.runpytest("-s", "suites")
    result.stdout.fnmatch_lines(["*ENV None redis://suite:1/0*"])
