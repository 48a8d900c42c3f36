"""The local web UI (``python -m litetrack ui``) and the offline report (``report``).

Needs the ``ui`` extra (Starlette and uvicorn) to serve; ``import litetrack``
never imports this package. :func:`litetrack.ui.app.create_app` builds the
ASGI app, :func:`litetrack.ui.server.serve` runs it, and
:func:`litetrack.ui.report.write_report` writes the self-contained HTML file.
"""
