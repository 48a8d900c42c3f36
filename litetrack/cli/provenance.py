"""The ``show`` sections for a run's captured source and environment.

Registered in :data:`litetrack.cli.runs.SHOW_SECTIONS` / ``SHOW_RENDERERS``;
the summaries come from the run document (see :mod:`litetrack.capture`), so
showing them reads no blob.
"""

from __future__ import annotations

from typing import Any

from litetrack.cli.table import format_size


def show_section(client: Any, run_id: str, doc: dict[str, Any]) -> dict[str, Any]:
    """``source`` and ``environment`` summaries for ``show --json`` (None when not captured)."""
    return {"source": doc.get("source"), "environment": doc.get("environment")}


def _blob(digest: str | None, size: int | None) -> str:
    return f"{format_size(size)}, blob {digest[:12]}" if digest else ""


def render(d: dict[str, Any]) -> list[str]:
    """Text lines for the source and environment summaries of ``show``."""
    lines: list[str] = []
    src = d.get("source")
    if src:
        lines.append("Source")
        lines.append(f"  entry point  {src.get('entry_point')}  ({src.get('type')})")
        if src.get("script_digest"):
            lines.append(f"  script       {_blob(src['script_digest'], src.get('script_size'))}")
        if src.get("git_commit"):
            state = "dirty" if src.get("git_dirty") else "clean"
            lines.append(
                f"  git          {src['git_commit'][:12]} on "
                f"{src.get('git_branch') or 'detached HEAD'}, {state}"
            )
            if src.get("diff_digest"):
                lines.append(f"  diff         {_blob(src['diff_digest'], src.get('diff_size'))}")
            if src.get("git_repo_url"):
                lines.append(f"  repository   {src['git_repo_url']}")
        elif src.get("git_root"):
            lines.append(f"  git          {src['git_root']} (no commit yet)")
    env = d.get("environment")
    if env:
        lines.append("Environment")
        lines.append(
            f"  python       {env.get('python')} ({env.get('implementation')}) "
            f"on {env.get('platform')}"
        )
        lines.append(
            f"  packages     {env.get('packages')} installed "
            f"({_blob(env.get('digest'), env.get('size'))}); `env diff RUN` compares"
        )
    return lines
