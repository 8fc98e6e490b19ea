"""`repchat`: run the demo, the production BFF, or the emulator alone."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence

import uvicorn

from . import __version__
from .emulator import EmulatorConfig, create_emulator
from .serving import BackgroundServer
from .settings import SettingsError, load_settings

DEMO_ORIGINS = "http://localhost:*,http://127.0.0.1:*"


def _serve_bff(args: argparse.Namespace) -> None:
    """Run the BFF from the environment (so every worker process reads the same settings)."""
    uvicorn.run(
        "bff.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=os.environ.get("REPCHAT_LOG_LEVEL", "info"),
        timeout_graceful_shutdown=10,
    )


def _emulator_config(args: argparse.Namespace, api_key: str) -> EmulatorConfig:
    return EmulatorConfig(
        api_key=api_key,
        first_token_delay=args.delay,
        token_gap=args.gap,
        scenario=getattr(args, "scenario", "") or "",
        fault_directives=getattr(args, "fault_directives", False),
    )


def cmd_demo(args: argparse.Namespace) -> int:
    env = os.environ
    public_url = env.get("REPCHAT_PUBLIC_URL") or f"http://{args.host}:{args.port}"
    env["REPCHAT_PUBLIC_URL"] = public_url
    env.setdefault("REPCHAT_ALLOWED_ORIGINS", f"{public_url},{DEMO_ORIGINS}")
    env.setdefault("REPCHAT_SECRET_KEYS", secrets.token_urlsafe(32))
    emulator = None
    if env.get("REPCHAT_UPSTREAM_URL"):
        upstream = f"{env['REPCHAT_UPSTREAM_URL']} (from REPCHAT_UPSTREAM_URL)"
    else:
        key = secrets.token_urlsafe(24)
        emulator = BackgroundServer(create_emulator(_emulator_config(args, key)), port=args.emulator_port)
        env["REPCHAT_UPSTREAM_URL"] = emulator.start()
        env["REPCHAT_UPSTREAM_API_KEY"] = key
        upstream = f"the embedded emulator at {emulator.url} (no account needed)"
    try:
        load_settings()
    except SettingsError as exc:
        print(f"repchat demo: {exc}", file=sys.stderr)
        return 2
    print(f"repchat {__version__} demo")
    print(f"  open      {public_url}/demo")
    print(f"  API       {public_url}/v1/session")
    print(f"  upstream  {upstream}")
    sys.stdout.flush()
    try:
        _serve_bff(args)
    finally:
        if emulator:
            emulator.stop()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"repchat serve: {exc}", file=sys.stderr)
        return 2
    missing = settings.missing_for_production()
    if missing:
        print(
            f"repchat serve: cannot start without {', '.join(missing)}.\n"
            "Set them in the environment (or the file named by REPCHAT_CONFIG); "
            "`repchat demo` runs without any of them.",
            file=sys.stderr,
        )
        return 2
    print(f"repchat {__version__}: serving on http://{args.host}:{args.port}, upstream {settings.upstream_url}")
    sys.stdout.flush()
    _serve_bff(args)
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    config = _emulator_config(args, args.api_key)
    print(f"repchat emulator on http://{args.host}:{args.port}  (X-API-Key: {args.api_key})")
    sys.stdout.flush()
    uvicorn.run(create_emulator(config), host=args.host, port=args.port, log_level="info")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="repchat", description="An embeddable AI Representative chat.")
    root.add_argument("--version", action="version", version=f"repchat {__version__}")
    commands = root.add_subparsers(dest="command", required=True)

    def server_options(sub: argparse.ArgumentParser, port: int) -> None:
        sub.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
        sub.add_argument("--port", type=int, default=port, help=f"port to bind (default {port})")

    def timing_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--delay", type=float, default=0.3, help="emulator: seconds before the first token")
        sub.add_argument("--gap", type=float, default=0.03, help="emulator: seconds between tokens")

    demo = commands.add_parser("demo", help="the BFF and the embedded emulator, with the demo site")
    server_options(demo, 8000)
    demo.add_argument("--workers", type=int, default=1)
    demo.add_argument("--emulator-port", type=int, default=0, help="emulator port (default: any free port)")
    timing_options(demo)
    demo.set_defaults(run=cmd_demo)

    serve = commands.add_parser("serve", help="the BFF alone, against a real upstream")
    server_options(serve, 8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)

    emulator = commands.add_parser("emulator", help="the upstream emulator alone, for integrators")
    server_options(emulator, 8100)
    emulator.add_argument("--api-key", default="emulator-key", help="the X-API-Key it accepts")
    emulator.add_argument("--scenario", default="", help="faults and wire variants for every stream")
    emulator.add_argument(
        "--fault-directives", action="store_true", help="honour [[fault: ...]] inside messages"
    )
    timing_options(emulator)
    emulator.set_defaults(run=cmd_emulator)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
