"""The configuration: where it is found, environment overlays, interpolation and validation.

Where it comes from, first hit wins: ``--deploy-config PATH``; a ``deployready.toml`` in the
directory of a command-line argument or any parent up to the rootdir; ``deployready.toml`` at
the rootdir; the ``[tool.deployready]`` table of the rootdir's ``pyproject.toml``.

``--deploy-env NAME`` (or ``DEPLOYREADY_ENV``) deep-merges the overlay table ``env.NAME`` onto
the base: tables merge key by key, lists and scalars replace. Then every string is interpolated
(``${VAR}``, ``${VAR:-default}``, ``$$`` for a literal ``$``) and the result validated. Any
problem is one :class:`ConfigError` line naming the file and the dotted key.

Relative paths (``targets.compose_file``, ``targets.tls_ca_file``, ``targets.release_repo``,
``report.record``, ``report.html``) are resolved against the directory of the config file.

Example::

    cfg = load_config(Path("."), env_name="production")
    cfg.targets.database_url           # 'postgresql://app@db.internal/app'
    cfg.sources["targets.database_url"]  # 'deployready.toml [env.production]'
    cfg.thresholds["api_p95_ms"].rule.text  # '< 200'
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_deployready._config_model import (
    _TARGET_STR_KEYS,
    CLI_THRESHOLD_SOURCE,
    ApiTarget,
    DeployConfig,
    HostTarget,
    ReportSettings,
    Targets,
    ThresholdSpec,
    Timeouts,
    Waiver,
)
from pytest_deployready._redact import Redactor
from pytest_deployready._rules import RuleError, parse_rule
from pytest_deployready._vocabulary import DEFAULT_PHASES, SEVERITIES
from pytest_deployready.errors import UsageProblem

__all__ = [
    "CONFIG_FILE_NAME",
    "DEFAULT_PHASES",
    "ENV_VARIABLE",
    "SEVERITIES",
    "ApiTarget",
    "ConfigError",
    "DeployConfig",
    "HostTarget",
    "ReportSettings",
    "Targets",
    "ThresholdSpec",
    "Timeouts",
    "Waiver",
    "find_config_file",
    "load_config",
    "parse_threshold_override",
]

CONFIG_FILE_NAME = "deployready.toml"
ENV_VARIABLE = "DEPLOYREADY_ENV"

_TOP_KEYS = (
    "phases",
    "default_severity",
    "signoff",
    "targets",
    "thresholds",
    "timeouts",
    "report",
    "waivers",
    "env",
)
_TARGET_KEYS = (*_TARGET_STR_KEYS, "apis", "hosts")
_API_KEYS = ("name", "base_url", "token_env")
_HOST_KEYS = ("name", "url", "identity_file", "known_hosts", "allow_commands", "sudo")
_HOST_FLAGS = ("allow_commands", "sudo")
_TIMEOUT_KEYS = ("connect_s", "statement_s", "http_s", "command_s")
_REPORT_KEYS = ("title", "record", "html", "summary")
_WAIVER_KEYS = ("check", "justification", "expires", "run")

_PHASE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
_THRESHOLD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|(?P<bad>\$\{)"
)


# pytest marks UsageError @final for type checkers only; subclassing it is what makes pytest print
# our one line ("ERROR: deployready config error: ...") without a traceback, and exit 4.
class ConfigError(UsageProblem):
    """A bad configuration, as one line: ``deployready config error: <file>: <key>: <problem>``.

    Example::

        raise ConfigError("deployready.toml", "targets.databse_url", "unknown key")
    """

    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        text = ": ".join(part for part in (file, key, problem) if part)
        super().__init__(" ".join(f"deployready config error: {text}".split()))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[str, str, str]]:
        return (type(self), (self.file, self.key, self.problem))

    def masked(self, redactor: Redactor) -> ConfigError:
        """The same error with every secret in it masked (a quoted value may be one)."""
        return ConfigError(
            redactor.redact(self.file), redactor.redact(self.key), redactor.redact(self.problem)
        )


# -- public functions --------------------------------------------------------------------------


def find_config_file(rootdir: Path, start_dirs: Sequence[Path] = ()) -> Path | None:
    """The config file a run without ``--deploy-config`` uses, or ``None``.

    Example::

        find_config_file(Path("/repo"), [Path("/repo/checks/db")])
        # Path('/repo/checks/deployready.toml') when that file exists
    """
    root = rootdir.resolve()
    for start in start_dirs:
        directory = start.resolve()
        if directory.is_file():
            directory = directory.parent
        if directory != root and root not in directory.parents:
            continue
        while True:
            candidate = directory / CONFIG_FILE_NAME
            if candidate.is_file():
                return candidate
            if directory == root:
                break
            directory = directory.parent
    candidate = root / CONFIG_FILE_NAME
    if candidate.is_file():
        return candidate
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and _pyproject_has_table(pyproject):
        return pyproject
    return None


def parse_threshold_override(text: str) -> tuple[str, str]:
    """Parse ``--deploy-threshold NAME=RULE`` into ``(name, rule text)``.

    Example::

        parse_threshold_override("api_p95_ms=< 250")  # ('api_p95_ms', '< 250')
    """
    name, sep, rule_text = text.partition("=")
    name = name.strip()
    try:
        if not sep or not _THRESHOLD_NAME.match(name):
            raise ConfigError(
                CLI_THRESHOLD_SOURCE,
                "",
                f"expected NAME=RULE such as api_p95_ms='< 200', got {text!r}",
            )
        try:
            rule = parse_rule(rule_text)
        except RuleError as exc:
            raise ConfigError(f"{CLI_THRESHOLD_SOURCE} {name}", "", str(exc)) from None
    except ConfigError as exc:  # the shell may have expanded a secret into the option
        raise exc.masked(Redactor.from_environ()) from None
    return name, rule.text


def load_config(
    rootdir: Path,
    *,
    explicit: Path | None = None,
    env_name: str | None = None,
    start_dirs: Sequence[Path] = (),
    threshold_overrides: Sequence[tuple[str, str]] = (),
    environ: Mapping[str, str] | None = None,
) -> DeployConfig:
    """Find, read, merge, interpolate and validate the configuration.

    Example::

        cfg = load_config(config.rootpath, env_name="staging",
                          threshold_overrides=[("api_p95_ms", "< 300")])
    """
    env = os.environ if environ is None else environ
    try:
        return _load_config(rootdir, explicit, env_name, start_dirs, threshold_overrides, env)
    except ConfigError as exc:
        # An error quotes the value it refuses, and a value may hold what ${VAR} put there:
        # the values of secret-looking variables and URL passwords are masked in every one.
        raise exc.masked(Redactor.from_environ(env)) from None


def _load_config(
    rootdir: Path,
    explicit: Path | None,
    env_name: str | None,
    start_dirs: Sequence[Path],
    threshold_overrides: Sequence[tuple[str, str]],
    env: Mapping[str, str],
) -> DeployConfig:
    """:func:`load_config`, with its errors unmasked."""
    env_from_variable = False
    if not env_name:
        env_name = env.get(ENV_VARIABLE) or None
        env_from_variable = env_name is not None

    if explicit is not None:
        resolved = explicit.resolve()
        if not resolved.is_file():
            problem = "is a directory" if resolved.exists() else "file not found"
            raise ConfigError(str(explicit), "", f"{problem} (given with --deploy-config)")
        path: Path | None = resolved
    else:
        path = find_config_file(rootdir, start_dirs)

    if path is None:
        if env_name and not env_from_variable:
            raise ConfigError(
                "(no config file)",
                f"env.{env_name}",
                f"unknown environment {env_name!r}: no deployready.toml or "
                "[tool.deployready] in pyproject.toml was found",
            )
        raw: dict[str, Any] = {}
        base = _Source("(defaults)", "", "(defaults)")
        env_name = None
    else:
        raw, base = _read(path, rootdir)
        _check_shape(raw, base, top=True)

    effective: dict[str, Any] = {k: v for k, v in raw.items() if k != "env"}
    origin: dict[str, _Source] = dict.fromkeys(_leaves(effective), base)
    if env_name and path is not None:
        overlays: dict[str, Any] = raw.get("env", {})
        if env_name not in overlays:
            how = "DEPLOYREADY_ENV" if env_from_variable else "--deploy-env"
            defined = ", ".join(sorted(overlays)) or "none"
            raise base.error(
                f"env.{env_name}",
                f"unknown environment {env_name!r} (from {how}), defined: {defined}"
                f"{_did_you_mean(env_name, overlays)}",
            )
        overlay_source = base.overlay(env_name)
        overlay: dict[str, Any] = overlays[env_name]
        effective = _merge(effective, overlay)
        origin.update(dict.fromkeys(_leaves(overlay), overlay_source))

    where = _Where(origin, base)
    written = effective
    effective = _interpolate(effective, "", where, env)
    _check_token_envs(written, effective, where, env)
    cfg = _build(effective, where)

    sources = {key: source.label for key, source in origin.items()}
    thresholds = {
        name: dataclasses.replace(spec, source=sources[f"thresholds.{name}"])
        for name, spec in cfg.thresholds.items()
    }
    for name, rule_text in threshold_overrides:
        try:
            rule = parse_rule(rule_text)
        except RuleError as exc:
            raise ConfigError(f"{CLI_THRESHOLD_SOURCE} {name}", "", str(exc)) from None
        thresholds[name] = ThresholdSpec(name, rule, CLI_THRESHOLD_SOURCE)
        sources[f"thresholds.{name}"] = CLI_THRESHOLD_SOURCE

    cfg = dataclasses.replace(
        cfg, path=path, environment=env_name, thresholds=thresholds, sources=sources, digest=""
    )
    digest = cfg.digest  # of the values as written, before paths are resolved
    if path is not None:
        cfg = _resolve_paths(cfg, path.parent)
    return dataclasses.replace(cfg, digest=digest)


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A table a value was read from: the file shown, its key prefix and its ``sources`` label."""

    file: str
    prefix: str
    label: str

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.file, f"{self.prefix}{key}", problem)

    def overlay(self, name: str) -> _Source:
        prefix = f"{self.prefix}env.{name}."
        return _Source(self.file, prefix, f"{self.file} [{prefix[:-1]}]")


def _display_name(path: Path, rootdir: Path) -> str:
    try:
        return path.relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path, rootdir: Path) -> tuple[dict[str, Any], _Source]:
    import tomllib  # only when there is a file to read

    shown = _display_name(path, rootdir)
    try:
        document = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ConfigError(shown, "", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(shown, "", f"not UTF-8 text: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(shown, "", f"invalid TOML: {exc}") from None
    if path.name != "pyproject.toml":
        return document, _Source(shown, "", shown)
    source = _Source(shown, "tool.deployready.", f"{shown} [tool.deployready]")
    tool = document.get("tool", {})
    table = tool.get("deployready") if isinstance(tool, dict) else None
    if table is None:
        raise ConfigError(shown, "tool.deployready", "no [tool.deployready] table in this file")
    if not isinstance(table, dict):
        raise ConfigError(shown, "tool.deployready", f"expected a table, got {_describe(table)}")
    return table, source


def _pyproject_has_table(path: Path) -> bool:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "deployready" not in text:
        return False
    import tomllib

    try:
        tool = tomllib.loads(text).get("tool")
    except tomllib.TOMLDecodeError:
        return True  # mentions us but is broken: load_config reports the syntax error
    return isinstance(tool, dict) and "deployready" in tool


# -- shape: unknown keys and types, checked on the raw tables of the base and every overlay -----


def _check_shape(table: dict[str, Any], src: _Source, *, top: bool) -> None:
    _check_keys(table, _TOP_KEYS, src, "")
    for key, value in table.items():
        if key in ("phases", "signoff"):
            _expect_str_list(value, src, key)
        elif key == "default_severity":
            _expect(value, str, "a string", src, key)
        elif key == "targets":
            _check_targets(_expect_table(value, src, key), src)
        elif key == "thresholds":
            for name, rule in _expect_table(value, src, key).items():
                if not isinstance(rule, str):
                    problem = f'expected a rule string such as "< 200", got {_describe(rule)}'
                    raise src.error(f"thresholds.{name}", problem)
        elif key == "timeouts":
            timeouts = _expect_table(value, src, key)
            _check_keys(timeouts, _TIMEOUT_KEYS, src, key)
            for name, number in timeouts.items():
                if isinstance(number, bool) or not isinstance(number, int | float):
                    raise src.error(
                        f"timeouts.{name}", f"expected a number, got {_describe(number)}"
                    )
        elif key == "report":
            report = _expect_table(value, src, key)
            _check_keys(report, _REPORT_KEYS, src, key)
            for name, text in report.items():
                _expect(text, str, "a string", src, f"report.{name}")
        elif key == "waivers":
            for i, item in enumerate(_expect_table_list(value, src, key)):
                _check_waiver(item, src, f"waivers[{i}]")
        elif key == "env":
            if not top:
                raise src.error("env", "an environment overlay cannot contain 'env'")
            for name, overlay in _expect_table(value, src, key).items():
                overlay_table = _expect_table(overlay, src, f"env.{name}")
                _check_shape(overlay_table, src.overlay(name), top=False)


def _check_targets(targets: dict[str, Any], src: _Source) -> None:
    _check_keys(targets, _TARGET_KEYS, src, "targets")
    for key, value in targets.items():
        if key == "hosts":
            _check_hosts(value, src)
            continue
        if key != "apis":
            _expect(value, str, "a string", src, f"targets.{key}")
            continue
        _check_target_list(value, src, "apis", _API_KEYS, ("name", "base_url"))


def _check_hosts(value: Any, src: _Source) -> None:
    _check_target_list(value, src, "hosts", _HOST_KEYS, ("name", "url"), flags=_HOST_FLAGS)


def _check_target_list(
    value: Any,
    src: _Source,
    key: str,
    keys: Sequence[str],
    required: Sequence[str],
    *,
    flags: Sequence[str] = (),
) -> None:
    """``[[targets.KEY]]``: known keys, the required ones present, strings (``flags`` booleans)."""
    for i, item in enumerate(_expect_table_list(value, src, f"targets.{key}")):
        where = f"targets.{key}[{i}]"
        _check_keys(item, keys, src, where)
        for name in required:
            if name not in item:
                raise src.error(f"{where}.{name}", "required key is missing")
        for name, field_value in item.items():
            if name in flags:
                _expect(field_value, bool, "true or false", src, f"{where}.{name}")
            else:
                _expect(field_value, str, "a string", src, f"{where}.{name}")


def _check_waiver(item: dict[str, Any], src: _Source, where: str) -> None:
    _check_keys(item, _WAIVER_KEYS, src, where)
    for required in ("check", "justification"):
        if required not in item:
            raise src.error(f"{where}.{required}", "required key is missing")
    _expect(item["check"], str, "a string", src, f"{where}.check")
    _expect(item["justification"], str, "a string", src, f"{where}.justification")
    if "run" in item:
        _expect(item["run"], bool, "a boolean", src, f"{where}.run")
    if "expires" in item:
        expires = item["expires"]
        if isinstance(expires, datetime.datetime) or not isinstance(expires, datetime.date | str):
            problem = f"expected a date such as 2030-01-31, got {_describe(expires)}"
            raise src.error(f"{where}.expires", problem)


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], src: _Source, where: str) -> None:
    for key in table:
        if key not in allowed:
            dotted = f"{where}.{key}" if where else key
            hint = _did_you_mean(key, allowed) or f" (valid keys: {', '.join(allowed)})"
            raise src.error(dotted, f"unknown key {key!r}{hint}")


def _did_you_mean(word: str, choices: Sequence[str] | Mapping[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f", did you mean {close[0]!r}?" if close else ""


def _expect(value: Any, kind: type, what: str, src: _Source, key: str) -> None:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise src.error(key, f"expected {what}, got {_describe(value)}")


def _expect_table(value: Any, src: _Source, key: str) -> dict[str, Any]:
    _expect(value, dict, "a table", src, key)
    table: dict[str, Any] = value
    return table


def _expect_table_list(value: Any, src: _Source, key: str) -> list[dict[str, Any]]:
    _expect(value, list, "a list of tables", src, key)
    for i, item in enumerate(value):
        _expect(item, dict, "a table", src, f"{key}[{i}]")
    items: list[dict[str, Any]] = value
    return items


def _expect_str_list(value: Any, src: _Source, key: str) -> None:
    _expect(value, list, "a list of strings", src, key)
    for i, item in enumerate(value):
        _expect(item, str, "a string", src, f"{key}[{i}]")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return f"bool {str(value).lower()}"
    dated = isinstance(value, datetime.date | datetime.time)
    text = value.isoformat() if dated else repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return Redactor().redact(f"{type(value).__name__} {text}")


# -- merging and interpolation ------------------------------------------------------------------


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = _merge(old, value)
        else:
            merged[key] = value
    return merged


def _leaves(table: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


class _Where:
    """Maps a dotted key of the effective config to the table it came from."""

    def __init__(self, origin: Mapping[str, _Source], base: _Source) -> None:
        self._origin = origin
        self._base = base

    def error(self, key: str, problem: str) -> ConfigError:
        leaf = key.split("[", 1)[0]
        return self._origin.get(leaf, self._base).error(key, problem)


def _interpolate(value: Any, key: str, where: _Where, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _substitute(value, key, where, environ)
    if isinstance(value, list):
        return [_interpolate(item, f"{key}[{i}]", where, environ) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{key}.{k}" if key else k, where, environ) for k, v in value.items()
        }
    return value


def _substitute(text: str, key: str, where: _Where, environ: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bad") is not None:
            raise where.error(
                key,
                "malformed interpolation: use ${VAR} or ${VAR:-default} "
                "(VAR is letters, digits and '_'), and $$ for a literal $",
            )
        name = match.group("name")
        default = match.group("default")
        value = environ.get(name)
        if default is not None:
            return value if value else default
        if value is None:
            raise where.error(
                key,
                f"environment variable {name!r} is not set (set it, or write ${{{name}:-default}})",
            )
        return value

    return _INTERPOLATION.sub(replace, text)


# -- values: checked on the merged, interpolated config ----------------------------------------


def _check_token_envs(
    written: Mapping[str, Any], data: Mapping[str, Any], where: _Where, environ: Mapping[str, str]
) -> None:
    """``api_token_env``/``token_env`` must *name* a variable, not hold the token itself.

    The documented mistake, ``api_token_env = "${SVC_AUTH}"``, puts the token there: a value
    that is not a variable name, or that ``${...}`` turned into something that names no set
    variable, or that is another variable's value, is refused without showing it.
    """
    targets_written = written.get("targets", {})
    targets = data.get("targets", {})
    entries = [("targets.api_token_env", targets_written, targets, "api_token_env")]
    for i, (api_written, api) in enumerate(
        zip(targets_written.get("apis", []), targets.get("apis", []), strict=True)
    ):
        entries.append((f"targets.apis[{i}].token_env", api_written, api, "token_env"))
    values = set(environ.values())
    for key, table_written, table, name in entries:
        value = table.get(name)
        if not value:
            continue
        interpolated = value != table_written.get(name)
        if (
            not _ENV_NAME.match(value)
            or (interpolated and value not in environ)
            or (value in values and value not in environ)
        ):
            raise where.error(
                key,
                "give the name of the environment variable that holds the token "
                '(api_token_env = "API_TOKEN"), not the token itself (as "${API_TOKEN}" '
                "would); the value is not shown",
            )


def _build(data: Mapping[str, Any], where: _Where) -> DeployConfig:
    phases = tuple(data.get("phases", DEFAULT_PHASES))
    if not phases:
        raise where.error("phases", "must list at least one phase")
    for i, phase in enumerate(phases):
        if not _PHASE_NAME.match(phase):
            raise where.error(
                f"phases[{i}]", f"invalid phase name {phase!r}: use letters, digits, '_' and '-'"
            )
        if phase == "all":
            raise where.error(f"phases[{i}]", "'all' is reserved for --deploy-phase=all")
        if phase in phases[:i]:
            raise where.error(f"phases[{i}]", f"duplicate phase {phase!r}")

    severity = data.get("default_severity", "major")
    if severity not in SEVERITIES:
        hint = _did_you_mean(severity, SEVERITIES)
        raise where.error(
            "default_severity",
            f"must be one of {', '.join(SEVERITIES)}, got {severity!r}{hint}",
        )

    signoff = tuple(data.get("signoff", ()))
    for i, role in enumerate(signoff):
        if not role.strip():
            raise where.error(f"signoff[{i}]", "a sign-off role cannot be empty")
        if role in signoff[:i]:
            raise where.error(f"signoff[{i}]", f"duplicate sign-off role {role!r}")

    thresholds: dict[str, ThresholdSpec] = {}
    for name, text in data.get("thresholds", {}).items():
        key = f"thresholds.{name}"
        try:
            rule = parse_rule(text)
        except RuleError as exc:
            raise where.error(key, str(exc)) from None
        thresholds[name] = ThresholdSpec(name, rule, "")  # source filled in by load_config

    return DeployConfig(
        path=None,
        environment=None,
        phases=phases,
        default_severity=severity,
        signoff=signoff,
        targets=_build_targets(data.get("targets", {}), where),
        thresholds=thresholds,
        timeouts=_build_timeouts(data.get("timeouts", {}), where),
        report=_build_report(data.get("report", {})),
        waivers=_build_waivers(data.get("waivers", []), where),
        digest="-",  # computed by load_config
    )


def _build_targets(data: Mapping[str, Any], where: _Where) -> Targets:
    # An empty string (e.g. "${DATABASE_URL:-}") means "not configured".
    values: dict[str, Any] = {key: (data.get(key) or None) for key in _TARGET_STR_KEYS}
    apis: list[ApiTarget] = []
    for i, item in enumerate(data.get("apis", [])):
        for required in ("name", "base_url"):
            if not item[required].strip():
                raise where.error(f"targets.apis[{i}].{required}", "cannot be empty")
        if any(api.name == item["name"] for api in apis):
            raise where.error(f"targets.apis[{i}].name", f"duplicate API name {item['name']!r}")
        apis.append(ApiTarget(item["name"], item["base_url"], item.get("token_env") or None))
    hosts: list[HostTarget] = []
    for i, item in enumerate(data.get("hosts", [])):
        for required in ("name", "url"):
            if not item[required].strip():
                raise where.error(f"targets.hosts[{i}].{required}", "cannot be empty")
        if any(h.name == item["name"] for h in hosts):
            raise where.error(f"targets.hosts[{i}].name", f"duplicate host name {item['name']!r}")
        if "://" not in item["url"]:
            raise where.error(
                f"targets.hosts[{i}].url",
                "expected local://, ssh://user@host[:port] or docker://container",
            )
        hosts.append(
            HostTarget(
                item["name"],
                item["url"],
                item.get("identity_file") or None,
                bool(item.get("allow_commands", False)),
                bool(item.get("sudo", False)),
                item.get("known_hosts") or None,
            )
        )
    return Targets(**values, apis=tuple(apis), hosts=tuple(hosts))


def _build_timeouts(data: Mapping[str, Any], where: _Where) -> Timeouts:
    values: dict[str, float] = {}
    for key, number in data.items():
        if not math.isfinite(number) or number <= 0:
            raise where.error(
                f"timeouts.{key}", f"must be a positive number of seconds, got {number}"
            )
        values[key] = float(number)
    return Timeouts(**values)


def _build_report(data: Mapping[str, Any]) -> ReportSettings:
    return ReportSettings(
        title=data.get("title", ReportSettings.title),
        record=data.get("record") or None,
        html=data.get("html") or None,
        summary=data.get("summary") or None,
    )


def _build_waivers(items: Sequence[Mapping[str, Any]], where: _Where) -> tuple[Waiver, ...]:
    waivers: list[Waiver] = []
    for i, item in enumerate(items):
        key = f"waivers[{i}]"
        check = item["check"].strip()
        if not check:
            raise where.error(f"{key}.check", "cannot be empty: give the id of the waived check")
        if any(w.check == check for w in waivers):
            raise where.error(f"{key}.check", f"duplicate waiver for {check!r}")
        justification = item["justification"].strip()
        if not justification:
            raise where.error(f"{key}.justification", "a waiver needs a justification")
        expires = item.get("expires")
        if isinstance(expires, str):
            expires = _parse_date(expires, f"{key}.expires", where)
        waivers.append(Waiver(check, justification, expires, item.get("run", True)))
    return tuple(waivers)


def _parse_date(text: str, key: str, where: _Where) -> datetime.date:
    try:
        if _ISO_DATE.match(text.strip()):
            return datetime.date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise where.error(key, f"expected a date such as 2030-01-31, got {text!r}")


def _resolve_paths(cfg: DeployConfig, base: Path) -> DeployConfig:
    def resolve(value: str | None) -> str | None:
        return str(base / Path(value).expanduser()) if value else value

    return dataclasses.replace(
        cfg,
        targets=dataclasses.replace(
            cfg.targets,
            compose_file=resolve(cfg.targets.compose_file),
            tls_ca_file=resolve(cfg.targets.tls_ca_file),
            release_repo=resolve(cfg.targets.release_repo),
            hosts=tuple(
                dataclasses.replace(
                    h,
                    identity_file=resolve(h.identity_file),
                    known_hosts=resolve(h.known_hosts),
                )
                for h in cfg.targets.hosts
            ),
        ),
        report=dataclasses.replace(
            cfg.report,
            record=resolve(cfg.report.record),
            html=resolve(cfg.report.html),
            summary=resolve(cfg.report.summary),
        ),
    )
