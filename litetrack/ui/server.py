"""Run the UI app with uvicorn: loopback by default, a token for any other host."""

from __future__ import annotations

import ipaddress
import secrets
import threading
import webbrowser
from typing import Any

from litetrack import settings
from litetrack.errors import InvalidArgument

#: Environment variable holding the access token for a non-loopback host.
TOKEN_ENV = settings.UI_TOKEN


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def access_token_for(host: str) -> str | None:
    """None on loopback; otherwise LITETRACK_UI_TOKEN or a fresh random token."""
    if is_loopback(host):
        return None
    token = settings.ui_token()
    if token is not None and len(token) < 16:
        raise InvalidArgument(
            f"{TOKEN_ENV} is too short ({len(token)} characters): use at least 16"
        )
    return token or secrets.token_urlsafe(24)


def build_server(
    store: str | None,
    host: str = "127.0.0.1",
    port: int = 5000,
    read_only: bool = False,
    log_level: str = "warning",
) -> tuple[Any, str | None]:
    """A uvicorn ``Server`` for the UI (not started) and the access token it needs (or None)."""
    import uvicorn

    from litetrack.ui.app import LOOPBACK_HOSTS, create_app

    token = access_token_for(host)
    # A non-loopback bind is reached under names we cannot know: the token guards it.
    allowed = list(LOOPBACK_HOSTS) if token is None else ["*"]
    app = create_app(store, read_only=read_only, access_token=token, allowed_hosts=allowed)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False)
    return uvicorn.Server(config), token


def url_of(server: Any, host: str, token: str | None) -> str:
    """The URL to open once ``server`` has started (its real port when 0 was asked)."""
    port = server.config.port
    if server.started and server.servers:
        port = server.servers[0].sockets[0].getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(
    store: str | None,
    host: str = "127.0.0.1",
    port: int = 5000,
    read_only: bool = False,
    open_browser: bool = True,
) -> None:
    """Serve the UI until interrupted; print the URL (with the token when one is needed)."""
    server, token = build_server(store, host, port, read_only)

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.02)
        if server.should_exit:
            return
        url = url_of(server, host, token)
        print(f"litetrack UI on {url}" + ("  (read-only)" if read_only else ""), flush=True)
        if token:
            print(
                f"access token: {token}  (every request needs it; set {TOKEN_ENV} to choose it)",
                flush=True,
            )
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
