"""`repchat`: run the demo, the production BFF, or the emulator alone; and the dev tools.

This is the one place that wires the emulator and `bff.dev` in, and only
inside the command that needs them: `repchat serve` and its workers (which
re-import this module) never load either.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import secrets
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import uvicorn

from . import __version__
from .checks import Finding, run_checks
from .errors import ApiError
from .listen import free_port, lan_address, port_problem
from .logs import log_config
from .profiles import Profile, ProfileError, default_profile_id, load_profiles, site_profiles
from .protocol import HeaderDeadlineProtocol
from .qr import landing_url, options_from, render
from .origins import OriginPolicy
from .settings import Settings, SettingsError, load_settings, origin_problem, public_url_problem
from .site_check import check_site
from .snippet import SITE_NAME, for_settings
from .snippet import render as render_snippet

if TYPE_CHECKING:
    from .emulator import EmulatorConfig

DEMO_ORIGINS = "http://localhost:*,http://127.0.0.1:*"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
log = logging.getLogger("repchat.check")


def _run_uvicorn(app: Any, fd: int | None, **options: Any) -> None:
    """`uvicorn.run`, or with `fd` the same on a socket inherited from the parent.

    uvicorn's own `fd` option opens every socket as AF_UNIX, and uvloop then
    serves a TCP socket as a pipe; the socket made here keeps its real family.
    """
    if fd is None:
        uvicorn.run(app, **options)
        return
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(app, **options)
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def _serve_bff(args: argparse.Namespace, settings: Settings) -> None:
    """Run the BFF from the environment (so every worker process reads the same settings)."""
    _run_uvicorn(
        "bff.app:create_app_from_env",
        args.fd,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level, settings.log_format, [settings.upstream_api_key, settings.webhook_secret, *settings.identity_secrets]),
        access_log=settings.access_log,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        timeout_graceful_shutdown=int(settings.shutdown_deadline) + 5,
        backlog=4096,
        # Without nginx in front, uvicorn is the edge: headers must arrive in time, idle
        # keep-alive connections close, headers are size-capped, and past max_connections
        # connections and requests at once a worker answers 503 rather than falling over.
        http=HeaderDeadlineProtocol,
        timeout_keep_alive=settings.keep_alive_timeout,
        limit_concurrency=settings.max_connections or None,
        h11_max_incomplete_event_size=16 * 1024,
    )


def _emulator_config(args: argparse.Namespace, api_key: str) -> EmulatorConfig:
    from .emulator import EmulatorConfig

    return EmulatorConfig(
        api_key=api_key,
        profiles_dir=os.environ.get("REPCHAT_PROFILES_DIR") or None,
        first_token_delay=args.delay,
        token_gap=args.gap,
        scenario=getattr(args, "scenario", "") or "",
        fault_directives=getattr(args, "fault_directives", False),
    )


def _port_taken(command: str, args: argparse.Namespace) -> bool:
    """Say so in one plain line, before any banner, when the server could not listen (never with --fd)."""
    problem = "" if args.fd is not None else port_problem(args.host, args.port)
    if problem:
        print(f"repchat {command}: {problem}", file=sys.stderr)
    return bool(problem)


def _demo_public_url(args: argparse.Namespace) -> tuple[str, str]:
    """The address the demo's links and QR codes use, and a note when a phone could not open it."""
    given = args.public_url or os.environ.get("REPCHAT_PUBLIC_URL", "")
    if given:
        return given, ""
    if args.host in LOOPBACK:
        return f"http://{args.host}:{args.port}", ""
    host = args.host if args.host not in ("0.0.0.0", "::", "") else lan_address()
    if not host:
        return (f"http://127.0.0.1:{args.port}",
                "no local network address found: give --public-url http://ADDRESS:PORT for phones")
    return f"http://{host}:{args.port}", ""


def cmd_demo(args: argparse.Namespace) -> int:
    if args.port == 0 and args.fd is None:  # "any free port": pick it now, so the banner, links and QR codes can name it
        args.port = free_port(args.host)
    if _port_taken("demo", args):
        return 1
    env = os.environ
    public_url, note = _demo_public_url(args)
    problem = public_url_problem(public_url)
    if problem:
        print(f"repchat demo: --public-url {problem}", file=sys.stderr)
        return 2
    env["REPCHAT_PUBLIC_URL"] = public_url
    env.setdefault("REPCHAT_ALLOWED_ORIGINS", DEMO_ORIGINS)
    env.setdefault("REPCHAT_SECRET_KEYS", secrets.token_urlsafe(32))
    env.setdefault("REPCHAT_DEMO_SITE", "true")
    emulator = None
    if env.get("REPCHAT_UPSTREAM_URL"):
        upstream = f"{env['REPCHAT_UPSTREAM_URL']} (from REPCHAT_UPSTREAM_URL)"
    else:
        from .dev.server import BackgroundServer
        from .emulator import create_emulator

        key = secrets.token_urlsafe(24)
        emulator = BackgroundServer(create_emulator(_emulator_config(args, key)), port=args.emulator_port)
        env["REPCHAT_UPSTREAM_URL"] = emulator.start()
        env["REPCHAT_UPSTREAM_API_KEY"] = key
        upstream = f"the embedded emulator at {emulator.url} (no account needed)"
    try:
        settings = load_settings()
        profiles = site_profiles(settings.profiles_dir, settings.demo_site)
    except (SettingsError, ProfileError) as exc:
        print(f"repchat demo: {exc}", file=sys.stderr)
        return 2
    print(f"repchat {__version__} demo")
    print(f"  open      {public_url}/demo")
    for profile in {profile.id: profile for profile in profiles.values()}.values():
        print(f"  QR page   {landing_url(public_url, profile.slug, 'demo')}")
        print(f"  QR code   {public_url}/r/{profile.slug}/qr.svg?c=demo  (poster: /r/{profile.slug}/poster?c=demo)")
    if args.host not in LOOPBACK:
        print(f"  phones    {note or f'open {public_url} on the same network (scan a QR code above)'}")
    print(f"  API       {public_url}/v1/session")
    print(f"  upstream  {upstream}")
    sys.stdout.flush()
    try:
        _serve_bff(args, settings)
    finally:
        if emulator:
            emulator.stop()
    return 0


def _findings(args: argparse.Namespace) -> tuple[Settings | None, list[Finding]]:
    try:
        settings = load_settings()
    except SettingsError as exc:
        return None, [Finding("fatal", "settings", str(exc))]
    return settings, run_checks(settings, args.workers)


def _print_findings(findings: list[Finding]) -> None:
    for finding in findings:
        print(f"  {finding.line()}")


def cmd_check_site(args: argparse.Namespace) -> int:
    """Check an owner's page against this configuration: its origin, its script tag, its CSP."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"repchat check --site: {exc}", file=sys.stderr)
        return 2
    print(f"repchat check --site: {args.site} against this BFF ({settings.public_url or 'no REPCHAT_PUBLIC_URL'})")
    findings = check_site(settings, args.site)
    _print_findings(findings)
    fatal = sum(finding.level == "fatal" for finding in findings)
    if fatal:
        print(f"not ready: {fatal} problem(s) on the page; in its browser, RepChat.diagnose() checks what a server cannot")
        return 1
    print("the page is ready for the chat; in its browser, RepChat.diagnose() checks the rest (proxies, launcher)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Print the checklist for the configuration `repchat serve` would run with."""
    if args.site:
        return cmd_check_site(args)
    _, findings = _findings(args)
    print("repchat check: the configuration `repchat serve` reads (REPCHAT_* and REPCHAT_CONFIG)")
    _print_findings(findings)
    fatal = sum(finding.level == "fatal" for finding in findings)
    warnings = sum(finding.level == "warn" for finding in findings)
    if fatal:
        print(f"not ready: {fatal} problem(s) would stop `repchat serve`, {warnings} warning(s)")
        return 1
    print(f"ready for `repchat serve`, {warnings} warning(s)")
    return 1 if args.strict and warnings else 0


def _snippet_problem(args: argparse.Namespace, settings: Settings, origin: str, profiles: dict[str, Profile]) -> str:
    """Why `repchat snippet` cannot print a working snippet for these arguments, or ""."""
    if not settings.public_url:
        return "give --public-url or set REPCHAT_PUBLIC_URL (the address widget.js is served from)"
    if public_url_problem(settings.public_url):
        return f"the public URL {public_url_problem(settings.public_url)}"
    if origin_problem(origin):
        return origin_problem(origin)
    if origin.endswith(":*"):
        return "--origin must be one site's origin, not a pattern"
    if not SITE_NAME.fullmatch(args.site):
        return f"--site {args.site!r} must be 1 to 64 letters, digits, '.', '-' or '_'"
    if args.profile and args.profile not in profiles:  # an id or a slug, as data-profile takes
        known = ", ".join(sorted({profile.id for profile in profiles.values()})) or "none configured"
        return f"--profile {args.profile!r} is not a configured profile ({known})"
    return ""


def cmd_snippet(args: argparse.Namespace) -> int:
    """Print the script tag, the CSP lines and the allowed-origin setting for one site."""
    try:
        settings = load_settings()
        if args.public_url:
            settings = settings.replace(public_url=args.public_url)
        profiles = site_profiles(settings.profiles_dir, settings.demo_site)
    except (SettingsError, ProfileError) as exc:
        print(f"repchat snippet: {exc}", file=sys.stderr)
        return 2
    origin = args.origin.rstrip("/")
    problem = _snippet_problem(args, settings, origin, profiles)
    if problem:
        print(f"repchat snippet: {problem}", file=sys.stderr)
        return 2
    snippet = for_settings(settings, args.site, args.profile)
    allowed = OriginPolicy(settings.allowed_origins, settings.public_origin).allows(origin)
    speaks_for = profiles[args.profile].id if args.profile else default_profile_id(settings.profile_id, profiles)
    print(render_snippet(settings, snippet, origin, allowed, speaks_for))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    if _port_taken("serve", args):
        return 1
    settings, findings = _findings(args)
    fatal = [finding for finding in findings if finding.level == "fatal"]
    if fatal or settings is None:
        for finding in fatal:
            print(f"repchat serve: {finding.topic}: {finding.text}", file=sys.stderr)
        print("repchat serve: not started (`repchat check` lists every check)", file=sys.stderr)
        return 2
    logging.config.dictConfig(log_config(settings.log_level, settings.log_format, [settings.upstream_api_key]))
    for finding in findings:
        if finding.level == "warn":
            log.warning("%s: %s", finding.topic, finding.text)
    print(f"repchat {__version__}: serving on {_address(args)}, upstream {settings.upstream_url}")
    sys.stdout.flush()
    _serve_bff(args, settings)
    return 0


def _address(args: argparse.Namespace) -> str:
    return f"the socket passed as fd {args.fd}" if args.fd is not None else f"http://{args.host}:{args.port}"


def cmd_emulator(args: argparse.Namespace) -> int:
    from .emulator import create_emulator

    if _port_taken("emulator", args):
        return 1
    config = _emulator_config(args, args.api_key)
    print(f"repchat emulator on {_address(args)}  (X-API-Key: {args.api_key})")
    sys.stdout.flush()
    _run_uvicorn(create_emulator(config), args.fd, host=args.host, port=args.port, log_level="info")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from .dev.bench import run

    if (args.upstream is None) != (args.api_key is None):
        print("repchat bench: --upstream and --api-key go together", file=sys.stderr)
        return 2
    if args.workers < 1 or (args.streams is not None and args.streams < 1) or (args.tokens is not None and args.tokens < 1) \
            or (args.gap is not None and args.gap < 0):
        print("repchat bench: --workers, --streams and --tokens must be at least 1, --gap at least 0", file=sys.stderr)
        return 2
    options = run.Options(
        quick=args.quick, scenarios=tuple(name for name in (args.scenario or "").split(",") if name),
        streams=args.streams, tokens=args.tokens, gap=args.gap, upstream=args.upstream, api_key=args.api_key or "",
        profile=args.profile, workers=args.workers, nginx=not args.no_nginx,
    )
    return run.main(options, args.json, args.ready_timeout)


def cmd_soak(args: argparse.Namespace) -> int:
    from .dev import soak

    return soak.run(args)


def cmd_qr(args: argparse.Namespace) -> int:
    """Write a landing page's QR code to a file, for print."""
    public_url = args.public_url or os.environ.get("REPCHAT_PUBLIC_URL", "")
    if not public_url:
        print("repchat qr: give --public-url or set REPCHAT_PUBLIC_URL (the address the code opens).", file=sys.stderr)
        return 2
    problem = public_url_problem(public_url)
    if problem:
        print(f"repchat qr: the public URL {problem}", file=sys.stderr)
        return 2
    kind = args.output.rsplit(".", 1)[-1].lower()
    if kind not in ("svg", "png"):
        print("repchat qr: the output file must end in .svg or .png", file=sys.stderr)
        return 2
    try:
        profiles = load_profiles(os.environ.get("REPCHAT_PROFILES_DIR") or None)
    except ProfileError as exc:
        print(f"repchat qr: {exc}", file=sys.stderr)
        return 2
    if args.slug not in profiles:
        print(f"repchat qr: no profile with slug {args.slug!r} (known: {', '.join(sorted(profiles))})", file=sys.stderr)
        return 2
    params = {"c": args.campaign, "scale": str(args.scale), "border": str(args.border), "ecl": args.ecl,
              "dark": args.dark, "light": args.light}
    try:
        options = options_from({key: value for key, value in params.items() if value})
    except ApiError as exc:
        print(f"repchat qr: {exc.message}", file=sys.stderr)
        return 2
    url = landing_url(public_url, profiles[args.slug].slug, options.campaign)
    with open(args.output, "wb") as handle:
        handle.write(render(url, options, kind))
    print(f"wrote {args.output}: {url}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="repchat", description="An embeddable AI Representative chat.")
    root.add_argument("--version", action="version", version=f"repchat {__version__}")
    commands = root.add_subparsers(dest="command", required=True)

    def server_options(sub: argparse.ArgumentParser, port: int) -> None:
        sub.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
        sub.add_argument("--port", type=int, default=port, help=f"port to bind (default {port})")
        sub.add_argument("--fd", type=int, default=None,
                         help="serve on this already-bound socket instead (from a process manager)")

    def timing_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--delay", type=float, default=0.3, help="emulator: seconds before the first token")
        sub.add_argument("--gap", type=float, default=0.03, help="emulator: seconds between tokens")

    def workers_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--workers", type=int, default=1, help="worker processes (default 1; share state with "
                         "REPCHAT_REDIS_URL when more)")

    demo = commands.add_parser("demo", help="the BFF and the embedded emulator, with the demo site")
    server_options(demo, 8000)
    workers_option(demo)
    demo.add_argument("--public-url", default="", help="the address phones open (default: this machine's network "
                      "address when --host is not loopback)")
    demo.add_argument("--emulator-port", type=int, default=0, help="emulator port (default: any free port)")
    timing_options(demo)
    demo.set_defaults(run=cmd_demo)

    serve = commands.add_parser("serve", help="the BFF alone, against a real upstream")
    server_options(serve, 8000)
    workers_option(serve)
    serve.set_defaults(run=cmd_serve)

    check = commands.add_parser("check", help="check the configuration `serve` would run with, one line per check")
    workers_option(check)
    check.add_argument("--strict", action="store_true", help="exit non-zero on warnings too")
    check.add_argument("--site", default="", metavar="URL",
                       help="instead, fetch this page of your site and check its origin, script tag and CSP against this BFF")
    check.set_defaults(run=cmd_check)

    snippet = commands.add_parser("snippet", help="print the script tag, CSP lines and allowed-origin setting for a site")
    snippet.add_argument("--origin", required=True, help="the site's origin, like https://shop.example")
    snippet.add_argument("--site", default="default", help="the script tag's data-site name (default: default)")
    snippet.add_argument("--profile", default="", help="a configured profile the site speaks for (default: REPCHAT_PROFILE_ID)")
    snippet.add_argument("--public-url", default="", help="the BFF's public URL (default: REPCHAT_PUBLIC_URL)")
    snippet.set_defaults(run=cmd_snippet)

    emulator = commands.add_parser("emulator", help="the upstream emulator alone, for integrators")
    server_options(emulator, 8100)
    emulator.add_argument("--api-key", default="emulator-key", help="the X-API-Key it accepts")
    emulator.add_argument("--scenario", default="", help="faults and wire variants for every stream")
    emulator.add_argument(
        "--fault-directives", action="store_true", help="honour [[fault: ...]] inside messages"
    )
    timing_options(emulator)
    emulator.set_defaults(run=cmd_emulator)

    qr = commands.add_parser("qr", help="write a landing page's QR code to an .svg or .png file")
    qr.add_argument("slug", help="the profile's slug, as in /r/SLUG")
    qr.add_argument("-o", "--output", required=True, help="file to write, ending in .svg or .png")
    qr.add_argument("--campaign", "-c", default="", help="campaign the scans are counted under, e.g. booth-42")
    qr.add_argument("--public-url", default="", help="the BFF's public URL (default: REPCHAT_PUBLIC_URL)")
    qr.add_argument("--scale", type=int, default=10, help="pixels per module (1-40)")
    qr.add_argument("--border", type=int, default=4, help="quiet zone in modules (0-16)")
    qr.add_argument("--ecl", default="Q", help="error correction: L, M, Q or H")
    qr.add_argument("--dark", default="", help="dark color, e.g. #0f172a")
    qr.add_argument("--light", default="", help="light color, or transparent")
    qr.set_defaults(run=cmd_qr)

    bench = commands.add_parser(
        "bench", help="measure the relay against the upstream alone, nginx, a bare ASGI relay and a naive one")
    bench.add_argument("--quick", action="store_true", help="the short form (what CI runs)")
    bench.add_argument("--json", action="store_true", help="print JSON")
    bench.add_argument("--scenario", default=None, metavar="NAMES",
                       help="comma list of scenarios to run: latency, load, throughput, held, burst (default: all)")
    bench.add_argument("--streams", type=int, default=None, metavar="N",
                       help="streams per scenario, instead of each scenario's own number")
    bench.add_argument("--tokens", type=int, default=None, metavar="N",
                       help="tokens per reply (the bench's emulator only; your upstream answers as it will)")
    bench.add_argument("--gap", type=float, default=None, metavar="S",
                       help="seconds between tokens (the bench's emulator only)")
    bench.add_argument("--upstream", default=None, metavar="URL",
                       help="measure against your own upstream API instead of the emulator (no direct, asgi or naive path)")
    bench.add_argument("--api-key", default=None, metavar="KEY", help="the API key of --upstream")
    bench.add_argument("--profile", default="demo", metavar="ID",
                       help="the upstream profile replies come from (default demo)")
    bench.add_argument("--workers", type=int, default=1, metavar="N",
                       help="repchat's worker processes (default 1); nginx gets as many, at least 2")
    bench.add_argument("--no-nginx", action="store_true", help="leave out the nginx path even when nginx is installed")
    bench.add_argument("--ready-timeout", type=float, default=30.0,
                       help="seconds to wait for the servers (emulator, BFF, nginx, the asgi and naive relays) to be ready (default 30)")
    bench.set_defaults(run=cmd_bench)

    soak = commands.add_parser("soak", help="hold many visitors with injected faults; nothing may be lost")
    soak.add_argument("--visitors", type=int, default=50, help="concurrent visitors (default 50)")
    soak.add_argument("--minutes", type=float, default=1.0, help="how long to hold them (default 1)")
    soak.add_argument("--fault-rate", type=float, default=0.2, help="share of messages with a fault (default 0.2)")
    soak.add_argument("--gap", type=float, default=0.01, help="emulator seconds between tokens")
    soak.add_argument("--url", default=None, help="a running BFF to soak instead (no faults injected)")
    soak.add_argument("--json", action="store_true", help="print JSON")
    soak.add_argument("--ready-timeout", type=float, default=30.0,
                      help="seconds to wait for the stack (BFF and its upstream) to be ready (default 30)")
    soak.set_defaults(run=cmd_soak)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
