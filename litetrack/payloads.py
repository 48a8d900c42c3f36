"""What ``log_text``, ``log_dict`` and ``log_figure`` turn into bytes (fluent and client alike).

Plain functions under the client and the fluent API, so that both write the
same bytes, each through its own store.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any

from litetrack import clock, yamlfmt
from litetrack.errors import InvalidArgument, UnsupportedObjectType
from litetrack.store import artifacts as _store_artifacts
from litetrack.store.paths import validate_artifact_path

__all__ = ["dict_to_text", "figure_bytes", "image_bytes", "image_key_path", "store_image", "store_table", "table_text", "text_bytes"]


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
            raise UnsupportedObjectType(
                f"Unsupported figure object type: {type(figure).__name__}; log_figure takes "
                "a matplotlib or plotly figure"
            )
        with open(out, "rb") as f:
            return f.read()


def table_text(data: Any, existing: str | None = None) -> str:
    """``log_table``'s JSON: a dict of columns or a DataFrame, in pandas' ``split`` layout.

    ``existing`` is the JSON already at that path: the new rows are appended
    to it, as MLflow does.
    """
    import pandas as pd  # log_table needs pandas, as in MLflow

    if isinstance(data, dict):
        frame = pd.DataFrame(data)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise InvalidArgument(
            f"log_table needs a dict of columns or a pandas DataFrame, got {type(data).__name__}"
        )
    if existing is not None:
        import io

        old = pd.read_json(io.StringIO(existing), orient="split")
        frame = pd.concat([old, frame], ignore_index=True)
    return str(frame.to_json(orient="split", index=False, date_format="iso"))


def _unsupported_image(image: Any) -> UnsupportedObjectType:
    return UnsupportedObjectType(
        f"Unsupported image object type: {type(image).__name__}; log_image takes a "
        "numpy array (or nested lists) or a PIL image"
    )


def image_bytes(image: Any, artifact_file: str) -> bytes:
    """Encode a numpy array or a PIL image for ``log_image`` (format from the extension)."""
    import io

    # MLflow's checks and words: the kind of object (TypeError), the shape, the channels
    # (ValueError), the pixel type (TypeError). The kind is checked first, by the type's
    # module, so that a wrong object gets the TypeError with or without Pillow installed.
    if not isinstance(image, (list, tuple)) and type(image).__module__.partition(".")[0] not in (
        "numpy",
        "PIL",
    ):
        raise _unsupported_image(image)
    try:
        from PIL import Image
    except ImportError:
        raise InvalidArgument("log_image needs Pillow: pip install pillow") from None
    if not isinstance(image, Image.Image):
        import numpy as np

        if not isinstance(image, (np.ndarray, list, tuple)):
            raise _unsupported_image(image)
        array = np.asarray(image)
        if array.ndim not in (2, 3):
            raise InvalidArgument(
                f"`image` must be a 2D or 3D array but got a {array.ndim}D array of shape "
                f"{array.shape}: log_image takes (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)"
            )
        if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
            raise InvalidArgument(
                f"Invalid channel length: {array.shape[2]} (shape {array.shape}); it must be "
                "one of [1, 3, 4]"
            )
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.dtype.kind == "f":
            # MLflow 3.17's rule: floats are in [0, 1] and scaled to bytes; outside that,
            # a warning and min-max scaling (a constant image is clipped instead: min-max
            # would divide by zero).
            if array.size and (array.min() < 0 or array.max() > 1):
                low, high = array.min(), array.max()
                warnings.warn(
                    "Float pixel values out of acceptable range [0.0, 1.0]. Found minimum "
                    f"value {low} and maximum value {high}. Rescaling values to [0.0, 1.0] "
                    "with min/max scaler.",
                    stacklevel=4,
                )
                array = (array - low) / (high - low) if high > low else np.clip(array, 0, 1)
            array = (array * 255).round().astype("uint8")
        elif array.dtype.kind in "iub":
            if array.size and (array.min() < 0 or array.max() > 255):
                raise InvalidArgument(
                    "Integer pixel values out of acceptable range [0, 255]. Found minimum "
                    f"value {array.min()} and maximum value {array.max()} (dtype {array.dtype})."
                )
            array = array.astype("uint8")
        else:
            raise UnsupportedObjectType(
                f"Invalid array data type: {array.dtype}; log_image takes integers in "
                "[0, 255], floats in [0, 1] or booleans"
            )
        image = Image.fromarray(array)
    ext = os.path.splitext(artifact_file)[1].lower().lstrip(".") or "png"
    fmt = {"jpg": "JPEG"}.get(ext, ext.upper())
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def image_key_path(key: str, step: int, timestamp: int) -> str:
    """Where ``log_image(image, key=..., step=...)`` stores an image, named as MLflow names it."""
    import uuid

    safe = key.replace("/", "#")
    return f"images/{safe}%step%{step}%timestamp%{timestamp}%{uuid.uuid4()}.png"


def store_table(store: Any, run_id: str, data: Any, artifact_file: str) -> None:
    """``log_table`` for one store and run (the client and the fluent API share it)."""
    if not artifact_file.endswith(".json"):
        raise InvalidArgument(f"log_table writes JSON: artifact_file must end in .json, not {artifact_file!r}")
    path = validate_artifact_path(artifact_file)
    existing = None
    if path in _store_artifacts.manifest(store, run_id):
        existing = _store_artifacts.read_bytes(store, run_id, path).decode("utf-8")
    text = table_text(data, existing)
    _store_artifacts.log_bytes(store, run_id, text_bytes(text), path)
    run = store.runs.read(run_id)
    logged = json.loads((run.get("tags") or {}).get("mlflow.loggedArtifacts", "[]"))
    if {"path": path, "type": "table"} not in logged:
        logged.append({"path": path, "type": "table"})
        store.runs.writer(run_id).set_tags({"mlflow.loggedArtifacts": json.dumps(logged)})


def store_image(
    store: Any,
    run_id: str,
    image: Any,
    artifact_file: str | None,
    key: str | None,
    step: int | None,
    timestamp: int | None,
) -> None:
    """``log_image`` for one store and run (the client and the fluent API share it)."""
    if (artifact_file is None) == (key is None):
        raise InvalidArgument("log_image needs exactly one of artifact_file or key")
    if key is not None:

        from litetrack.validation import validate_key

        artifact_file = image_key_path(
            validate_key(key, "image key"), step or 0,
            timestamp if timestamp is not None else clock.now_ms(),
        )
    assert artifact_file is not None
    data = image_bytes(image, artifact_file)
    _store_artifacts.log_bytes(store, run_id, data, artifact_file)
