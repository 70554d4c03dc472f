"""Keep check ids independent of where outputs go: undo a rootdir pytest took from an option.

Example (``plugin.pytest_load_initial_conftests``)::

    settle_rootdir(early_config, args)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest

__all__ = ["settle_rootdir"]

#: ini settings pytest has acted on before :func:`settle_rootdir` runs, beyond ``addopts``
_EARLY_INI_KEYS = ("minversion", "pythonpath", "required_plugins")


def settle_rootdir(config: pytest.Config, args: list[str]) -> None:
    """Undo a rootdir that pytest derived from the value of a plugin's option.

    pytest picks the rootdir (and its ini file) from the command line's path-like arguments
    before it loads plugins from entry points, so it takes the value of ``--deploy-record
    /elsewhere/rec.json`` (space form; the ``=`` form is one argument) for a test path, and an
    existing file outside the suite moves the rootdir: check ids gain a prefix and exact-id
    waivers stop matching. In a run with a ``--deploy-*`` option (any other run keeps pytest's
    choice), called once every plugin's options are known (with ``args``, the
    list pytest parses next), this decides the rootdir again from the same arguments without
    the options' values, and adopts it with its ini file and that file's ``addopts``. When
    the ini file pytest already acted on otherwise (``pythonpath``, ``-p`` in ``addopts``,
    ...) would differ, it cannot be undone: a usage error says to write ``OPTION=VALUE``.
    """
    import copy
    import shlex

    try:
        from _pytest.config.findpaths import determine_setup
    except ImportError:  # pragma: no cover - a pytest that moved it: keep pytest's choice
        return
    argv = list(config.invocation_params.args)
    env_addopts = os.environ.get("PYTEST_ADDOPTS", "")
    if env_addopts:
        argv = shlex.split(env_addopts) + argv
    if not any(v for k, v in vars(config.known_args_namespace).items() if k.startswith("deploy_")):
        return  # no --deploy-* option: pytest's choice stands, as without the plugin
    parser = config._parser
    try:
        ns = parser.parse_known_args(argv, namespace=copy.copy(config.option))
    except pytest.UsageError:
        return  # pytest reports it in its own parse, next
    rootpath, inipath, inicfg, ignored = determine_setup(
        inifile=ns.inifilename,
        override_ini=ns.override_ini,
        args=ns.file_or_dir,
        rootdir_cmd_arg=ns.rootdir or None,
        invocation_dir=config.invocation_params.dir,
    )
    if rootpath == config.rootpath and inipath == config.inipath:
        return
    old_cfg = config._inicfg

    def value(cfg: Mapping[str, Any], key: str) -> Any:
        return getattr(cfg.get(key), "value", cfg.get(key))

    def addopts(cfg: Mapping[str, Any]) -> list[str]:
        raw = value(cfg, "addopts") or []
        return shlex.split(raw) if isinstance(raw, str) else [str(a) for a in raw]

    old_addopts, new_addopts = addopts(old_cfg), addopts(inicfg)
    plugins = [a for a in (*old_addopts, *new_addopts) if a.startswith("-p")]
    if (
        any(value(inicfg, k) != value(old_cfg, k) for k in _EARLY_INI_KEYS)
        or (plugins and old_addopts != new_addopts)
        or args[: len(old_addopts)] != old_addopts
    ):
        raise pytest.UsageError(
            f"pytest read an option's value as a test path and chose rootdir {config.rootpath} "
            f"instead of {rootpath}; write options as --OPTION=VALUE (e.g. --deploy-record=PATH)"
        )
    if old_addopts != new_addopts:  # the ini file pytest read added these: swap them
        args[:] = new_addopts + args[len(old_addopts) :]
    config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
    config._ignored_config_files = ignored
    config._inicache.clear()
    parser.extra_info["rootdir"] = str(rootpath)
    parser.extra_info["inifile"] = str(inipath)
    known = parser.parse_known_args(args, namespace=copy.copy(config.option))
    if known.confcutdir is None:  # pytest's default, from the rootdir and ini file
        known.confcutdir = str(inipath.parent if inipath else rootpath)
    config.known_args_namespace = known
