"""``deconflict --config FILE`` and ``deconflict config show``: the configuration file.

The file is TOML with the settings' own names (``docs/configuration.md``). Precedence:
a command's flags > ``DECONFLICT_*`` variables > the file > the defaults. ``--config``
only sets ``DECONFLICT_CONFIG`` for the command (and the processes it starts, such as
the demo's service); without either, ``deconflict.toml`` in the data directory
(``DECONFLICT_DATA_DIR``, default ``data``) is read when it exists.

This module is imported for every command (the group's callback), so it imports the
settings, and with them pydantic and the key libraries, only when a file is in use or
``config show`` runs: ``deconflict version`` stays light.
"""

from __future__ import annotations

import json
import os
import re
import types
import typing
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import urlsplit, urlunsplit

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo

    from deconflict.settings import Settings

CONFIG_ENV = "DECONFLICT_CONFIG"
"""As ``settings.CONFIG_ENV`` (repeated here so that resolving the file imports nothing)."""

CONFIG_FILE_NAME = "deconflict.toml"
DEFAULT_DATA_DIR = "data"
"""``Settings.data_dir``'s default (a test holds the two equal)."""

ENV_PREFIX = "DECONFLICT_"
SECRET_NAMES = re.compile(r"(^|_)(secret|password|passwd|private_key|api_key)($|_)", re.I)
"""Keys whose values ``config show`` never prints."""
MASK = "***"


def default_file() -> Path | None:
    """``deconflict.toml`` in the data directory the environment names, if it exists."""
    path = Path(os.environ.get("DECONFLICT_DATA_DIR") or DEFAULT_DATA_DIR) / CONFIG_FILE_NAME
    return path if path.is_file() else None


def use_config_file(ctx: typer.Context, explicit: Path | None) -> None:
    """Point ``DECONFLICT_CONFIG`` at the file in use for this command (``--config``,
    else the variable, else the data directory's file) and check it now, so that a bad
    file is exit 2 naming the file and key before the command does anything. The
    variable is restored when the command ends (one process may run several, as tests
    do)."""
    if explicit is not None:
        path: Path | None = explicit
    elif os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    else:
        path = default_file()
    if path is None:
        return
    from deconflict.errors import ConfigError
    from deconflict.settings import read_config_file

    try:
        read_config_file(path)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    before = os.environ.get(CONFIG_ENV)
    os.environ[CONFIG_ENV] = str(path)

    def restore() -> None:
        if before is None:
            os.environ.pop(CONFIG_ENV, None)
        else:
            os.environ[CONFIG_ENV] = before

    ctx.call_on_close(restore)


# --------------------------------------------------------------------- config show

app = typer.Typer(
    name="config",
    help="The configuration in effect (file, environment, defaults), secrets masked.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def config() -> None:
    """The configuration in effect (file, environment, defaults), secrets masked."""


def _mask(key: str, value: Any) -> Any:
    """A secret's value as ``***``; a URL's password (a database's, a JWKS's) too."""
    if value is None:
        return None
    if SECRET_NAMES.search(key.rsplit(".", 1)[-1]):
        return MASK
    if isinstance(value, str) and "://" in value:
        url = urlsplit(value)
        if url.password:
            host = url.hostname or ""
            if url.port is not None:
                host = f"{host}:{url.port}"
            return urlunsplit(url._replace(netloc=f"{url.username}:{MASK}@{host}"))
    if isinstance(value, list):
        return [_mask(key, v) for v in value]
    if isinstance(value, dict):
        return {k: _mask(f"{key}.{k}", v) for k, v in value.items()}
    return value


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _leaves(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The dotted paths of the values ``config show`` prints one by one: every field,
    sub-models opened up (a list or a map of models is one value)."""
    for name, info in model.model_fields.items():
        if _is_model(info.annotation):
            yield from _leaves(info.annotation, (*prefix, name))
        else:
            yield (*prefix, name)


def _lookup(tree: dict[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = tree
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _env_tree() -> dict[str, Any]:
    from pydantic_settings import EnvSettingsSource

    from deconflict.settings import Settings

    return EnvSettingsSource(Settings, env_prefix=ENV_PREFIX, env_nested_delimiter="__")()


def _env_name(path: tuple[str, ...]) -> str:
    """The variable that set ``path``: its own, or the nearest enclosing table's (a
    sub-model given as JSON)."""
    for n in range(len(path), 0, -1):
        name = ENV_PREFIX + "__".join(path[:n]).upper()
        if name in os.environ or name.lower() in os.environ:
            return name
    return ENV_PREFIX + "__".join(path).upper()


def effective() -> tuple[Settings, dict[str, Any], dict[str, str], Path | None]:
    """The settings in effect, their masked values as a tree, and where each leaf came
    from (``env NAME``, ``file PATH`` or ``default``)."""
    from deconflict.settings import Settings, config_file, read_config_file

    settings = Settings()
    path = config_file()
    file_tree = read_config_file(path) if path is not None else {}
    env_tree = _env_tree()
    values = _mask("", settings.model_dump(mode="json"))
    sources: dict[str, str] = {}
    for leaf in _leaves(Settings):
        if _lookup(env_tree, leaf)[0]:
            sources[".".join(leaf)] = f"env {_env_name(leaf)}"
        elif _lookup(file_tree, leaf)[0]:
            sources[".".join(leaf)] = f"file {path}"
        else:
            sources[".".join(leaf)] = "default"
    return settings, values, sources, path


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """``value`` in TOML (inline tables for maps and lists of tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no TOML for {value!r}")


def render_toml(values: dict[str, Any], sources: dict[str, str], path: Path | None) -> str:
    """The configuration as a TOML file (valid as a ``--config`` file), each value
    followed by where it came from; unset values are comments (TOML has no null)."""
    from deconflict.settings import Settings

    lines = [
        "# deconflict: the configuration in effect; precedence: flags > environment > "
        "file > defaults",
        f"# configuration file: {path if path is not None else 'none'}",
    ]
    tables: dict[tuple[str, ...], list[str]] = {}
    for leaf in _leaves(Settings):
        value = _lookup(values, leaf)[1]
        source = sources[".".join(leaf)]
        line = (
            f"# {leaf[-1]} is not set  # {source}"
            if value is None
            else f"{_toml_key(leaf[-1])} = {toml_value(value)}  # {source}"
        )
        tables.setdefault(leaf[:-1], []).append(line)
    for table, rows in tables.items():
        if table:
            lines += ["", "[" + ".".join(table) + "]"]
        lines += rows
    return "\n".join(lines) + "\n"


@app.command()
def show(
    fmt: str = typer.Option(
        "toml",
        "--format",
        help="toml (a valid configuration file, each value's source in a comment) or "
        "json ({settings, sources}).",
    ),
) -> None:
    """Print the configuration in effect, each value with its source; secrets masked."""
    from pydantic import ValidationError

    from deconflict.errors import ConfigError

    if fmt not in ("toml", "json"):
        typer.echo(f"error: --format: expected toml or json, got {fmt!r}", err=True)
        raise typer.Exit(2)
    try:
        _, values, sources, path = effective()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except ValidationError as exc:
        typer.echo(f"error: {settings_problems(exc)}", err=True)
        raise typer.Exit(2) from None
    if fmt == "json":
        typer.echo(json.dumps({"settings": values, "sources": sources}, indent=2))
    else:
        typer.echo(render_toml(values, sources, path), nl=False)


def settings_problems(exc: Any) -> str:
    """Refused settings (a pydantic ``ValidationError`` of ``Settings``), each named by
    its key and the variable that gave it. A file's values were checked alone before, so
    what is refused here came from the environment, or from a rule across values."""
    problems = []
    for error in exc.errors()[:5]:
        loc = tuple(str(p) for p in error["loc"])
        name = _env_name(loc)
        given = f" ({name})" if name in os.environ else ""
        problems.append(f"{'.'.join(loc) or 'settings'}{given}: {error['msg']}")
    return "invalid configuration: " + "; ".join(problems)


# ------------------------------------------------------------- the settings table


def _type_name(annotation: Any) -> str:
    """A reader's name for a field's type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        kinds = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(kinds) + (" (or unset)" if type(None) in args else "")
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if origin is list:
        inner = args[0]
        return "list of tables" if _is_model(inner) else f"list of {_type_name(inner)}s"
    if origin is dict:
        return "table of tables" if _is_model(args[1]) else "table"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    names: dict[Any, str] = {bool: "boolean", int: "integer", float: "number", str: "string"}
    if annotation is Path:
        return "path"
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _default(info: FieldInfo) -> str:
    from pydantic_core import PydanticUndefined

    if info.default_factory is not None:
        factory: Callable[[], Any] = info.default_factory  # type: ignore[assignment]
        value = factory()
    elif info.default is PydanticUndefined:
        return "(required)"
    else:
        value = info.default
    if value is None:
        return "unset"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Path):
        value = str(value)
    try:
        return f"`{toml_value(value)}`"
    except TypeError:
        return f"`{value}`"


def _rows(model: type[BaseModel], prefix: str, env: str | None) -> Iterator[str]:
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        var = f"`{env}{name.upper()}`" if env is not None else ""
        annotation = info.annotation
        if _is_model(annotation):
            yield from _rows(annotation, f"{key}.", f"{env}{name.upper()}__" if env else None)
            continue
        text = " ".join((info.description or "").split()).replace("|", "\\|")
        yield f"| `{key}` | {var} | {_type_name(annotation)} | {_default(info)} | {text} |"
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is list and args and _is_model(args[0]):
            yield from _rows(args[0], f"{key}[].", None)
        if typing.get_origin(annotation) is dict and len(args) == 2 and _is_model(args[1]):
            yield from _rows(args[1], f"{key}.PARTY.", None)


def settings_table() -> str:
    """Every setting as a Markdown table (docs/configuration.md holds this, a test
    keeps the two equal): key, variable, type, default, description."""
    from deconflict.settings import Settings

    head = [
        "| key | environment variable | type | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    return "\n".join([*head, *_rows(Settings, "", ENV_PREFIX)]) + "\n"
