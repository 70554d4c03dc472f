"""Tests of the configuration layer: discovery, overlays, interpolation, validation, digest."""

from __future__ import annotations

import datetime
import pickle
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_deployready.config import (
    ApiTarget,
    ConfigError,
    DeployConfig,
    Targets,
    Timeouts,
    find_config_file,
    load_config,
    parse_threshold_override,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(
    root: Path,
    text: str | None = None,
    *,
    name: str = "deployready.toml",
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> DeployConfig:
    if text is not None:
        write(root / name, text)
    return load_config(root, environ={} if environ is None else environ, **kwargs)


def error_of(root: Path, text: str | None = None, **kwargs: Any) -> str:
    with pytest.raises(ConfigError) as excinfo:
        load(root, text, **kwargs)
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.startswith("deployready config error: ")
    return message


# -- discovery -------------------------------------------------------------------------------


def test_no_config_file_gives_defaults(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    assert cfg.path is None
    assert cfg.environment is None
    assert cfg.phases == ("pre", "deploy", "post", "rollback")
    assert cfg.default_severity == "major"
    assert cfg.targets == Targets()
    assert cfg.timeouts == Timeouts()
    assert cfg.report.title == "Deployment record"
    assert cfg.thresholds == {}
    assert cfg.waivers == ()
    assert cfg.sources == {}
    assert cfg.digest.startswith("sha256:")


def test_deployready_toml_at_rootdir(tmp_path: Path) -> None:
    cfg = load(tmp_path, 'default_severity = "minor"\n')
    assert cfg.path == (tmp_path / "deployready.toml").resolve()
    assert cfg.default_severity == "minor"
    assert cfg.sources == {"default_severity": "deployready.toml"}


def test_pyproject_table_is_used(tmp_path: Path) -> None:
    text = """
        [tool.other]
        x = 1
        [tool.deployready]
        signoff = ["release manager"]
        [tool.deployready.targets]
        redis_url = "redis://127.0.0.1:6379"
    """
    cfg = load(tmp_path, text, name="pyproject.toml")
    assert cfg.path == (tmp_path / "pyproject.toml").resolve()
    assert cfg.signoff == ("release manager",)
    assert cfg.targets.redis_url == "redis://127.0.0.1:6379"
    assert cfg.sources["targets.redis_url"] == "pyproject.toml [tool.deployready]"


def test_pyproject_without_table_is_not_a_config(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config_file(tmp_path) is None
    assert load(tmp_path).path is None


def test_unrelated_broken_pyproject_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project\nname = \n")
    assert load(tmp_path).path is None


def test_broken_pyproject_mentioning_deployready_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.deployready]\nphases = [\n")
    message = error_of(tmp_path)
    assert "pyproject.toml: invalid TOML:" in message


def test_deployready_toml_beats_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.deployready]\ndefault_severity = "critical"\n')
    cfg = load(tmp_path, 'default_severity = "minor"\n')
    assert cfg.path is not None and cfg.path.name == "deployready.toml"
    assert cfg.default_severity == "minor"


def test_start_dir_walks_up_to_the_nearest_file(tmp_path: Path) -> None:
    write(tmp_path / "deployready.toml", 'default_severity = "minor"\n')
    nested = write(tmp_path / "suites" / "deployready.toml", 'default_severity = "critical"\n')
    start = tmp_path / "suites" / "db" / "deep"
    start.mkdir(parents=True)
    assert find_config_file(tmp_path, [start]) == nested.resolve()
    cfg = load(tmp_path, start_dirs=[start])
    assert cfg.default_severity == "critical"
    assert cfg.sources["default_severity"] == "suites/deployready.toml"


def test_first_start_dir_with_a_hit_wins(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "deployready.toml", "")
    write(tmp_path / "b" / "deployready.toml", "")
    (tmp_path / "c").mkdir()
    starts = [tmp_path / "c", tmp_path / "a", tmp_path / "b"]
    assert find_config_file(tmp_path, starts) == first.resolve()


def test_start_dir_falls_back_to_rootdir(tmp_path: Path) -> None:
    root_file = write(tmp_path / "deployready.toml", "")
    start = tmp_path / "tests" / "unit"
    start.mkdir(parents=True)
    assert find_config_file(tmp_path, [start]) == root_file.resolve()


def test_start_dir_outside_rootdir_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    write(tmp_path / "elsewhere" / "deployready.toml", "")
    assert find_config_file(root, [tmp_path / "elsewhere"]) is None


def test_explicit_file_wins_and_uses_top_level_keys(tmp_path: Path) -> None:
    write(tmp_path / "deployready.toml", 'default_severity = "minor"\n')
    explicit = write(tmp_path / "ci" / "release.toml", 'default_severity = "critical"\n')
    cfg = load(tmp_path, explicit=explicit)
    assert cfg.path == explicit.resolve()
    assert cfg.default_severity == "critical"
    assert cfg.sources["default_severity"] == "ci/release.toml"


def test_explicit_pyproject_uses_tool_table(tmp_path: Path) -> None:
    explicit = write(
        tmp_path / "other" / "pyproject.toml", '[tool.deployready]\nsignoff = ["qa"]\n'
    )
    assert load(tmp_path, explicit=explicit).signoff == ("qa",)


def test_explicit_pyproject_without_table_is_an_error(tmp_path: Path) -> None:
    explicit = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    message = error_of(tmp_path, explicit=explicit)
    assert "pyproject.toml: tool.deployready: no [tool.deployready] table" in message


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, explicit=tmp_path / "nope.toml")
    assert "nope.toml" in message
    assert "file not found" in message


def test_toml_syntax_error_names_file_and_position(tmp_path: Path) -> None:
    message = error_of(tmp_path, 'phases = ["pre"\ndefault_severity = \n')
    assert "deployready.toml: invalid TOML:" in message
    assert "line" in message


# -- environment overlays --------------------------------------------------------------------

OVERLAY = """
    phases = ["pre", "post"]
    signoff = ["release manager", "dba"]
    [targets]
    database_url = "postgresql://app@127.0.0.1:5432/app"
    redis_url = "redis://127.0.0.1:6379/0"
    [thresholds]
    api_p95_ms = "< 200"
    error_rate = "< 0.001"
    [timeouts]
    connect_s = 2
    [env.production]
    signoff = ["cab"]
    [env.production.targets]
    database_url = "postgresql://app@db.prod:5432/app"
    [env.production.thresholds]
    api_p95_ms = "< 150"
    [env.staging.timeouts]
    http_s = 20
"""


def test_overlay_deep_merges_and_records_sources(tmp_path: Path) -> None:
    cfg = load(tmp_path, OVERLAY, env_name="production")
    assert cfg.environment == "production"
    assert cfg.targets.database_url == "postgresql://app@db.prod:5432/app"
    assert cfg.targets.redis_url == "redis://127.0.0.1:6379/0"  # kept from the base table
    assert cfg.signoff == ("cab",)  # lists replace
    assert cfg.phases == ("pre", "post")
    assert cfg.timeouts.connect_s == 2.0
    assert cfg.thresholds["api_p95_ms"].rule.text == "< 150"
    assert cfg.thresholds["api_p95_ms"].source == "deployready.toml [env.production]"
    assert cfg.thresholds["error_rate"].source == "deployready.toml"
    assert cfg.sources["targets.redis_url"] == "deployready.toml"
    assert cfg.overridden() == {
        "signoff": "deployready.toml [env.production]",
        "targets.database_url": "deployready.toml [env.production]",
        "thresholds.api_p95_ms": "deployready.toml [env.production]",
    }


def test_no_overlay_selected_ignores_env_tables(tmp_path: Path) -> None:
    cfg = load(tmp_path, OVERLAY)
    assert cfg.environment is None
    assert cfg.targets.database_url == "postgresql://app@127.0.0.1:5432/app"
    assert cfg.overridden() == {}
    assert not any(key.startswith("env") for key in cfg.sources)


def test_pyproject_overlay_source_label(tmp_path: Path) -> None:
    text = """
        [tool.deployready.targets]
        redis_url = "redis://127.0.0.1"
        [tool.deployready.env.production.targets]
        redis_url = "redis://cache.prod"
    """
    cfg = load(tmp_path, text, name="pyproject.toml", env_name="production")
    assert cfg.targets.redis_url == "redis://cache.prod"
    assert cfg.sources["targets.redis_url"] == "pyproject.toml [tool.deployready.env.production]"
    assert cfg.overridden() == {"targets.redis_url": cfg.sources["targets.redis_url"]}


def test_deployready_env_variable_selects_overlay(tmp_path: Path) -> None:
    cfg = load(tmp_path, OVERLAY, environ={"DEPLOYREADY_ENV": "staging"})
    assert cfg.environment == "staging"
    assert cfg.timeouts.http_s == 20.0


def test_env_option_beats_variable(tmp_path: Path) -> None:
    cfg = load(tmp_path, OVERLAY, env_name="production", environ={"DEPLOYREADY_ENV": "staging"})
    assert cfg.environment == "production"


def test_unknown_env_lists_defined_ones(tmp_path: Path) -> None:
    message = error_of(tmp_path, OVERLAY, env_name="prodution")
    assert "deployready.toml: env.prodution: unknown environment 'prodution'" in message
    assert "(from --deploy-env)" in message
    assert "defined: production, staging" in message
    assert "did you mean 'production'?" in message


def test_unknown_env_from_variable_says_so(tmp_path: Path) -> None:
    message = error_of(tmp_path, OVERLAY, environ={"DEPLOYREADY_ENV": "qa"})
    assert "(from DEPLOYREADY_ENV)" in message


def test_env_variable_without_config_file_is_ignored(tmp_path: Path) -> None:
    cfg = load(tmp_path, environ={"DEPLOYREADY_ENV": "production"})
    assert cfg.path is None and cfg.environment is None


def test_env_option_without_config_file_is_an_error(tmp_path: Path) -> None:
    assert "unknown environment 'production'" in error_of(tmp_path, env_name="production")


def test_overlay_cannot_nest_env(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[env.production.env.x]\n")
    assert "deployready.toml: env.production.env: an environment overlay cannot contain" in message


def test_unknown_key_in_unselected_overlay_is_reported(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[env.staging.targets]\nredis_ulr = 'redis://x'\n")
    assert "deployready.toml: env.staging.targets.redis_ulr: unknown key 'redis_ulr'" in message
    assert "did you mean 'redis_url'?" in message


# -- interpolation ---------------------------------------------------------------------------


def test_interpolation_of_set_variable(tmp_path: Path) -> None:
    text = '[targets]\ndatabase_url = "postgresql://app@${DB_HOST}:5432/${DB_NAME}"\n'
    cfg = load(tmp_path, text, environ={"DB_HOST": "127.0.0.1", "DB_NAME": "shop"})
    assert cfg.targets.database_url == "postgresql://app@127.0.0.1:5432/shop"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, "redis://127.0.0.1:6379"), ({"REDIS_URL": ""}, "redis://127.0.0.1:6379"),
     ({"REDIS_URL": "redis://cache:1"}, "redis://cache:1")],
)  # fmt: skip
def test_interpolation_default(tmp_path: Path, environ: dict[str, str], expected: str) -> None:
    text = '[targets]\nredis_url = "${REDIS_URL:-redis://127.0.0.1:6379}"\n'
    assert load(tmp_path, text, environ=environ).targets.redis_url == expected


def test_undefined_variable_names_file_key_and_variable(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[targets]\ndatabase_url = "${DATABASE_URL}"\n')
    assert "deployready.toml: targets.database_url:" in message
    assert "environment variable 'DATABASE_URL' is not set" in message


def test_undefined_variable_in_overlay_names_overlay_key(tmp_path: Path) -> None:
    text = '[env.production.thresholds]\napi_p95_ms = "< ${P95}"\n'
    message = error_of(tmp_path, text, env_name="production")
    assert "deployready.toml: env.production.thresholds.api_p95_ms:" in message
    assert "'P95'" in message


def test_unselected_overlay_is_not_interpolated(tmp_path: Path) -> None:
    text = '[env.production.targets]\ndatabase_url = "${PROD_DB}"\n'
    assert load(tmp_path, text).targets.database_url is None


def test_double_dollar_is_a_literal_dollar(tmp_path: Path) -> None:
    text = '[report]\ntitle = "cost $$5 ${X} $${X} $HOME"\n'
    assert load(tmp_path, text, environ={"X": "x"}).report.title == "cost $5 x ${X} $HOME"


def test_interpolation_inside_lists_and_tables(tmp_path: Path) -> None:
    text = """
        signoff = ["${ROLE}"]
        [[waivers]]
        check = "t.py::test_x"
        justification = "${TICKET:-INC-1}"
        expires = "${UNTIL}"
    """
    cfg = load(tmp_path, text, environ={"ROLE": "sre", "UNTIL": "2030-01-31"})
    assert cfg.signoff == ("sre",)
    assert cfg.waivers[0].justification == "INC-1"
    assert cfg.waivers[0].expires == datetime.date(2030, 1, 31)


def test_malformed_interpolation(tmp_path: Path) -> None:
    message = error_of(tmp_path, '[report]\ntitle = "${1X}"\n')
    assert "deployready.toml: report.title: malformed interpolation" in message


# -- validation ------------------------------------------------------------------------------


def test_unknown_top_level_key_suggests(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[treshold]\nx = '< 1'\n")
    assert message == (
        "deployready config error: deployready.toml: treshold: "
        "unknown key 'treshold', did you mean 'thresholds'?"
    )


def test_unknown_key_without_close_match_lists_valid_keys(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[report]\nzzz = 'x'\n")
    assert "report.zzz: unknown key 'zzz' (valid keys: title, record, html, summary)" in message


@pytest.mark.parametrize(
    ("toml", "key", "suggestion"),
    [
        ("[targets]\ndatabse_url = 'x'\n", "targets.databse_url", "database_url"),
        ("[timeouts]\nconect_s = 1\n", "timeouts.conect_s", "connect_s"),
        ("[report]\ntitel = 'x'\n", "report.titel", "title"),
        (
            "[[targets.apis]]\nname = 'a'\nbase_url = 'http://a'\ntoken_evn = 'T'\n",
            "targets.apis[0].token_evn",
            "token_env",
        ),
        (
            "[[waivers]]\ncheck = 'c'\njustification = 'j'\nexpire = 2030-01-01\n",
            "waivers[0].expire",
            "expires",
        ),
        ("[env.prod]\nphase = ['pre']\n", "env.prod.phase", "phases"),
    ],
)
def test_unknown_key_at_every_level(tmp_path: Path, toml: str, key: str, suggestion: str) -> None:
    message = error_of(tmp_path, toml)
    assert f"deployready.toml: {key}: unknown key" in message
    assert f"did you mean {suggestion!r}?" in message


def test_unknown_key_in_pyproject_uses_full_dotted_key(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[tool.deployready.targets]\nredis = 'x'\n", name="pyproject.toml")
    assert "pyproject.toml: tool.deployready.targets.redis: unknown key 'redis'" in message
    assert "did you mean 'redis_url'?" in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("phases = 3\n", "phases: expected a list of strings, got int 3"),
        ("phases = ['pre', 1]\n", "phases[1]: expected a string, got int 1"),
        ("default_severity = 2\n", "default_severity: expected a string, got int 2"),
        ("targets = 'x'\n", "targets: expected a table, got str 'x'"),
        ("[targets]\ndatabase_url = 5\n", "targets.database_url: expected a string, got int 5"),
        ("[timeouts]\nhttp_s = '10'\n", "timeouts.http_s: expected a number, got str '10'"),
        ("[timeouts]\nhttp_s = true\n", "timeouts.http_s: expected a number, got bool true"),
        ("[thresholds]\napi_p95_ms = 200\n", 'api_p95_ms: expected a rule string such as "< 200"'),
        ("[report]\nrecord = []\n", "report.record: expected a string, got list []"),
        ("waivers = 'x'\n", "waivers: expected a list of tables, got str 'x'"),
        (
            "[[waivers]]\ncheck = 'c'\njustification = 'j'\nrun = 'no'\n",
            "waivers[0].run: expected a boolean, got str 'no'",
        ),
        (
            "[[waivers]]\ncheck = 'c'\njustification = 'j'\nexpires = 2030-01-01T10:00:00\n",
            "waivers[0].expires: expected a date such as 2030-01-31, got datetime",
        ),
        ("[targets]\napis = [1]\n", "targets.apis[0]: expected a table, got int 1"),
        ("env = 1\n", "env: expected a table, got int 1"),
    ],
)
def test_wrong_types(tmp_path: Path, toml: str, expected: str) -> None:
    message = error_of(tmp_path, toml)
    assert "deployready.toml: " in message
    assert expected in message


def test_type_error_does_not_show_url_password(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[targets]\ndatabase_url = ['postgresql://u:hunter22@h/db']\n")
    assert "targets.database_url: expected a string" in message
    assert "hunter22" not in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("phases = []\n", "phases: must list at least one phase"),
        ("phases = ['pre', 'post', 'pre']\n", "phases[2]: duplicate phase 'pre'"),
        ("phases = ['pre', 'all']\n", "phases[1]: 'all' is reserved"),
        ("phases = ['pre,post']\n", "phases[0]: invalid phase name 'pre,post'"),
        ("phases = ['']\n", "phases[0]: invalid phase name ''"),
    ],
)
def test_bad_phases(tmp_path: Path, toml: str, expected: str) -> None:
    assert f"deployready.toml: {expected}" in error_of(tmp_path, toml)


def test_custom_phases(tmp_path: Path) -> None:
    assert load(tmp_path, "phases = ['smoke', 'canary-1']\n").phases == ("smoke", "canary-1")


def test_bad_default_severity(tmp_path: Path) -> None:
    message = error_of(tmp_path, "default_severity = 'majr'\n")
    assert "deployready.toml: default_severity: must be one of critical, major, minor" in message
    assert "did you mean 'major'?" in message


def test_unparsable_rule_includes_rule_error(tmp_path: Path) -> None:
    message = error_of(tmp_path, "[thresholds]\napi_p95_ms = 'fast'\n")
    assert "deployready.toml: thresholds.api_p95_ms: cannot parse rule 'fast'" in message


@pytest.mark.parametrize("value", ["0", "-1.5", "nan", "inf"])
def test_timeouts_must_be_positive(tmp_path: Path, value: str) -> None:
    message = error_of(tmp_path, f"[timeouts]\nconnect_s = {value}\n")
    assert "deployready.toml: timeouts.connect_s: must be a positive number of seconds" in message


def test_timeouts_are_floats(tmp_path: Path) -> None:
    cfg = load(tmp_path, "[timeouts]\nconnect_s = 1\nstatement_s = 2.5\n")
    assert cfg.timeouts == Timeouts(connect_s=1.0, statement_s=2.5)
    assert isinstance(cfg.timeouts.connect_s, float)


def test_waivers_parse(tmp_path: Path) -> None:
    text = """
        [[waivers]]
        check = "tests/test_db.py::test_indexes"
        justification = "INC-42: index is built tonight"
        expires = 2030-01-31
        [[waivers]]
        check = "tests/test_api.py::test_p95"
        justification = "known slow"
        expires = "2030-02-01"
        run = false
    """
    first, second = load(tmp_path, text).waivers
    assert first.expires == datetime.date(2030, 1, 31)
    assert first.run is True
    assert second.expires == datetime.date(2030, 2, 1)
    assert second.run is False


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("justification = 'j'", "waivers[0].check: required key is missing"),
        ("check = 'c'", "waivers[0].justification: required key is missing"),
        ("check = 'c'\njustification = '  '", "waivers[0].justification: a waiver needs a"),
        ("check = ''\njustification = 'j'", "waivers[0].check: cannot be empty"),
        (
            "check = 'c'\njustification = 'j'\nexpires = '31.01.2030'",
            "waivers[0].expires: expected a date such as 2030-01-31, got '31.01.2030'",
        ),
        (
            "check = 'c'\njustification = 'j'\nexpires = '2030-02-30'",
            "waivers[0].expires: expected a date",
        ),
    ],
)
def test_bad_waivers(tmp_path: Path, item: str, expected: str) -> None:
    assert f"deployready.toml: {expected}" in error_of(tmp_path, f"[[waivers]]\n{item}\n")


def test_duplicate_waiver(tmp_path: Path) -> None:
    item = "[[waivers]]\ncheck = 'c'\njustification = 'j'\n"
    assert "waivers[1].check: duplicate waiver for 'c'" in error_of(tmp_path, item * 2)


def test_duplicate_signoff_role(tmp_path: Path) -> None:
    message = error_of(tmp_path, "signoff = ['qa', 'qa']\n")
    assert "deployready.toml: signoff[1]: duplicate sign-off role 'qa'" in message


@pytest.mark.parametrize(
    ("apis", "expected"),
    [
        ("[[targets.apis]]\nname = 'a'\n", "targets.apis[0].base_url: required key is missing"),
        ("[[targets.apis]]\nbase_url = 'http://a'\n", "targets.apis[0].name: required key is"),
        (
            "[[targets.apis]]\nname = 'a'\nbase_url = 'http://a'\n"
            "[[targets.apis]]\nname = 'a'\nbase_url = 'http://b'\n",
            "targets.apis[1].name: duplicate API name 'a'",
        ),
    ],
)
def test_bad_apis(tmp_path: Path, apis: str, expected: str) -> None:
    assert f"deployready.toml: {expected}" in error_of(tmp_path, apis)


def test_error_in_overlay_value_names_overlay_key(tmp_path: Path) -> None:
    text = "[env.production]\ndefault_severity = 'high'\n"
    message = error_of(tmp_path, text, env_name="production")
    assert "deployready.toml: env.production.default_severity: must be one of" in message


def test_config_error_is_a_usage_problem_and_pickles(tmp_path: Path) -> None:
    from pytest_deployready.errors import DeployReadyError, UsageProblem

    error = ConfigError("deployready.toml", "phases", "bad")
    assert isinstance(error, UsageProblem) and isinstance(error, DeployReadyError)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) == "deployready config error: deployready.toml: phases: bad"


# -- threshold overrides ---------------------------------------------------------------------


def test_threshold_overrides(tmp_path: Path) -> None:
    overrides = [("api_p95_ms", "< 250"), ("cache_hit_ratio", ">= 0.6")]
    cfg = load(tmp_path, OVERLAY, env_name="production", threshold_overrides=overrides)
    assert cfg.thresholds["api_p95_ms"].rule.text == "< 250"
    assert cfg.thresholds["api_p95_ms"].source == "--deploy-threshold"
    assert cfg.thresholds["cache_hit_ratio"].source == "--deploy-threshold"
    assert cfg.thresholds["error_rate"].source == "deployready.toml"
    assert cfg.sources["thresholds.api_p95_ms"] == "--deploy-threshold"
    assert cfg.overridden()["thresholds.cache_hit_ratio"] == "--deploy-threshold"


def test_threshold_override_without_config_file(tmp_path: Path) -> None:
    cfg = load(tmp_path, threshold_overrides=[("error_rate", "< 1%")])
    assert cfg.path is None
    assert cfg.sources == {"thresholds.error_rate": "--deploy-threshold"}


def test_bad_threshold_override_rule(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load(tmp_path, threshold_overrides=[("api_p95_ms", "quick")])
    message = str(excinfo.value)
    assert "\n" not in message
    assert "--deploy-threshold api_p95_ms: cannot parse rule 'quick'" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_p95_ms=< 250", ("api_p95_ms", "< 250")),
        (" cache_hit_ratio = >=0.6", ("cache_hit_ratio", ">=0.6")),
        ("error_rate=<=  5%", ("error_rate", "<= 5%")),
    ],
)
def test_parse_threshold_override(text: str, expected: tuple[str, str]) -> None:
    assert parse_threshold_override(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api_p95_ms", "expected NAME=RULE"),
        ("=< 200", "expected NAME=RULE"),
        ("a<=5", "expected NAME=RULE"),
        ("api_p95_ms=fast", "--deploy-threshold api_p95_ms: cannot parse rule 'fast'"),
    ],
)
def test_parse_threshold_override_errors(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_threshold_override(text)
    assert "\n" not in str(excinfo.value)
    assert expected in str(excinfo.value)


# -- digest ----------------------------------------------------------------------------------


def test_digest_is_stable_across_key_order_and_formatting(tmp_path: Path) -> None:
    one = load(tmp_path / "a", "[thresholds]\nx = '<1'\ny = '> 2'\n[targets]\nredis_url = 'r'\n")
    two = load(tmp_path / "b", "targets.redis_url = 'r'\n[thresholds]\ny = '>  2'\nx = '< 1'\n")
    assert one.digest == two.digest
    assert load(tmp_path / "a").digest == one.digest


def test_digest_of_defaults_equals_explicit_defaults(tmp_path: Path) -> None:
    explicit = load(tmp_path / "a", "default_severity = 'major'\n[timeouts]\nconnect_s = 5\n")
    assert explicit.digest == load(tmp_path / "b").digest


def test_digest_changes_with_effective_values(tmp_path: Path) -> None:
    text = "[thresholds]\napi_p95_ms = '< ${P95:-200}'\n"
    base = load(tmp_path, text).digest
    assert load(tmp_path, text, environ={"P95": "300"}).digest != base
    assert load(tmp_path, text, threshold_overrides=[("api_p95_ms", "< 250")]).digest != base
    assert load(tmp_path, OVERLAY).digest != load(tmp_path, OVERLAY, env_name="production").digest


def test_digest_ignores_checkout_location_and_hides_passwords(tmp_path: Path) -> None:
    text = (
        "[targets]\ndatabase_url = 'postgresql://app:${PW}@db:5432/app'\ncompose_file = 'c.yml'\n"
    )
    one = load(tmp_path / "ci1", text, environ={"PW": "hunter22"})
    two = load(tmp_path / "ci2", text, environ={"PW": "other-secret"})
    assert one.targets.compose_file != two.targets.compose_file
    assert one.digest == two.digest
    assert "hunter22" not in repr(one)


def test_directly_built_config_has_a_digest() -> None:
    cfg = DeployConfig(path=None, environment=None)
    assert cfg.digest.startswith("sha256:") and len(cfg.digest) == len("sha256:") + 64


# -- targets ---------------------------------------------------------------------------------


def test_api_targets_from_list(tmp_path: Path) -> None:
    text = """
        [targets]
        api_base_url = "http://ignored"
        [[targets.apis]]
        name = "eu"
        base_url = "http://127.0.0.1:8001"
        token_env = "EU_TOKEN"
        [[targets.apis]]
        name = "us"
        base_url = "http://127.0.0.1:8002"
    """
    assert load(tmp_path, text).targets.api_targets() == (
        ApiTarget("eu", "http://127.0.0.1:8001", "EU_TOKEN"),
        ApiTarget("us", "http://127.0.0.1:8002", None),
    )


def test_api_targets_from_single_url() -> None:
    targets = Targets(api_base_url="http://127.0.0.1:8000", api_token_env="API_TOKEN")
    assert targets.api_targets() == (ApiTarget("api", "http://127.0.0.1:8000", "API_TOKEN"),)
    assert Targets().api_targets() == ()


def test_empty_target_means_not_configured(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[targets]\ndatabase_url = "${DATABASE_URL:-}"\n')
    assert cfg.targets.database_url is None


def test_relative_paths_resolve_against_config_dir(tmp_path: Path) -> None:
    text = "[targets]\ncompose_file = 'stack/compose.yml'\n[report]\nrecord = 'out/r.json'\n"
    write(tmp_path / "suites" / "deployready.toml", text)
    cfg = load(tmp_path, start_dirs=[tmp_path / "suites"])
    base = (tmp_path / "suites").resolve()
    assert cfg.targets.compose_file == str(base / "stack" / "compose.yml")
    assert cfg.report.record == str(base / "out" / "r.json")
    assert cfg.report.html is None


def test_host_key_files_resolve_against_config_dir(tmp_path: Path) -> None:
    text = (
        "[[targets.hosts]]\nname = 'web'\nurl = 'ssh://deploy@web:22'\n"
        "identity_file = 'keys/deploy'\nknown_hosts = 'keys/known_hosts'\n"
        "[[targets.hosts]]\nname = 'db'\nurl = 'ssh://deploy@db:22'\n"
        "known_hosts = '${DEMO_HOST_KNOWN_HOSTS:-}'\n"
    )
    write(tmp_path / "suites" / "deployready.toml", text)
    cfg = load(tmp_path, start_dirs=[tmp_path / "suites"])
    base = (tmp_path / "suites").resolve()
    web, db = cfg.targets.hosts
    assert web.identity_file == str(base / "keys" / "deploy")
    assert web.known_hosts == str(base / "keys" / "known_hosts")
    assert db.known_hosts is None  # empty: OpenSSH's own known_hosts files
    wrong = error_of(tmp_path / "w", "[[targets.hosts]]\nname = 'a'\nurl = 'local://'\n"
                     "known_host = 'x'\n")  # fmt: skip
    assert "did you mean 'known_hosts'" in wrong


def test_release_repo_is_a_path_relative_to_the_config_file(tmp_path: Path) -> None:
    write(tmp_path / "suites" / "deployready.toml", "[targets]\nrelease_repo = '../app'\n")
    cfg = load(tmp_path, start_dirs=[tmp_path / "suites"])
    assert cfg.targets.release_repo == str((tmp_path / "suites").resolve() / ".." / "app")
    absolute = load(
        tmp_path / "b",
        '[targets]\nrelease_repo = "${APP_REPO}"\n',
        environ={"APP_REPO": "/srv/app"},
    )
    assert absolute.targets.release_repo == "/srv/app"
    unset = load(tmp_path / "c", '[targets]\nrelease_repo = "${APP_REPO:-}"\n')
    assert unset.targets.release_repo is None  # empty: the config file's own checkout
    # a configuration without the key keeps the digest it had before the key existed
    assert unset.digest == load(tmp_path / "d", "[targets]\n").digest != absolute.digest
    assert "targets.release_repo: expected a string" in error_of(
        tmp_path / "e", "[targets]\nrelease_repo = 1\n"
    )


# -- secrets in configuration errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "environ", "secret"),
    [
        ('[thresholds]\np95 = "${DB_PASSWORD}"\n', {"DB_PASSWORD": "pw-rule-1234"}, "pw-rule-1234"),
        ('[thresholds]\np95 = "< ${SVC_AUTH}"\n', {"SVC_AUTH": "auth-5678"}, "auth-5678"),
        ('[thresholds]\np95 = "${DSN}"\n', {"DSN": "postgresql://u:dsn-pw-9@h/db"}, "dsn-pw-9"),
        ('default_severity = "${API_TOKEN}"\n', {"API_TOKEN": "tok-0000x"}, "tok-0000x"),
        ('phases = ["${SESSION_COOKIE}"]\n', {"SESSION_COOKIE": "c=1;bad name"}, "c=1;bad name"),
    ],
)
def test_config_errors_do_not_echo_secret_values(
    tmp_path: Path, toml: str, environ: dict[str, str], secret: str
) -> None:
    message = error_of(tmp_path, toml, environ=environ)
    assert secret not in message
    assert "***" in message


def test_threshold_override_error_does_not_echo_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "pw-cli-4321")
    with pytest.raises(ConfigError) as excinfo:
        parse_threshold_override("p95=pw-cli-4321")
    assert "pw-cli-4321" not in str(excinfo.value)


@pytest.mark.parametrize(
    ("toml", "environ", "key"),
    [
        (
            '[targets]\napi_token_env = "${SVC_AUTH}"\n',
            {"SVC_AUTH": "tok.en/1+2="},
            "api_token_env",
        ),
        (
            '[targets]\napi_token_env = "${SVC_AUTH}"\n',
            {"SVC_AUTH": "tokAsIdent99"},
            "api_token_env",
        ),
        ('[targets]\napi_token_env = "Bearer abc-123"\n', {}, "api_token_env"),
        ('[targets]\napi_token_env = "pastedTok77"\n', {"X": "pastedTok77"}, "api_token_env"),
        (
            '[[targets.apis]]\nname = "eu"\nbase_url = "http://h"\ntoken_env = "${EU}"\n',
            {"EU": "eu-tok-55"},
            "targets.apis[0].token_env",
        ),
    ],
)
def test_token_env_holding_a_token_is_refused_without_showing_it(
    tmp_path: Path, toml: str, environ: dict[str, str], key: str
) -> None:
    message = error_of(tmp_path, toml, environ=environ)
    assert key in message
    assert "name of the environment variable" in message
    for value in environ.values():
        assert value not in message
    assert "abc-123" not in message


@pytest.mark.parametrize(
    ("toml", "environ"),
    [
        ('[targets]\napi_token_env = "API_TOKEN"\n', {}),  # not set yet: the fixture says so
        ('[targets]\napi_token_env = "API_TOKEN"\n', {"API_TOKEN": "t-1234"}),
        ('[targets]\napi_token_env = "${NAME:-API_TOKEN}"\n', {"API_TOKEN": "t-1234"}),
        ('[targets]\napi_token_env = "${NAME}"\n', {"NAME": "API_TOKEN", "API_TOKEN": "t-1"}),
        ('[targets]\napi_token_env = "${NAME:-}"\n', {}),
    ],
)
def test_token_env_naming_a_variable_is_accepted(
    tmp_path: Path, toml: str, environ: dict[str, str]
) -> None:
    cfg = load(tmp_path, toml, environ=environ)
    assert cfg.targets.api_token_env in ("API_TOKEN", None)
