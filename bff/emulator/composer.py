"""Compose the Representative's answers from a profile's own knowledge.

Not a language model: intent rules for the things a page can do (show the
pricing, open the sales form, fill a form), BM25 over the FAQ for the rest,
and the page and scan context woven in, so the demo and the tests see
answers that depend on what the visitor asked, where they are, and how they
arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..profiles import Profile
from .retrieval import Bm25
from .tokenizer import stream_pieces

PRICING = re.compile(r"\b(costs?|price[sd]?|pricing|plans?|how much|expensive|cheap|pay)\b")
LEAVE_DETAILS = re.compile(r"\b(leave my (details|contact|number|email)|call me back|get back to me|get in touch)\b")
SALES = re.compile(
    r"\b(sales|salesperson|a human|real person|someone|book a (call|demo)|schedule a (call|demo))\b"
    r"|\b(talk|speak|get in touch)\b.*\b(you|team|people)\b"
)
FAQ = re.compile(r"\b(faq|frequently asked)\b")
RECOMMEND = re.compile(r"\b(recommend|which plan|best plan|suggest|right plan)\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
NAME = re.compile(r"\bmy name is ([A-Z][\w'-]+(?: [A-Z][\w'-]+)?)")
GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b[\s!.,]*$")


@dataclass
class Answer:
    text: str
    commands: list[dict[str, Any]] = field(default_factory=list)


def _event_name(profile: Profile, campaign: str) -> str:
    return profile.events.get(campaign) or campaign.replace("-", " ").replace("_", " ")


def _path(ui_context: dict[str, Any] | None) -> str:
    page = str((ui_context or {}).get("currentPage") or "")
    page = re.sub(r"^https?://[^/]+", "", page)
    return page.split("?", 1)[0].split("#", 1)[0] or ""


class Composer:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.index = Bm25([f"{item.q} {item.q} {item.tags} {item.a}" for item in profile.faq])

    def welcome(self, scan_context: dict[str, Any] | None) -> str:
        """The opening words of a session's first reply, reflecting how the visitor came."""
        scan = scan_context or {}
        campaign = str(scan.get("campaign") or "")
        if scan.get("source") == "qr_scan":
            where = f" at {_event_name(self.profile, campaign)}" if campaign else ""
            return f"Thanks for scanning my code{where}! "
        if campaign:
            return f"Welcome, and thanks for coming over from {_event_name(self.profile, campaign)}. "
        return ""

    def _plans(self) -> str:
        lines = [f"- **{plan.name}**: {plan.price}, {plan.detail}" for plan in self.profile.plans]
        return "\n".join(lines)

    def reply(
        self,
        content: str,
        ui_context: dict[str, Any] | None = None,
        scan_context: dict[str, Any] | None = None,
        first: bool = False,
    ) -> Answer:
        text = content.lower()
        path = _path(ui_context)
        answer = self._answer(content, text, path)
        if first:
            answer.text = self.welcome(scan_context) + answer.text
        return answer

    def _answer(self, content: str, text: str, path: str) -> Answer:
        profile = self.profile
        email = EMAIL.search(content)
        if email and re.search(r"\b(fill|form|contact me|reach me|my email)\b", text):
            fields = {"email": email.group()}
            name = NAME.search(content)
            if name:
                fields["name"] = name.group(1)
            return Answer(
                "I've filled in the contact form with your details. Check them, add a note if you "
                "like, and press **Send** when you're ready.",
                [{"type": "fill_form", "form": "#contact-form", "fields": fields}],
            )
        if LEAVE_DETAILS.search(text):
            prefill = {"email": email.group()} if email else {}
            return Answer(
                f"Of course. Leave your details in the card below and {profile.name} will get back to you.",
                [{"type": "collect_contact", "prefill": prefill}],
            )
        if SALES.search(text):
            return Answer(
                f"Happy to connect you with the {profile.company} team. I've opened the contact "
                "form for you; leave your email and someone will answer within one business day.",
                [{"type": "open_modal", "id": "contact"}],
            )
        if RECOMMEND.search(text) and profile.plans:
            pick = profile.plans[1] if len(profile.plans) > 1 else profile.plans[0]
            command: dict[str, Any] = (
                {"type": "highlight", "selector": pick.selector}
                if path == "/pricing"
                else {"type": "navigate", "url": "/pricing"}
            )
            return Answer(
                f"For most growing teams I'd suggest **{pick.name}** ({pick.price}): {pick.detail}. "
                "If you need SSO or unlimited seats, look at Business.",
                [command],
            )
        if PRICING.search(text) and profile.plans:
            if path == "/pricing":
                intro = "You're already on the pricing page, so here are the plans side by side:"
                commands: list[dict[str, Any]] = []
            else:
                intro = "Here's how pricing works; I've opened the pricing page for you:"
                commands = [{"type": "navigate", "url": "/pricing"}]
            return Answer(
                f"{intro}\n\n{self._plans()}\n\nEvery paid plan starts with a 14-day free trial.",
                commands,
            )
        if FAQ.search(text):
            return Answer(
                "Here are the questions people ask most; I've scrolled to them for you.",
                [{"type": "scroll_to", "selector": "#faq"}],
            )
        if GREETING.match(text):
            return Answer(profile.greeting)
        best = self.index.best(content)
        if best is not None:
            return Answer(profile.faq[best].a)
        if path == "/pricing" and profile.plans:
            return Answer(
                "I'm not sure I follow, but since you're looking at our plans, here they are in "
                f"short:\n\n{self._plans()}"
            )
        topics = "plans and pricing, integrations, security, onboarding"
        return Answer(
            f"I don't have a good answer to that yet. I can tell you about {topics}, "
            f"or put you in touch with the {profile.company} team."
        )

    @staticmethod
    def recap(messages: list[dict[str, Any]]) -> str:
        """A short recap of compacted messages: what was asked, in order."""
        asked = []
        for message in messages:
            if message["role"] == "summary":
                asked.append(message["content"].removeprefix("Recap so far: ").rstrip("."))
            elif message["role"] == "user":
                question = message["content"].strip()
                asked.append(f"\"{question[:60]}{'...' if len(question) > 60 else ''}\"")
        return "Recap so far: the visitor asked " + "; then ".join(asked) + "."


LOREM = (
    "Lumen turns raw product events into answers your whole team can read. "
    "Funnels show where people drop off, and **retention cohorts** show who comes back. "
    "Journeys reveal the paths people *really* take, with `track()` calls you already have."
)


def long_reply(tokens: int) -> str:
    """A deterministic markdown reply of about `tokens` stream pieces: paragraphs, lists and code."""
    parts: list[str] = []
    section = 0
    while len(stream_pieces("\n\n".join(parts))) < tokens:
        section += 1
        parts.append(f"### Part {section}")
        parts.append(LOREM)
        parts.append("- funnels by step\n- cohorts by week\n- journeys by path")
        if section % 3 == 0:
            parts.append('```js\nlumen.track("signup", { plan: "team", step: ' + str(section) + " });\n```")
    pieces = stream_pieces("\n\n".join(parts))
    return "".join(pieces[:tokens])
