"""Scoring Spark DataFrames with any litetrack model: :func:`spark_udf`.

The model folder reaches the executors through Spark itself
(``SparkContext.addFile``), never through a filesystem assumed to be shared
with the driver. Each executor Python process loads the model once and keeps
it for every later batch and task (Spark reuses its Python workers), so the
cost of loading is paid per process, not per batch.

Exposed as ``litetrack.pyfunc.spark_udf`` (MLflow's name).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import typing
from pathlib import Path
from typing import Any

from litetrack import settings
from litetrack.errors import InvalidArgument
from litetrack.models.model import Model
from litetrack.models.uri import resolve_model
from litetrack.pyfunc import load_model

__all__ = ["spark_udf"]

#: Models loaded in this (executor) process, by shipped folder name.
_LOADED: dict[str, Any] = {}
#: Set to a file path to record each model load (pid and key): tests use it to
#: check that a worker process loads a model once.


def _load(key: str) -> Any:
    model = _LOADED.get(key)
    if model is None:
        from pyspark import SparkFiles


        model = _LOADED[key] = load_model(SparkFiles.get(key))
        log = settings.spark_load_log()
        if log:
            with open(log, "a") as f:
                f.write(f"{os.getpid()} {key}\n")
    return model


def _frame(batch: tuple[Any, ...], names: list[str] | None) -> Any:
    """One pandas DataFrame from the UDF's arguments (columns, or one struct column)."""
    import pandas as pd

    if len(batch) == 1 and isinstance(batch[0], pd.DataFrame):
        return batch[0]  # udf(struct(...)): the struct's field names are the columns
    frame = pd.concat([s.reset_index(drop=True) for s in batch], axis=1)
    if names is not None and len(names) == len(batch):
        frame.columns = names
    else:
        frame.columns = list(range(len(batch)))
    return frame


def _model_feature_names(path: Path) -> list[str] | None:
    """The feature names the model was trained with (xgboost, scikit-learn), if it kept them."""
    try:
        raw = load_model(str(path)).get_raw_model()
    except Exception:  # noqa: BLE001 - no names to offer: columns stay positional
        return None
    found = getattr(raw, "feature_names", None)  # xgboost.Booster
    if found is None:
        found = getattr(raw, "feature_names_in_", None)  # fitted scikit-learn estimators
    return [str(n) for n in found] if found is not None else None


def _series(predictions: Any, n: int, array_result: bool) -> Any:
    """The predictions as one pandas Series of length ``n``."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        if array_result:
            return pd.Series(list(predictions.to_numpy()))
        predictions = predictions.iloc[:, 0]
    if isinstance(predictions, pd.Series):
        return predictions.reset_index(drop=True)
    arr = np.asarray(predictions)
    if arr.ndim == 2:
        if array_result:
            return pd.Series(list(arr))
        arr = arr[:, 0]
    if len(arr) != n:
        raise InvalidArgument(f"The model returned {len(arr)} predictions for a batch of {n} rows")
    return pd.Series(arr)


#: The one staging folder of this process (created on first use, removed at
#: exit) and the model copies in it, by content key: Spark serves a file
#: given to ``addFile`` from its original path for the whole life of the
#: context, so a copy cannot go before the process does; keyed by content,
#: a model scored again is neither copied nor registered twice.
_staging: Path | None = None
_SHIPPED: dict[str, Path] = {}


def _staging_dir() -> Path:
    global _staging
    if _staging is None or not _staging.is_dir():
        _staging = Path(tempfile.mkdtemp(prefix="litetrack-spark-"))
        _SHIPPED.clear()
        atexit.register(shutil.rmtree, str(_staging), ignore_errors=True)
    return _staging


def _ship(folder: Path, uri: str) -> tuple[str, Path]:
    """A copy of the model folder under a name unique to its content, for addFile.

    Copied once per process and content; removed when the process exits.
    """
    h = hashlib.sha256(uri.encode())
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}".encode())
    key = f"litetrack-model-{h.hexdigest()[:16]}"
    staging = _staging_dir()
    target = _SHIPPED.get(key)
    if target is None or not target.is_dir():
        target = staging / key
        tmp = staging / f".{key}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(folder, tmp)
        os.replace(tmp, target)
        _SHIPPED[key] = target
    return key, target


def spark_udf(
    spark: Any,
    model_uri: str,
    result_type: Any = "double",
    env_manager: str | None = "local",
    params: dict[str, Any] | None = None,
) -> Any:
    """A Spark pandas UDF that scores rows with the model at ``model_uri``.

    Any URI the loaders accept works (``runs:/``, ``models:/NAME/Production``,
    ``models:/NAME@alias``, a folder). Call it on columns
    (``df.withColumn("pred", udf("a", "b"))``; named after the model's input
    signature when it has one, else after the columns passed, or for
    expressions after the model's feature names, else numbered) or on one struct column
    (``udf(struct("a", "b"))``; the field names become the columns).
    ``result_type`` is a Spark type or DDL string (``"double"``,
    ``"array<double>"`` ...). Only ``env_manager="local"`` is supported: the
    executors use the driver's Python environment (restore a model's own
    environment with ``python -m litetrack env restore``).
    """
    if env_manager not in (None, "local"):
        raise InvalidArgument(
            f"Unsupported env_manager {env_manager!r}: litetrack scores with the current "
            "environment only ('local'); use `python -m litetrack env restore MODEL_URI --venv DIR` "
            "and run Spark from that environment instead"
        )
    from pyspark.sql.functions import pandas_udf
    from pyspark.sql.types import ArrayType, DataType, _parse_datatype_string


    resolved = resolve_model(model_uri)
    meta = Model.load(resolved.path)
    schema = meta.get_input_schema()
    names = None
    if schema is not None:
        try:
            names = list(schema.input_names())
        except Exception:  # noqa: BLE001 - unnamed (tensor) schemas: positional columns
            names = None
    key, shipped = _ship(resolved.path, str(model_uri))
    spark.sparkContext.addFile(str(shipped), recursive=True)
    spark_type = result_type if isinstance(result_type, DataType) else _parse_datatype_string(result_type)
    array_result = isinstance(spark_type, ArrayType)
    import pandas as pd

    def make(columns: list[str] | None) -> Any:
        def predict(iterator):  # type: ignore[no-untyped-def]
            model = _load(key)
            for batch in iterator:
                if not isinstance(batch, tuple):
                    batch = (batch,)
                frame = _frame(batch, columns)
                out = model.predict(frame, params=params) if params else model.predict(frame)
                yield _series(out, len(frame), array_result)

        # Real objects, not strings: pyspark reads these hints to pick the UDF kind
        # (an iterator of batches, each a tuple of Series or a struct DataFrame).
        # It only understands typing.Tuple / typing.Union here, not the PEP 585 /
        # 604 spellings, hence the noqa.
        predict.__annotations__ = {
            "iterator": typing.Iterator[typing.Tuple[typing.Union[pd.Series, pd.DataFrame], ...]],  # noqa: UP006, UP007
            "return": typing.Iterator[pd.Series],
        }
        return pandas_udf(predict, returnType=spark_type)  # type: ignore[call-overload]

    default = make(names)
    feature_names: list[list[str] | None] = []

    def udf(*cols: Any) -> Any:
        # Without a signature the columns passed name the pandas columns
        # (MLflow numbers them, and a booster trained on named columns then
        # refuses the frame); for expressions, the model's own feature names.
        if names is not None or not cols:
            return default(*cols)
        if all(isinstance(c, str) for c in cols):
            return make(list(cols))(*cols)
        if not feature_names:
            feature_names.append(_model_feature_names(resolved.path))
        known = feature_names[0]
        return make(known if known and len(known) == len(cols) else None)(*cols)

    udf.returnType = spark_type  # type: ignore[attr-defined]  # as a pandas_udf has
    udf.func = default.func  # type: ignore[attr-defined]
    udf.evalType = default.evalType  # type: ignore[attr-defined]
    return udf
