"""What ``log_text``, ``log_dict`` and ``log_figure`` turn into bytes (fluent and client alike).

Plain functions under the client and the fluent API, so that both write the
same bytes, each through its own store.
"""

from __future__ import annotations

import json
import os
from typing import Any

from litetrack import yamlfmt
from litetrack.errors import InvalidArgument

__all__ = ["dict_to_text", "figure_bytes", "text_bytes"]


def text_bytes(text: Any) -> bytes:
    """``text`` as UTF-8; :class:`InvalidArgument` when it is not a ``str``."""
    if not isinstance(text, str):
        raise InvalidArgument(f"log_text needs a str, got {type(text).__name__}")
    return text.encode("utf-8")


def dict_to_text(dictionary: Any, artifact_file: str) -> str:
    """Serialise for ``log_dict``: YAML for .yaml/.yml (as MLflow writes it), else JSON."""
    if artifact_file.endswith((".yaml", ".yml")):
        return yamlfmt.dump(dictionary)
    return json.dumps(dictionary, indent=2)


def figure_bytes(figure: Any, artifact_file: str, save_kwargs: dict[str, Any] | None = None) -> bytes:
    """Render a matplotlib figure (or a plotly one, to .html) for ``log_figure``."""
    import tempfile  # only here: keeps it off `import litetrack` (~3 ms)

    ext = os.path.splitext(artifact_file)[1].lower()
    module = type(figure).__module__
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, f"figure{ext or '.png'}")
        if module.startswith("matplotlib"):
            figure.savefig(out, **(save_kwargs or {}))
        elif module.startswith("plotly"):
            if ext == ".html":
                figure.write_html(out, **(save_kwargs or {}))
            else:
                figure.write_image(out, **(save_kwargs or {}))
        else:
            raise InvalidArgument(
                f"log_figure needs a matplotlib or plotly figure, got {type(figure).__name__}"
            )
        with open(out, "rb") as f:
            return f.read()
