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
FILL = re.compile(r"\bfill\b.*\bform\b|\bcontact form\b")
FAQ = re.compile(r"\b(faq|frequently asked)\b")
RECOMMEND = re.compile(r"\b(recommend|which plan|best plan|suggest|right plan)\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# "My name is Ana", "my name is ana lima": the phrase in any case; a second
# word counts as part of the name only when capitalised ("Ana Lima", not "ana and").
NAME = re.compile(r"\b(?i:my name is) ([A-Za-z][\w'-]*(?: [A-Z][\w'-]+)?)")
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
        # What a reply says it did must be what its commands can do on the
        # visitor's page: the contact form lives on /contact, the sales dialog
        # on every demo page, the FAQ on the home page, and a QR landing page
        # (/r/...) has none of them: there the widget shows links instead.
        profile = self.profile
        landing = path.startswith("/r/")
        fields: dict[str, str] = {}
        email = EMAIL.search(content)
        if email:
            fields["email"] = email.group()
        name = NAME.search(content)
        if name:
            fields["name"] = name.group(1)
        if fields and (name or re.search(r"\b(fill|form|contact me|reach me|my email)\b", text)):
            what = " and ".join(f"your {key}" for key in ("name", "email") if key in fields)
            fill = {"type": "fill_form", "form": "#contact-form", "fields": fields}
            if landing:
                return Answer(
                    "Thanks! You can send your details to the team from our contact page; "
                    "the link is below.",
                    [{"type": "navigate", "url": "/contact"}],
                )
            if path == "/contact":
                return Answer(
                    f"I've filled in {what} on the contact form. Check it, add a note if you "
                    "like, and press **Send** when you're ready.",
                    [fill],
                )
            return Answer(
                f"The contact form is on our contact page: I'm taking you there and filling in {what}. "
                "Check it and press **Send** when you're ready.",
                [{"type": "navigate", "url": "/contact"}, fill],
            )
        if LEAVE_DETAILS.search(text):
            prefill = {"email": email.group()} if email else {}
            return Answer(
                f"Of course. Leave your details in the card below and {profile.name} will get back to you.",
                [{"type": "collect_contact", "prefill": prefill}],
            )
        if FILL.search(text):
            # Asked to fill the form but gave nothing to fill it with: take them to it, and ask.
            ask = "Tell me your name and email here and I'll fill them in for you."
            if landing:
                return Answer(f"Our contact form is on our website; the link is below. {ask}", [{"type": "navigate", "url": "/contact"}])
            if path == "/contact":
                return Answer(f"The contact form is right on this page. {ask}", [{"type": "scroll_to", "selector": "#contact-form"}])
            return Answer(f"The contact form is on our contact page; I'm taking you there. {ask}", [{"type": "navigate", "url": "/contact"}])
        if SALES.search(text):
            if landing:
                return Answer(
                    f"Happy to connect you with the {profile.company} team. Tap **Save contact** to keep "
                    "my details, or leave your email on our contact page (the link is below) and someone "
                    "will answer within one business day.",
                    [{"type": "navigate", "url": "/contact"}],
                )
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
            commands: list[dict[str, Any]] = []
            if path == "/pricing":
                intro = "You're already on the pricing page, so here are the plans side by side:"
            elif landing:
                intro = "Here's how pricing works; the full pricing page is linked below:"
                commands = [{"type": "navigate", "url": "/pricing"}]
            else:
                intro = "Here's how pricing works; I've opened the pricing page for you:"
                commands = [{"type": "navigate", "url": "/pricing"}]
            return Answer(
                f"{intro}\n\n{self._plans()}\n\nEvery paid plan starts with a 14-day free trial.",
                commands,
            )
        if FAQ.search(text):
            if path == "/demo":
                return Answer(
                    "Here are the questions people ask most; I've scrolled to them for you.",
                    [{"type": "scroll_to", "selector": "#faq"}],
                )
            if landing:
                return Answer(
                    "The questions people ask most are on our home page; the link is below.",
                    [{"type": "navigate", "url": "/demo#faq"}],
                )
            return Answer(
                "The questions people ask most are on our home page; I'm taking you there.",
                [{"type": "navigate", "url": "/demo"}, {"type": "scroll_to", "selector": "#faq"}],
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
