"""What every subcommand shares: resolved settings on the click context and error reporting."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from pipeline.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])


def load_settings() -> Settings:
    """Resolve settings once; a bad env var is reported by name and the command exits 2."""
    try:
        return Settings.load()
    except ValidationError as exc:
        from pipeline.settings_doc import SETTINGS_CLASSES

        prefixes = {cls.__name__: str(cls.model_config.get("env_prefix", "")) for cls in SETTINGS_CLASSES}
        lines = []
        for error in exc.errors(include_url=False):
            field = "_".join(str(part) for part in error["loc"])
            env = f"{prefixes.get(exc.title, '')}{field}".upper()
            lines.append(f"  {env}: {error['msg']} (got {error.get('input')!r})")
        fail("invalid settings (see docs/configuration.md):\n" + "\n".join(lines), code=2)


def settings_of(ctx: click.Context) -> Settings:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = load_settings()
    settings: Settings = root.obj
    return settings


def pass_settings(func: F) -> F:
    """Decorator: call the command with the resolved ``Settings`` as first argument."""

    @click.pass_context
    def wrapper(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(func, settings_of(ctx), *args, **kwargs)

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def fail(message: str, code: int = 1) -> NoReturn:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(code)


def gateway_options(command: F) -> F:
    """``--gateway`` and ``--gateway-window-ms``: raw messages one event each, or batch envelopes as
    gateways send them (``pipeline.simulate.gateway``, docs/devices.md)."""
    from pipeline.simulate.gateway import DEFAULT_WINDOW_MS, GatewayScope

    command = click.option(
        "--gateway-window-ms",
        type=click.FloatRange(0.0, min_open=True),
        default=DEFAULT_WINDOW_MS,
        show_default=True,
        help="With --gateway: how much event time one envelope collects, ms.",
    )(command)
    return click.option(
        "--gateway",
        type=click.Choice(["off", *[scope.value for scope in GatewayScope]]),
        default="off",
        show_default=True,
        help="Batch envelopes as gateways send them: one per site (devices without one: their district's "
        "collector) or per district and family; off: one event per message (docs/devices.md).",
    )(command)
