"""What an owner pastes to embed the chat on a site, from this BFF's configuration (`repchat snippet`).

The script tag, the Content-Security-Policy sources the page must allow and
the `REPCHAT_ALLOWED_ORIGINS` line the BFF needs, all from one place, so
`repchat check --site` can quote the same lines as its fixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from .settings import Settings

SITE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # as the widget and POST /v1/session accept it


@dataclass(frozen=True)
class Snippet:
    public_url: str  # the BFF's, without a trailing slash
    public_origin: str
    site: str = "default"
    profile: str = ""  # data-profile, for a site that speaks for another profile than the default

    @property
    def script_src(self) -> str:
        return f"{self.public_url}/widget.js"

    def script_tag(self) -> str:
        profile = f' data-profile="{escape(self.profile)}"' if self.profile else ""
        return f'<script src="{escape(self.script_src)}" data-site="{escape(self.site)}"{profile} async></script>'

    def csp_lines(self) -> list[str]:
        """The directives a page's policy needs the BFF in (each added to the page's own sources)."""
        return [f"script-src {self.public_origin}", f"connect-src {self.public_origin}"]


def for_settings(settings: Settings, site: str = "default", profile: str = "") -> Snippet:
    """The snippet for this configuration; REPCHAT_PUBLIC_URL must be set (the caller checks)."""
    return Snippet(settings.public_url.rstrip("/"), settings.public_origin, site, profile)


def allowed_origins_line(settings: Settings, origin: str) -> str:
    """REPCHAT_ALLOWED_ORIGINS with `origin` added to what is configured."""
    origins = list(dict.fromkeys((*settings.allowed_origins, origin)))
    return "REPCHAT_ALLOWED_ORIGINS=" + ",".join(origins)


def render(settings: Settings, snippet: Snippet, origin: str, allowed: bool, speaks_for: str) -> str:
    """The text `repchat snippet` prints; `speaks_for` is the profile the site's chats will use."""
    who = (f"profile {speaks_for!r}" + ("" if snippet.profile else " (REPCHAT_PROFILE_ID; --profile for another)")
           if speaks_for else "no profile yet: set REPCHAT_PROFILE_ID (`repchat check` says more)")
    lines = [
        f"# 1. Paste into every page of {origin} that shows the chat, before </body>; its chats speak for {who}:",
        snippet.script_tag(),
        "",
        "# 2. If those pages send a Content-Security-Policy (header or <meta>), add the BFF to these directives",
        "#    (keep your own sources; the widget's styles need no style-src, it uses constructable stylesheets):",
        *snippet.csp_lines(),
        "",
    ]
    if allowed:
        lines += [f"# 3. The BFF already allows {origin} (REPCHAT_ALLOWED_ORIGINS):", allowed_origins_line(settings, origin)]
    else:
        lines += [f"# 3. On the BFF, allow {origin} (then restart it):", allowed_origins_line(settings, origin)]
    lines += ["", f"# Then check the page: repchat check --site {origin}/  (or RepChat.diagnose() in its browser console)"]
    return "\n".join(lines)
