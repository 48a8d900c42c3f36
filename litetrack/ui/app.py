"""The web UI's ASGI application: a JSON API under ``/api`` and the static page.

Built on Starlette (the ``ui`` extra). Reads go through :mod:`litetrack.ui.data`
(the library's public read path); actions call the same :class:`litetrack.Client`
methods a script would, so the registry history records them.

Security, for a server that is local but talks to browsers:

* every response carries a Content-Security-Policy with ``script-src 'self'``
  (no inline script), ``nosniff``, ``frame-ancestors 'none'``;
* the ``Host`` header must be one the server was started for (DNS rebinding);
* with an access token (required for a non-loopback host) every request must
  carry it: ``?token=`` once (then a cookie), or an ``Authorization: Bearer``
  or ``X-Litetrack-Token`` header;
* actions are POSTs with a JSON body and the per-server CSRF token in an
  ``X-CSRF-Token`` header; there are no action routes at all with ``read_only``;
* artifact paths are checked (:func:`litetrack.ui.data.check_artifact_path`)
  and files are served with their content type and a Content-Disposition;
  HTML, SVG and anything not a raster image are attachments, never inline.
"""

from __future__ import annotations

import hmac
import mimetypes
import secrets
import threading
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from litetrack.client import Client
from litetrack.errors import (
    AlreadyExists,
    InvalidArgument,
    InvalidState,
    LitetrackError,
    NotFound,
)
from litetrack.ui import data

STATIC_DIR = Path(str(resources.files("litetrack.ui") / "static"))

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
TOKEN_COOKIE = "litetrack_token"
#: Raster images are the only artifacts ever served inline.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class UIConfig:
    """How one server runs: its store, access token, CSRF token, mode and allowed hosts."""

    def __init__(
        self,
        client: Client,
        read_only: bool = False,
        access_token: str | None = None,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        self.client = client
        self.read_only = read_only
        self.access_token = access_token
        self.csrf_token = secrets.token_urlsafe(32)
        self.lock = threading.Lock()
        self.allowed_hosts = [h.lower() for h in (allowed_hosts or list(LOOPBACK_HOSTS))]


def _same(given: str, secret: str) -> bool:
    """Constant-time comparison; bytes, since compare_digest refuses non-ASCII text."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode("utf-8"))


def _error(status: int, message: str, code: str = "") -> JSONResponse:
    return JSONResponse({"error": message, "error_code": code}, status_code=status)


def error_response(exc: Exception) -> JSONResponse:
    """A litetrack error as JSON with the matching status (400, 404, 409)."""
    code = getattr(exc, "error_code", type(exc).__name__)
    if isinstance(exc, NotFound):
        return _error(404, str(exc), code)
    if isinstance(exc, InvalidArgument):
        return _error(400, str(exc), code)
    if isinstance(exc, (AlreadyExists, InvalidState)):
        return _error(409, str(exc), code)
    return _error(500, str(exc), code)


class SecurityMiddleware:
    """Host check, access token and security headers on every response."""

    def __init__(self, app: ASGIApp, config: UIConfig) -> None:
        self.app = app
        self.config = config

    def _host_allowed(self, request: Request) -> bool:
        host = request.headers.get("host", "").lower()
        if host.startswith("["):
            name = host.split("]")[0] + "]"
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return "*" in self.config.allowed_hosts or name in self.config.allowed_hosts

    def _token_given(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return (
            request.headers.get("x-litetrack-token")
            or request.query_params.get("token")
            or request.cookies.get(TOKEN_COOKIE)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        response: Response | None = None
        set_cookie = False
        if not self._host_allowed(request):
            response = PlainTextResponse("Host not allowed", status_code=400)
        elif self.config.access_token is not None:
            given = self._token_given(request)
            if given is None or not _same(given, self.config.access_token):
                response = PlainTextResponse(
                    "This server needs its access token: open the URL printed at start "
                    "(…/?token=…), or send 'Authorization: Bearer TOKEN'",
                    status_code=401,
                )
            elif request.query_params.get("token"):
                set_cookie = True

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.decode().lower() for k, _ in headers}
                # A response may carry a stricter policy of its own (downloads: sandbox).
                headers += [
                    (k.encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k not in present
                ]
                if set_cookie and self.config.access_token:
                    headers.append(
                        (
                            b"set-cookie",
                            (
                                f"{TOKEN_COOKIE}={self.config.access_token}; "
                                "HttpOnly; SameSite=Strict; Path=/"
                            ).encode(),
                        )
                    )
                message = {**message, "headers": headers}
            await send(message)

        if response is not None:
            await response(scope, receive, send_with_headers)
        else:
            await self.app(scope, receive, send_with_headers)


def _config(request: Request) -> UIConfig:
    config: UIConfig = request.app.state.config
    return config


def _client(request: Request) -> Client:
    return _config(request).client


def _csv(value: str | None) -> list[str]:
    return [x for x in (value or "").split(",") if x]


def _int(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise InvalidArgument(f"Invalid {name} {text!r}: expected an integer") from None


def _locked(request: Request, fn: Any, *args: Any) -> Any:
    # One library call at a time: the store's index connection is shared and
    # its refresh runs transactions, so calls from the thread pool take turns
    # (each is milliseconds with the index) while the event loop stays free.
    with _config(request).lock:
        return fn(*args)


def api(handler: Any) -> Any:
    """Wrap a handler returning JSON-able data: litetrack errors become 4xx JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await run_in_threadpool(_locked, request, handler, request)
        except LitetrackError as e:
            return error_response(e)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    endpoint.__name__ = handler.__name__
    return endpoint


# -- reads ------------------------------------------------------------------------------


def get_config(request: Request) -> dict[str, Any]:
    config = _config(request)
    return {
        "read_only": config.read_only,
        # Only a same-origin page can read this response (no CORS headers).
        "csrf_token": None if config.read_only else config.csrf_token,
        "store": config.client.tracking_uri,
    }


def get_experiments(request: Request) -> Any:
    return data.experiments(
        _client(request), request.query_params.get("q", ""), request.query_params.get("view")
    )


def get_runs(request: Request) -> Any:
    q = request.query_params
    ids = _csv(q.get("experiment_ids")) + _csv(q.get("experiments"))
    return data.runs_page(
        _client(request),
        ids,
        q.get("filter", ""),
        q.getlist("order_by"),
        q.get("page_token"),
        _int(request, "max_results", data.DEFAULT_PAGE),
        q.get("view"),
        q.get("aggregates") == "1",
    )


def get_run(request: Request) -> Any:
    return data.run_detail(_client(request), request.path_params["run_id"])


def get_history(request: Request) -> Any:
    client = _client(request)
    run_id = request.path_params["run_id"]
    key = request.query_params.get("key", "")
    if not key:
        raise InvalidArgument("Pass the metric name as ?key=NAME")
    run = client.get_run(run_id)
    if key not in run.data.metrics:
        raise NotFound(
            f"Run {run_id} has no metric {key!r}; "
            f"it has: {', '.join(sorted(run.data.metrics)) or 'none'}"
        )
    return data.metric_history(client, run_id, key, _int(request, "max_points", data.MAX_POINTS))


def get_artifacts(request: Request) -> Any:
    path = request.query_params.get("path") or None
    if path:
        data.check_artifact_path(path)
    return data.artifacts(_client(request), request.path_params["run_id"], path)


def get_preview(request: Request) -> Any:
    return data.preview(
        _client(request), request.path_params["run_id"], request.query_params.get("path", "")
    )


def get_download(request: Request) -> Response:
    """One artifact's bytes: attachment unless a raster image shown inline."""
    path = request.query_params.get("path", "")
    body, _ = data.read_artifact(_client(request), request.path_params["run_id"], path)
    name = path.rsplit("/", 1)[-1]
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    inline = request.query_params.get("inline") == "1" and ctype in INLINE_TYPES
    if ctype.startswith("text/") or ctype in ("application/json", "image/svg+xml"):
        # Served as plain text so no browser runs it, even when saved and reopened here.
        ctype = "text/plain; charset=utf-8" if ctype != "application/json" else "application/json"
    disposition = "inline" if inline else "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(
        body,
        media_type=ctype,
        headers={
            "content-disposition": (
                f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            ),
            # A downloaded HTML page opened from this origin still runs nothing.
            "content-security-policy": "sandbox; default-src 'none'",
        },
    )


def get_compare(request: Request) -> Any:
    return data.compare(_client(request), _csv(request.query_params.get("runs")))


def get_env(request: Request) -> Any:
    client = _client(request)
    run_id = request.path_params["run_id"]
    client.get_run(run_id)
    other = request.query_params.get("against")
    out = data.environment(client, run_id)
    if other:
        client.get_run(other)
        out["diff"] = data.environment_diff(client, run_id, other)
    return out


def get_source_diff(request: Request) -> Any:
    client = _client(request)
    run_id = request.path_params["run_id"]
    client.get_run(run_id)
    return {"diff": data.source_diff(client, run_id)}


def get_models(request: Request) -> Any:
    return data.models(_client(request), request.query_params.get("q", ""))


def get_model(request: Request) -> Any:
    return data.model(_client(request), request.path_params["name"])


def get_version(request: Request) -> Any:
    p = request.path_params
    return data.model_version(_client(request), p["name"], p["version"])


# -- actions ----------------------------------------------------------------------------


async def _body(request: Request) -> dict[str, Any]:
    """The JSON body of an action, after the CSRF check."""
    config = _config(request)
    given = request.headers.get("x-csrf-token", "")
    if not _same(given, config.csrf_token):
        raise _Refused(
            403, "Missing or wrong CSRF token: actions need the X-CSRF-Token header of this page"
        )
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise _Refused(415, "Actions take a JSON body (Content-Type: application/json)")
    try:
        body = await request.json()
    except ValueError:
        raise InvalidArgument("The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidArgument("The request body must be a JSON object")
    return body


class _Refused(LitetrackError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def action(handler: Any) -> Any:
    """Wrap an action: CSRF + JSON body first, litetrack errors become 4xx JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await _body(request)
            result = await run_in_threadpool(
                _locked, request, handler, _client(request), request.path_params, body
            )
        except _Refused as e:
            return _error(e.status, str(e), "FORBIDDEN")
        except LitetrackError as e:
            return error_response(e)
        return JSONResponse({"ok": True, **(result or {})})

    endpoint.__name__ = handler.__name__
    return endpoint


def _text(body: dict[str, Any], key: str, required: bool = True) -> Any:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"Invalid {key} {value!r}: expected a string")
    return value


def act_stage(client: Client, p: Any, body: dict[str, Any]) -> dict[str, Any]:
    v = client.transition_model_version_stage(
        p["name"],
        p["version"],
        _text(body, "stage"),
        archive_existing_versions=bool(body.get("archive_existing", False)),
        comment=_text(body, "comment", required=False),
    )
    return {"current_stage": v.current_stage}


def act_set_alias(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.set_registered_model_alias(p["name"], _text(body, "alias"), p["version"])


def act_delete_alias(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.delete_registered_model_alias(p["name"], _text(body, "alias"))


def act_model_description(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.update_registered_model(p["name"], _text(body, "description"))


def act_version_description(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.update_model_version(p["name"], p["version"], _text(body, "description"))


def act_model_tag(client: Client, p: Any, body: dict[str, Any]) -> None:
    if body.get("delete"):
        client.delete_registered_model_tag(p["name"], _text(body, "key"))
    else:
        client.set_registered_model_tag(p["name"], _text(body, "key"), _text(body, "value"))


def act_version_tag(client: Client, p: Any, body: dict[str, Any]) -> None:
    if body.get("delete"):
        client.delete_model_version_tag(p["name"], p["version"], _text(body, "key"))
    else:
        client.set_model_version_tag(
            p["name"], p["version"], _text(body, "key"), _text(body, "value")
        )


def act_run_tag(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.get_run(p["run_id"])
    if body.get("delete"):
        client.delete_tag(p["run_id"], _text(body, "key"))
    else:
        client.set_tag(p["run_id"], _text(body, "key"), _text(body, "value"))


def act_run_description(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.get_run(p["run_id"])
    client.set_tag(p["run_id"], "mlflow.note.content", _text(body, "description"))


def act_delete_run(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.delete_run(p["run_id"])


def act_restore_run(client: Client, p: Any, body: dict[str, Any]) -> None:
    client.restore_run(p["run_id"])


ACTIONS = [
    ("/api/models/{name}/versions/{version}/stage", act_stage),
    ("/api/models/{name}/versions/{version}/alias", act_set_alias),
    ("/api/models/{name}/versions/{version}/description", act_version_description),
    ("/api/models/{name}/versions/{version}/tag", act_version_tag),
    ("/api/models/{name}/alias/delete", act_delete_alias),
    ("/api/models/{name}/description", act_model_description),
    ("/api/models/{name}/tag", act_model_tag),
    ("/api/runs/{run_id}/tag", act_run_tag),
    ("/api/runs/{run_id}/description", act_run_description),
    ("/api/runs/{run_id}/delete", act_delete_run),
    ("/api/runs/{run_id}/restore", act_restore_run),
]


async def index(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={"cache-control": "no-store"},
    )


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


async def read_only_refusal(request: Request) -> Response:
    return _error(403, "This server is read-only (--read-only): actions are disabled", "READ_ONLY")


async def api_not_found(request: Request) -> Response:
    return _error(404, f"No API endpoint {request.url.path} for {request.method}", "NOT_FOUND")


def create_app(
    store: str | None = None,
    *,
    read_only: bool = False,
    access_token: str | None = None,
    allowed_hosts: list[str] | None = None,
    client: Client | None = None,
) -> Starlette:
    """The UI application for ``store`` (a path; the default store when None).

    ``access_token`` (when set) is required on every request; ``allowed_hosts``
    lists the Host header names accepted (loopback names by default, ``"*"``
    for any). With ``read_only`` no action route exists.
    """
    config = UIConfig(client or Client(store), read_only, access_token, allowed_hosts)
    routes: list[Any] = [
        Route("/", index),
        Route("/favicon.ico", favicon),
        Route("/api/config", api(get_config)),
        Route("/api/experiments", api(get_experiments)),
        Route("/api/runs", api(get_runs)),
        Route("/api/compare", api(get_compare)),
        Route("/api/runs/{run_id}", api(get_run)),
        Route("/api/runs/{run_id}/metric-history", api(get_history)),
        Route("/api/runs/{run_id}/artifacts", api(get_artifacts)),
        Route("/api/runs/{run_id}/artifact-preview", api(get_preview)),
        Route("/api/runs/{run_id}/artifact", api(get_download)),
        Route("/api/runs/{run_id}/environment", api(get_env)),
        Route("/api/runs/{run_id}/source-diff", api(get_source_diff)),
        Route("/api/models", api(get_models)),
        Route("/api/models/{name}", api(get_model)),
        Route("/api/models/{name}/versions/{version}", api(get_version)),
    ]
    if read_only:
        routes += [Route(path, read_only_refusal, methods=["POST"]) for path, _ in ACTIONS]
    else:
        routes += [Route(path, action(fn), methods=["POST"]) for path, fn in ACTIONS]
    routes += [
        Route("/api/{rest:path}", api_not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/{rest:path}", lambda r: RedirectResponse("/")),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityMiddleware, config=config)])
    app.state.config = config
    return app
