"""granian's RSGI interface for vivace apps: the compiled plans served without an ASGI server in between.

`entry.py` is the application granian calls; `scope.py`, `http.py` and `websocket.py` present RSGI's scope and
protocol objects as the ASGI scope, `receive` and `send` the plans already use; `lifespan.py` runs the app's
lifespan on granian's loop. See docs/guide/granian.md.
"""

from vivace._rsgi.entry import RSGIEntry, rsgi_entry

__all__ = ["RSGIEntry", "rsgi_entry"]
