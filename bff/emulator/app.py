"""The emulator of the upstream chat API, as an ASGI app.

It speaks the contract exactly as docs/upstream-contract.md describes it, so `repchat demo`, the tests and an integrator's sandbox all run
with no account anywhere. Scenarios (see `scenario.py`) inject every fault
and wire variant the BFF must survive.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..profiles import load_profiles
from .composer import Answer, long_reply
from .scenario import Scenario, ScenarioError, take_directive
from .store import Session, Store, Window, new_id
from .tokenizer import stream_pieces
from .wire import BOM, Framer

log = logging.getLogger("repchat.emulator")

HOSTILE_COMMANDS: list[dict[str, Any]] = [
    {"type": "navigate", "url": "javascript:alert(document.domain)"},
    {"type": "navigate", "url": "https://phish.example/login"},
    {"type": "run_script", "code": "alert(1)"},
    {"type": "fill_form", "form": "#login", "fields": {"password": "hunter2"}},
]

SCENARIO_HEADER = "x-emulator-fault"


@dataclass
class EmulatorConfig:
    api_key: str = "emulator-key"
    first_token_delay: float = 0.3
    token_gap: float = 0.03
    hourly_quota: int = 500
    key_quota: int = 100_000
    max_tokens: int = 8000
    profiles_dir: str | None = None
    scenario: str = ""
    fault_directives: bool = False


class DroppedConnection(Exception):
    """Raised inside a reply to make the server cut the connection mid-body."""


class _QuietDrops(logging.Filter):
    """Keep deliberate drops out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, BaseExceptionGroup):
            return exc.subgroup(DroppedConnection) is None
        return not isinstance(exc, DroppedConnection)


def detail(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def invalid(field: str, message: str, kind: str) -> JSONResponse:
    """A FastAPI-style validation error for one body field."""
    return JSONResponse(
        {"detail": [{"loc": ["body", field], "msg": message, "type": kind}]}, status_code=422
    )


class RateLimitHeaders:
    """Pure ASGI middleware: every response carries `X-RateLimit-*`.

    Session-scoped endpoints set their session's window; everything else
    shows the API key's window.
    """

    def __init__(self, app: ASGIApp, window: Window) -> None:
        self.app = app
        self.window = window

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.window.hit()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-ratelimit-limit" for name, _ in headers):
                    headers += [(k.lower().encode(), v.encode()) for k, v in self.window.headers().items()]
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Emulator:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        profiles = load_profiles(config.profiles_dir)
        self.store = Store(profiles, config.hourly_quota, config.max_tokens)
        self.scenario = Scenario().updated(config.scenario)

    # -- plumbing -----------------------------------------------------------

    def _authorised(self, request: Request) -> bool:
        key = request.headers.get("x-api-key", "")
        return secrets.compare_digest(key.encode(), self.config.api_key.encode())

    def _scenario(self, request: Request, directive: str | None = None) -> Scenario:
        return self.scenario.updated(request.headers.get(SCENARIO_HEADER)).updated(directive)

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return JSONResponse(
                {"detail": [{"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}]},
                status_code=422,
            )
        if not isinstance(body, dict):
            return invalid("__root__", "Input should be a valid dictionary", "dict_type")
        return body

    def _session(self, request: Request) -> Session | Response:
        session = self.store.sessions.get(request.path_params["session_id"])
        return session if session is not None else detail(404, "Session not found")

    def _gate(self, request: Request, scenario: Scenario | None = None) -> Response | None:
        """The 401 or injected error a request gets before any work, if any."""
        if not self._authorised(request):
            return detail(401, "Invalid or missing API key")
        scenario = scenario or self._scenario(request)
        if scenario.status is not None:
            headers = {}
            if scenario.status == 429:
                headers = {**Window(1, 1, time.time() + 30).headers(), "Retry-After": "30"}
            return detail(scenario.status, f"Injected fault: HTTP {scenario.status}", headers)
        return None

    def _gated_scenario(self, request: Request) -> Scenario | Response:
        """This request's scenario, or the 400 (bad spec), 401 or injected error it gets instead."""
        try:
            scenario = self._scenario(request)
        except ScenarioError as exc:
            return detail(400, str(exc))
        return self._gate(request, scenario) or scenario

    # -- endpoints ----------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def create_session(self, request: Request) -> Response:
        try:
            refused = self._gate(request)
        except ScenarioError as exc:
            return detail(400, str(exc))
        if refused:
            return refused
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        profile_id = body.get("profileId")
        if not isinstance(profile_id, str) or not profile_id:
            return invalid("profileId", "Field required", "missing")
        title = body.get("title", "")
        if not isinstance(title, str):
            return invalid("title", "Input should be a valid string", "string_type")
        profile = self.store.profiles.get(profile_id)
        if profile is None:
            return detail(404, f"Profile {profile_id!r} not found")
        session = self.store.create(profile, title or f"Chat with {profile.name}")
        self.store.record("session", sessionId=session.id, profileId=profile.id)
        return JSONResponse(session.public(), status_code=201)

    async def get_session(self, request: Request) -> Response:
        refused = self._gate(request)
        session = refused or self._session(request)
        if isinstance(session, Response):
            return session
        return JSONResponse(session.public(with_messages=True), headers=session.quota.headers())

    async def delete_session(self, request: Request) -> Response:
        refused = self._gate(request)
        session = refused or self._session(request)
        if isinstance(session, Response):
            return session
        del self.store.sessions[session.id]
        return Response(status_code=204, headers=session.quota.headers())

    async def context_usage(self, request: Request) -> Response:
        refused = self._gate(request)
        session = refused or self._session(request)
        if isinstance(session, Response):
            return session
        return JSONResponse(self.store.usage(session), headers=session.quota.headers())

    async def send_message(self, request: Request) -> Response:
        if not self._authorised(request):
            return detail(401, "Invalid or missing API key")
        session = self._session(request)
        if isinstance(session, Response):
            return session
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        content = body.get("content")
        if content is None:
            return invalid("content", "Field required", "missing")
        if not isinstance(content, str):
            return invalid("content", "Input should be a valid string", "string_type")
        directive = None
        if self.config.fault_directives:
            content, directive = take_directive(content)
        if not content.strip():
            return invalid("content", "String should have at least 1 character", "string_too_short")
        for key in ("uiContext", "scanContext"):
            if body.get(key) is not None and not isinstance(body[key], dict):
                return invalid(key, "Input should be a valid dictionary", "dict_type")
        # Who the visitor is, as the BFF says (docs/upstream-contract.md): verified or not, never unlabelled.
        visitor = (body.get("uiContext") or {}).get("visitor")
        if visitor is not None and not (isinstance(visitor, dict) and isinstance(visitor.get("verified"), bool)):
            return invalid("uiContext.visitor", "Input should be an object with a boolean 'verified'", "model_type")
        try:
            scenario = self._scenario(request, directive)
        except ScenarioError as exc:
            return detail(400, str(exc))
        if not session.quota.hit():
            wait = max(1, int(session.quota.reset - time.time()))
            return detail(
                429, "Hourly message quota exceeded for this session",
                {**session.quota.headers(), "Retry-After": str(wait)},
            )
        refused = self._gate(request, scenario)
        if refused:
            return refused
        first = not session.replied_before
        answer = self.store.composer(session).reply(content, body.get("uiContext"), body.get("scanContext"), first)
        session.add("user", content)
        entry = self.store.record(
            "message", sessionId=session.id, content=content, uiContext=body.get("uiContext"), visitor=visitor,
            scanContext=body.get("scanContext"), scenario=str(directive or request.headers.get(SCENARIO_HEADER) or ""),
            outcome="streaming", tokensSent=0,
        )
        if scenario.words:
            answer = Answer(long_reply(scenario.words))
        elif scenario.echo:
            answer = Answer(content)
        if scenario.hang:
            await asyncio.sleep(scenario.hang)
        framer = Framer(scenario)
        if scenario.hostile_commands:
            answer.commands += HOSTILE_COMMANDS
        if scenario.server_commands:
            answer.commands = [{**command, "server": True} for command in answer.commands]

        def done() -> bytes:
            message = session.add("assistant", answer.text)
            metadata = {"usage": self._usage_brief(session), "commands": answer.commands}
            return framer.done(message, metadata)

        stream = self._reply(framer, scenario, answer.text, done, entry, answer.commands)
        return self._event_stream(stream, scenario, session)

    async def compact(self, request: Request) -> Response:
        if not self._authorised(request):
            return detail(401, "Invalid or missing API key")
        session = self._session(request)
        if isinstance(session, Response):
            return session
        scenario = self._gated_scenario(request)
        if isinstance(scenario, Response):
            return scenario
        recap, folded = self.store.compact(session)
        text = recap or "Nothing to compact yet: the conversation is still short."
        entry = self.store.record("compact", sessionId=session.id, compactedMessages=folded, outcome="streaming")
        framer = Framer(scenario)

        def done() -> bytes:
            return framer.compact_done(recap, folded, self._usage_brief(session))

        return self._event_stream(self._reply(framer, scenario, text, done, entry), scenario, session)

    async def report_command(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if not isinstance(body.get("sessionId"), str):
            return invalid("sessionId", "Field required", "missing")
        if not isinstance(body.get("command"), dict) or not isinstance(body["command"].get("type"), str):
            return invalid("command", "Input should be a command object with a type", "dict_type")
        if body.get("result") not in ("executed", "blocked", "failed"):
            return invalid("result", "Input should be 'executed', 'blocked' or 'failed'", "enum")
        if body["sessionId"] not in self.store.sessions:
            return detail(404, "Session not found")
        command_id = new_id("cmd")
        self.store.record("command", sessionId=body["sessionId"], command=body["command"], result=body["result"], commandId=command_id)
        return JSONResponse({"ok": True, "commandId": command_id})

    async def record_scan(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        failing = self.scenario.updated(request.headers.get(SCENARIO_HEADER)).scan_status
        if failing:
            return detail(failing, f"Injected fault: HTTP {failing}")
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        if not isinstance(body.get("profileId"), str):
            return invalid("profileId", "Field required", "missing")
        if body.get("source") not in ("qr_scan", "web", "mcp"):
            return invalid("source", "Input should be 'qr_scan', 'web' or 'mcp'", "enum")
        scan_id = new_id("scan")
        self.store.record("scan", scanId=scan_id, **{k: body.get(k) for k in ("profileId", "source", "pageUrl", "campaign")})
        return JSONResponse({"id": scan_id, **body}, status_code=201)

    async def save_contact(self, request: Request) -> Response:
        """Lead capture: the visitor's details become a contact of the profile."""
        scenario = self._gated_scenario(request)
        if isinstance(scenario, Response):
            return scenario
        if scenario.contact_status:
            return detail(scenario.contact_status, f"Injected fault: HTTP {scenario.contact_status}")
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        for name in ("profile_id", "name", "email"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                return invalid(name, "Field required", "missing")
        if "@" not in body["email"]:
            return invalid("email", "value is not a valid email address", "value_error")
        if body.get("tos_consent") is not True:
            return invalid("tos_consent", "Consent is required", "value_error")
        for name in ("phone", "notes", "campaign"):
            if body.get(name) is not None and not isinstance(body[name], str):
                return invalid(name, "Input should be a valid string", "string_type")
        if body.get("source") not in (None, "qr_scan", "web", "mcp"):
            return invalid("source", "Input should be 'qr_scan', 'web' or 'mcp'", "enum")
        if body["profile_id"] not in self.store.profiles:
            return detail(404, f"Profile {body['profile_id']!r} not found")
        if scenario.contact_unsaved:
            self.store.record("contact", saved=False, profileId=body["profile_id"])
            return JSONResponse({"contactSaved": False})
        fields = ("name", "email", "phone", "notes", "source", "campaign")
        self.store.record(
            "contact", saved=True, contactId=new_id("contact"), profileId=body["profile_id"],
            tosConsent=body["tos_consent"], **{name: body.get(name) for name in fields},
        )
        return JSONResponse({"contactSaved": True})

    async def journal(self, request: Request) -> Response:
        if not self._authorised(request):
            return detail(401, "Invalid or missing API key")
        return JSONResponse(list(self.store.journal))

    async def set_scenario(self, request: Request) -> Response:
        """Change the scenario every later request starts from (for tests in other processes)."""
        if not self._authorised(request):
            return detail(401, "Invalid or missing API key")
        body = await self._body(request)
        if isinstance(body, Response):
            return body
        try:
            self.scenario = Scenario().updated(str(body.get("scenario", "")))
        except ScenarioError as exc:
            return detail(400, str(exc))
        return JSONResponse({"scenario": body.get("scenario", "")})

    # -- streams ------------------------------------------------------------

    def _usage_brief(self, session: Session) -> dict[str, Any]:
        usage = self.store.usage(session)
        return {"usedTokens": usage["usedTokens"], "maxTokens": usage["maxTokens"]}

    def _event_stream(self, frames: AsyncIterator[bytes], scenario: Scenario, session: Session) -> Response:
        if scenario.split:
            frames = _rechunk(frames, scenario.split)
        headers = {"Cache-Control": "no-cache", **session.quota.headers()}
        return StreamingResponse(frames, media_type="text/event-stream", headers=headers)

    async def _reply(
        self, framer: Framer, scenario: Scenario, text: str, done: Any,
        entry: dict[str, Any], commands: list[dict[str, Any]] | None = None,
    ) -> AsyncIterator[bytes]:
        delay = self.config.first_token_delay if scenario.delay is None else scenario.delay
        gap = self.config.token_gap if scenario.gap is None else scenario.gap
        pieces = stream_pieces(text)
        try:
            if scenario.bom:
                yield BOM
            if scenario.unknown_events:
                yield framer.unknown("connected", {"sessionId": entry["sessionId"]})
            if delay:
                await asyncio.sleep(delay)
            for index in range(len(pieces) + 1):
                if scenario.stall and index == scenario.stall_after:
                    await asyncio.sleep(scenario.stall)
                if index == scenario.error_after:
                    entry["outcome"] = "error"
                    yield framer.error("generation_failed", "The model failed while answering.", True)
                    return
                if index == scenario.drop_after:
                    entry["outcome"] = "dropped"
                    raise DroppedConnection
                if index == scenario.malformed:
                    yield framer.malformed()
                if index == 0 and scenario.oversized:
                    yield framer.token("x" * scenario.oversized)
                if index == len(pieces):
                    break
                yield framer.token(pieces[index])
                entry["tokensSent"] = index + 1
                if scenario.comments:
                    yield framer.comment()
                if scenario.unknown_events and index == 0:
                    yield framer.unknown("meta", {"model": "emulator"})
                if gap:
                    await asyncio.sleep(gap)
            if scenario.command_event:
                for command in commands or []:
                    yield framer.command(command)
            if scenario.no_done:
                entry["outcome"] = "no-done"
                return
            yield done()
            entry["outcome"] = "completed"
        except (asyncio.CancelledError, GeneratorExit):
            # The reader went away: the BFF cancelled upstream, and this is how we see it.
            entry["outcome"] = "cancelled"
            raise


async def _rechunk(frames: AsyncIterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The same bytes in `size`-byte pieces, each its own network write."""
    async for frame in frames:
        for start in range(0, len(frame), size):
            yield frame[start : start + size]
            await asyncio.sleep(0)


def create_emulator(config: EmulatorConfig | None = None) -> Starlette:
    """The emulator as a Starlette app; `app.state.emulator` exposes its store for tests."""
    config = config or EmulatorConfig()
    emulator = Emulator(config)
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    base = "/api/v1/chat/sessions"
    routes = [
        Route("/health", emulator.health),
        Route(base, emulator.create_session, methods=["POST"]),
        Route(base + "/{session_id}", emulator.get_session, methods=["GET"]),
        Route(base + "/{session_id}", emulator.delete_session, methods=["DELETE"]),
        Route(base + "/{session_id}/messages", emulator.send_message, methods=["POST"]),
        Route(base + "/{session_id}/compact", emulator.compact, methods=["POST"]),
        Route(base + "/{session_id}/context-usage", emulator.context_usage, methods=["GET"]),
        Route("/api/v1/chat/command", emulator.report_command, methods=["POST"]),
        Route("/api/v1/contacts/scans", emulator.record_scan, methods=["POST"]),
        Route("/api/v1/public/save-contact", emulator.save_contact, methods=["POST"]),
        Route("/api/v1/_emulator/journal", emulator.journal, methods=["GET"]),
        Route("/api/v1/_emulator/scenario", emulator.set_scenario, methods=["PUT"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(RateLimitHeaders, window=Window(config.key_quota))
    app.state.emulator = emulator
    return app
