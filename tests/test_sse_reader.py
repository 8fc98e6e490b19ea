"""The BFF's SSE reader: every chunking and line ending reads the same frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bff.sse_reader import FrameTooLarge, LineSplitter, read_all

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


# How a stream may be written and cut: shared with the widget parser's property test.
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


@settings(max_examples=300, deadline=None)
@given(**STREAM_SHAPES)
def test_any_chunking_reads_the_same_frames(events, end, bom, comments, cuts):
    data = encode(events, end, bom, comments)
    whole = [(f.event, f.data, f.id) for f in read_all([data])]
    assert whole == expected(events)
    pieces = [(f.event, f.data, f.id) for f in read_all(chunked(data, cuts))]
    assert pieces == whole


def test_every_single_byte_split():
    data = encode([("token", ['{"content": "a\u2028b"}'], "1"), ("done", ["{}"], None)], "\r\n", True, True)
    frames = [(f.event, f.data, f.id) for f in read_all([data[i : i + 1] for i in range(len(data))])]
    assert frames == [("token", '{"content": "a\u2028b"}'.encode(), "1"), ("done", b"{}", "1")]


def test_no_space_after_colon_and_fields_without_values():
    frames = read_all([b"data:x\ndata\nevent:token\n\n"])
    assert [(f.event, f.data) for f in frames] == [("token", b"x\n")]


def test_an_unfinished_frame_at_the_end_is_dropped():
    assert read_all([b"data: partial"]) == []


def test_an_endless_line_is_refused():
    splitter = LineSplitter(max_line=100)
    with pytest.raises(FrameTooLarge):
        for _ in range(20):
            splitter.feed(b"x" * 10)
    with pytest.raises(FrameTooLarge):
        read_all([b"data: " + b"y" * 50 + b"\n"] * 5, max_frame=120)
