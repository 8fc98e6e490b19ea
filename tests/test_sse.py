"""The BFF's SSE reader: every chunking and line ending reads the same frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from bff.sse import FrameTooLarge, LineSplitter, read_all

from .sse_shapes import STREAM_SHAPES, chunked, encode, expected

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
