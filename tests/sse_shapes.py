"""Stream shapes for the SSE property tests: how a stream may be written and cut.

Shared by the BFF reader's tests (test_sse.py) and the widget parser's (test_properties.py).
"""

from __future__ import annotations

from hypothesis import strategies as st

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), max_size=40
)
EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["", "token", "done", "text", "meta"]),
        st.lists(TEXT, min_size=1, max_size=3),  # data lines
        st.one_of(st.none(), st.text(alphabet="abc123.", min_size=1, max_size=8)),  # id
    ),
    min_size=1,
    max_size=8,
)


STREAM_SHAPES = {
    "events": EVENTS,
    "end": st.sampled_from(["\n", "\r\n", "\r"]),
    "bom": st.booleans(),
    "comments": st.booleans(),
    "cuts": st.lists(st.integers(min_value=0, max_value=2000), max_size=30),
}


def encode(events, end: str, bom: bool, comments: bool) -> bytes:
    out = "\ufeff" if bom else ""
    for name, lines, event_id in events:
        if comments:
            out += f": ping{end}"
        if name:
            out += f"event: {name}{end}"
        if event_id:
            out += f"id: {event_id}{end}"
        out += "".join(f"data: {line}{end}" for line in lines)
        out += end
    return out.encode()


def expected(events):
    frames, last_id = [], ""
    for name, lines, event_id in events:
        last_id = event_id or last_id
        frames.append((name, "\n".join(lines).encode(), last_id))
    return frames


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(max(cut, 0), len(data)) for cut in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]
