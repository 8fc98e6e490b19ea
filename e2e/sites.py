"""Host sites that break chat widgets: body swaps (Turbo, a pushState router) and a cookie banner.

Mounted under /sites on the e2e stack's host page server (another origin
than the BFF), each page with the README's script tag pasted in.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

TURBO = Path(__file__).resolve().parent.parent / "widget" / "node_modules" / "@hotwired" / "turbo" / "dist" / "turbo.es2017-umd.js"

# A client-side router as frameworks have them: links are intercepted, the URL
# changes with pushState, and the whole body is rendered anew.
ROUTER = """
function render(n) {
  const heading = document.createElement("h1");
  heading.textContent = "Router page " + n;
  const link = document.createElement("a");
  link.href = "/sites/spa/" + (n + 1);
  link.textContent = "Next page";
  link.setAttribute("data-link", "");
  document.body.replaceChildren(heading, link);
}
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("a[data-link]");
  if (!link) return;
  event.preventDefault();
  history.pushState({}, "", link.href);
  render(Number(location.pathname.split("/").pop()));
});
addEventListener("popstate", () => render(Number(location.pathname.split("/").pop())));
"""


def sites(bff: str) -> Starlette:
    tag = f'<script src="{bff}/widget.js" data-site="{{site}}" async></script>'

    def page(title: str, head: str, body: str) -> HTMLResponse:
        return HTMLResponse(
            f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{head}</head><body>{body}</body></html>"""
        )

    async def turbo_page(request: Request) -> HTMLResponse:
        """Turbo Drive: every link click swaps <body> and re-runs the scripts in it; refreshes morph."""
        n = int(request.path_params["n"])
        head = '<script src="/sites/turbo.js"></script><meta name="turbo-refresh-method" content="morph">'
        body = f'<h1>Turbo page {n}</h1><a id="next" href="/sites/turbo/{n + 1}">Next page</a>{tag.format(site="turbo")}'
        return page(f"Turbo page {n}", head, body)

    async def spa_page(request: Request) -> HTMLResponse:
        n = int(request.path_params["n"])
        body = f'<h1>Router page {n}</h1><a data-link href="/sites/spa/{n + 1}">Next page</a><script src="/sites/router.js"></script>{tag.format(site="spa")}'
        return page(f"Router page {n}", "", body)

    async def banner_page(request: Request) -> HTMLResponse:
        """A cookie banner fixed to the bottom of the window, as consent tools place theirs, until accepted."""
        head = '<link rel="stylesheet" href="/sites/banner.css">'
        body = (
            '<h1>A page with a cookie banner</h1>'
            '<div id="consent" role="region" aria-label="Cookies"><p>We use cookies.</p>'
            '<button id="accept" type="button">Accept</button></div>'
            '<script src="/sites/banner.js"></script>' + tag.format(site="banner")
        )
        return page("Cookie banner", head, body)

    async def banner_css(request: Request) -> Response:
        return Response(
            "#consent{position:fixed;left:0;right:0;bottom:0;height:120px;background:#222;color:#fff;"
            "z-index:2147483647;padding:16px}",
            media_type="text/css",
        )

    async def banner_js(request: Request) -> Response:
        return Response(
            'document.getElementById("accept").addEventListener("click",'
            ' () => document.getElementById("consent").remove());',
            media_type="text/javascript",
        )

    async def styled_page(request: Request) -> HTMLResponse:
        """An owner's stylesheet placing the widget and styling its parts (README, "Look")."""
        return page("Styled", '<link rel="stylesheet" href="/sites/styled.css">', "<h1>Styled</h1>" + tag.format(site="styled"))

    async def styled_css(request: Request) -> Response:
        return Response(
            "repchat-widget{--rc-z:10;--rc-bottom:90px;--rc-side:40px}"
            "repchat-widget::part(launcher){background:rgb(1,2,3)}"
            "repchat-widget::part(header){outline:1px solid rgb(4,5,6)}"
            "repchat-widget::part(composer){outline:1px solid rgb(7,8,9)}"
            "repchat-widget::part(bubble){outline:1px solid rgb(10,11,12)}"
            "repchat-widget::part(code){outline:1px solid rgb(13,14,15)}",
            media_type="text/css",
        )

    async def turbo_js(request: Request) -> FileResponse:
        return FileResponse(TURBO, media_type="text/javascript")

    async def router_js(request: Request) -> Response:
        return Response(ROUTER, media_type="text/javascript")

    return Starlette(
        routes=[
            Route("/turbo/{n:int}", turbo_page), Route("/spa/{n:int}", spa_page), Route("/banner", banner_page),
            Route("/banner.css", banner_css), Route("/banner.js", banner_js), Route("/turbo.js", turbo_js),
            Route("/router.js", router_js), Route("/styled", styled_page), Route("/styled.css", styled_css),
        ]
    )
