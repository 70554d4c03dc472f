"""The ``redis`` fixture's read-only guard: which commands may be sent, from the server's own flags.

Security-critical. A command is sent only when ``COMMAND INFO`` says it cannot change the
server, the data or the checker's connection, and cannot block (see
:meth:`RedisTarget.execute <pytest_deployready.redis.RedisTarget.execute>` for the rule in
words); :func:`refusal` gives the reason for refusing one, or ``None``.

Example::

    spec = command_spec(["set", -3, ["write", "denyoom"], 1, 1, 1, ["@write"]])
    refusal("SET", {"set"}, spec)  # 'SET is a write command (server flags: write, denyoom)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CommandSpec", "as_text", "command_spec", "refusal"]

# Commands (or container|subcommand) that change the server or the checker's own connection
# although the server does not flag them "write" or "admin". Refused before anything else.
_STATE_CHANGING = frozenset(
    {
        "auth",
        "hello",
        "select",
        "reset",
        "quit",
        "multi",
        "exec",
        "discard",
        "watch",
        "unwatch",
        "readonly",
        "readwrite",
        "asking",
        "monitor",
        "sync",
        "psync",
        "replconf",
        "client|reply",
        "client|tracking",
        "client|caching",
        "client|setname",
        "client|setinfo",
        "client|no-evict",
        "client|no-touch",
        "memory|purge",
    }
)

# Commands that wait for an event (a replica's ack, a message) although the server does not
# flag them "blocking"; refused like the flagged ones (BLPOP, BZPOPMIN, XREAD ... BLOCK).
_BLOCKING = frozenset({"wait", "waitaof", "subscribe", "psubscribe", "ssubscribe", "monitor"})

# Commands flagged "blocking" that only block when given a BLOCK argument.
_BLOCK_OPTION = frozenset({"xread", "xreadgroup"})

# Commands flagged "admin" that only read: allowed.
_ADMIN_READS = frozenset(
    {
        "config|get",
        "client|list",
        "client|info",
        "slowlog|get",
        "slowlog|len",
        "latency|latest",
        "latency|history",
        "latency|doctor",
        "latency|graph",
        "latency|histogram",
        "module|list",
    }
)

# Commands flagged "pubsub" that only inspect: allowed (PUBLISH and SUBSCRIBE are not).
_PUBSUB_READS = frozenset(
    {
        "pubsub|channels",
        "pubsub|numsub",
        "pubsub|numpat",
        "pubsub|shardchannels",
        "pubsub|shardnumsub",
    }
)


@dataclass(frozen=True)
class CommandSpec:
    """What ``COMMAND INFO`` says about one command or subcommand."""

    flags: tuple[str, ...]
    categories: tuple[str, ...]
    has_subcommands: bool


def refusal(
    display: str, keys: set[str], spec: CommandSpec, args: list[Any] | None = None
) -> str | None:
    """Why a command must not be sent, or None when it only reads and cannot block."""
    flags = set(spec.flags)
    shown = ", ".join(spec.flags) or "none"
    if _blocks(keys, flags, args or []):
        return (
            f"{display} is a blocking command (server flags: {shown}): it can wait "
            "indefinitely for data, a message or a replica"
        )
    if keys & _STATE_CHANGING:
        return f"{display} changes the server or the checker's connection"
    if "write" in flags:
        return f"{display} is a write command (server flags: {shown})"
    if "readonly" in flags:
        return None
    if "admin" in flags:
        if keys & _ADMIN_READS:
            return None
        return f"{display} is an administrative command (server flags: {shown})"
    if "pubsub" in flags:
        if keys & _PUBSUB_READS:
            return None
        return f"{display} is a pub/sub command (server flags: {shown})"
    if "may_replicate" in flags:
        return f"{display} may change data (server flags: {shown})"
    if "@scripting" in spec.categories:
        return f"{display} runs or manages scripts that may write; use EVAL_RO or FCALL_RO"
    return None


def _blocks(keys: set[str], flags: set[str], args: list[Any]) -> bool:
    """True when the command may wait for an event instead of answering at once."""
    if keys & _BLOCKING:
        return True
    if "blocking" not in flags:
        return False
    if keys & _BLOCK_OPTION:
        return any(as_text(arg).lower() == "block" for arg in args)
    return True


def command_spec(entry: Any) -> CommandSpec:
    """A ``COMMAND INFO`` entry: [name, arity, flags, first, last, step, acl, tips, keys, subs]."""
    flags = tuple(as_text(f).lower() for f in _items(entry[2]))
    categories = tuple(as_text(c).lower() for c in _items(entry[6])) if len(entry) > 6 else ()
    has_subcommands = len(entry) > 9 and bool(entry[9])
    return CommandSpec(flags=flags, categories=categories, has_subcommands=has_subcommands)


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | bytes):
        return [value]
    return list(value)


def as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
