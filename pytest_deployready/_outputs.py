"""Every file the plugin writes goes through here: one guard for output paths, one writer.

The guard (:class:`OutputPaths`) decides, before any check runs, whether a path may be written:

- an output is a regular file or does not exist yet: a symlink, FIFO, device node, socket or
  directory is never replaced (as root, ``--deploy-record=/dev/null`` must not turn the device
  node into a regular file);
- its directory can be written to (probed by creating a file there), so an unwritable path
  (a parent that is a file, a path under ``/proc``, a read-only directory) is a usage error at
  start-up, not a lost record after the run;
- no two outputs share a file (ours, and pytest's ``--junitxml`` and pytest-html's ``--html``);
- an output never overwrites an input: the configuration file, an attestation or baseline file,
  Python source, and (checked again at the end of collection) a collected test module.

The writer (:func:`write_files`) writes every file of one set (the JSON record and its HTML page)
to a temporary file next to its target, named ``.NAME.deployready-tmp-PID``, then renames them
all with SIGINT, SIGTERM and SIGHUP deferred: the files of a set always come from the same run.
Temporary files that a killed run (SIGKILL) left for the same paths are removed by the next run.

Example::

    paths = OutputPaths(Path.cwd())
    record = paths.output("--deploy-record", "out/record.json")
    paths.protect("the configuration file", Path("deployready.toml"))
    write_files({record: '{"verdict": "GO"}'})
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from pytest_deployready._signals import deferred
from pytest_deployready.errors import DeployReadyError

__all__ = [
    "TMP_MARK",
    "OutputPathError",
    "OutputPaths",
    "holds_record",
    "is_regular_or_absent",
    "read_regular",
    "remove_stale_temp_files",
    "rewrite_file",
    "write_files",
]

#: in the name of every temporary file the plugin writes: ``.NAME.deployready-tmp-PID``
TMP_MARK = ".deployready-tmp-"

#: existing files of these kinds are source code, never an output
_SOURCE_SUFFIXES = (".py", ".pyc", ".pyi")


class OutputPathError(DeployReadyError):
    """An output path that must not be written; the message names the option and the path.

    Example: ``--deploy-record: /dev/null is a character device, not a regular file; refusing
    to replace it``.
    """


_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file (``lstat``: links not followed)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None  # a parent is a file: the probe of the directory says so
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def is_regular_or_absent(path: Path) -> bool:
    """True when writing ``path`` would replace nothing but a regular file."""
    return _kind(path) is None


def _same(a: Path, b: Path) -> bool:
    """The same file: the same resolved path, or the same inode (a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _probe_directory(path: Path, option: str) -> None:
    """Create (and remove) a file where ``path`` will be written: the one sure test."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        if parent.is_symlink():  # a dangling link: mkdir would fail later
            break
        parent = parent.parent
    if not parent.is_dir():
        raise OutputPathError(f"{option}: cannot write {path}: {parent} is not a directory")
    probe = parent / f".{path.name}{TMP_MARK}{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return  # our own name: the directory takes new files
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise OutputPathError(f"{option}: cannot write {path}: {why}") from None
    os.close(fd)
    probe.unlink(missing_ok=True)


class OutputPaths:
    """The outputs of one run and the inputs they must not overwrite (checked at start-up)."""

    def __init__(self, base: Path, python_files: Iterable[str] = ()) -> None:
        self.base = base
        self.python_files = list(python_files)
        self.outputs: dict[str, Path] = {}  # option -> path: the files we write
        self.foreign: dict[str, Path] = {}  # option -> path: pytest's own outputs
        self.inputs: dict[Path, str] = {}  # path -> what it is

    def output(self, option: str, value: str | os.PathLike[str]) -> Path:
        """Check and register a file the plugin writes; return its absolute path."""
        path = Path(self.base, value)
        kind = _kind(path)
        if kind is not None:
            raise OutputPathError(
                f"{option}: {path} is {kind}, not a regular file; refusing to replace it"
            )
        if path.exists() and (
            path.suffix in _SOURCE_SUFFIXES
            or path.name == "conftest.py"
            or any(fnmatch.fnmatch(path.name, p) for p in self.python_files)
        ):
            raise OutputPathError(f"{option}: {path} is source code; refusing to overwrite it")
        _probe_directory(path, option)
        for other, used in {**self.outputs, **self.foreign}.items():
            if _same(path, used):
                raise OutputPathError(f"{option}: {path} is also the path of {other}")
        self.outputs[option] = path
        self._check_inputs(option, path)
        return path

    def foreign_output(self, option: str, value: str | os.PathLike[str]) -> None:
        """Register an output another plugin writes (``--junitxml``): ours must differ."""
        path = Path(self.base, value)
        for other, used in self.outputs.items():
            if _same(path, used):
                raise OutputPathError(f"{other}: {used} is also the path of {option}")
        self.foreign[option] = path

    def protect(self, what: str, path: Path | None) -> None:
        """An input of the run (configuration, attestations, baseline): never an output."""
        if path is None:
            return
        self.inputs[Path(self.base, path)] = what
        for option, used in self.outputs.items():
            self._check_inputs(option, used)

    def check_collected(self, modules: Iterable[Path]) -> None:
        """At the end of collection: no output is a collected test module."""
        for module in set(modules):
            for option, used in self.outputs.items():
                if _same(used, module):
                    raise OutputPathError(
                        f"{option}: {used} is a collected test module; refusing to overwrite it"
                    )

    def _check_inputs(self, option: str, path: Path) -> None:
        for source, what in self.inputs.items():
            if _same(path, source):
                raise OutputPathError(f"{option}: {path} is {what}; refusing to overwrite it")


# -- writing -------------------------------------------------------------------------------


def _temp_name(path: Path) -> Path:
    return path.parent / f".{path.name}{TMP_MARK}{os.getpid()}"


def remove_stale_temp_files(paths: Iterable[Path]) -> list[Path]:
    """Remove temporary files a killed run left for ``paths``; return those removed.

    A file whose process still runs (a concurrent run writing the same path) is left alone.
    """
    removed = []
    for path in paths:
        try:
            siblings = list(path.parent.iterdir())
        except OSError:
            continue
        prefix = f".{path.name}{TMP_MARK}"
        for sibling in siblings:
            pid_text = sibling.name.removeprefix(prefix)
            if pid_text == sibling.name or not pid_text.isdigit():
                continue
            pid = int(pid_text)
            if pid != os.getpid() and _alive(pid):
                continue
            with contextlib.suppress(OSError):
                if stat.S_ISREG(sibling.lstat().st_mode):
                    sibling.unlink()
                    removed.append(sibling)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def _write_temp(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``'s temporary file (mode 0666 less the umask, like any file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_name(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        fd = os.open(tmp, flags, 0o666)
    except FileExistsError:  # ours from an earlier write (or a reused PID)
        tmp.unlink()
        fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_files(files: Mapping[Path, str]) -> None:
    """Write a set of files so that they are replaced together, or not at all.

    Each file goes to its temporary file first; only when every one is written are they
    renamed over their targets, with SIGINT, SIGTERM and SIGHUP deferred. A target that is no
    longer a regular file (replaced by a FIFO since start-up) is refused, and nothing is renamed.
    """
    written: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            if not is_regular_or_absent(path):
                raise OSError(errno.EEXIST, f"{path} is not a regular file; not replaced")
            written[path] = _write_temp(path, text)
        with deferred():
            for path, tmp in written.items():
                os.replace(tmp, path)
            written.clear()
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)


def rewrite_file(path: Path, text: str) -> None:
    """Replace the content of an existing regular file (through a symlink to one) atomically."""
    target = Path(os.path.realpath(path))
    if not target.is_file() or not is_regular_or_absent(target):
        raise OSError(errno.EINVAL, f"{path} is not a regular file; not rewritten")
    mode = stat.S_IMODE(target.stat().st_mode)
    tmp = _write_temp(target, text)
    try:
        os.chmod(tmp, mode)
        with deferred():
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def holds_record(path: Path) -> bool:
    """True when ``path`` is absent or a record this plugin wrote (JSON or HTML page).

    Such a file may be replaced before collection ends: it cannot be a collected test file.
    """
    from pytest_deployready._record import SCHEMA

    if not path.exists():
        return True
    text = read_regular(path) or ""
    return f'"{SCHEMA}"' in text or f">{SCHEMA}<" in text  # JSON, or the page's table


def read_regular(path: Path) -> str | None:
    """The text of ``path`` when it is a regular file (never opens a FIFO or a device)."""
    target = Path(os.path.realpath(path))
    if not is_regular_or_absent(target) or not target.is_file():
        return None
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
