"""Development tools: `repchat bench`, `repchat soak`, the thread server, the process helpers.

No product module imports this package (tests/test_boundaries.py checks it):
only the CLI does, inside the commands that need it.
"""
