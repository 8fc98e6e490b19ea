"""One reply, from upstream event to browser bytes, in pipeline order.

translate.py (events in, events out) -> buffer.py (ids, frames, resume,
grace period) -> mirror.py (Redis, across workers) -> response.py (the
browser connection: opener, pings, disconnect, slow readers).
"""
