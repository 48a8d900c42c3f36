"""A small store made by real litetrack calls, shared by the web UI tests."""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Any

XSS_NAME = "<img src=x onerror=alert(1)>"
PNG_1X1 = (  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
    "hQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _doubler() -> Any:
    from litetrack.pyfunc import PythonModel

    class Doubler(PythonModel):  # type: ignore[misc]
        """Predict doubles column ``x``."""

        def predict(self, context: Any, model_input: Any) -> Any:
            return model_input["x"] * 2

    return Doubler()


def make_store(path: Path) -> dict[str, Any]:
    """Create experiment "taxi" with 6 runs (one XSS name), artifacts and a registered model.

    Returns the run ids by name and the model name.
    """
    import litetrack
    from litetrack import pyfunc

    litetrack.set_tracking_uri(str(path))
    litetrack.set_experiment("taxi")
    ids: dict[str, str] = {}
    for i in range(6):
        name = XSS_NAME if i == 5 else f"run-{i}"
        with litetrack.start_run(run_name=name) as run:
            litetrack.log_params({"max_depth": i + 2, "lr": round(0.1 * (i + 1), 2)})
            for step in range(20):
                litetrack.log_metric("rmse", 10 / (step + 1) + i * 0.5, step=step)
            litetrack.log_metric("mae", 3.0 + i)
            litetrack.set_tag("team", "core" if i % 2 else "data")
            if i == 0:
                litetrack.log_text("hello\nworld\n", "notes/readme.txt")
                litetrack.log_dict({"a": 1, "b": [1, 2]}, "config.json")
                litetrack.log_text("x,y\n1,2\n3,4\n", "data/sample.csv")
                litetrack.log_text("<script>alert(1)</script>", "page.html")
                png = path.parent / "dot.png"
                png.write_bytes(base64.b64decode(PNG_1X1))
                litetrack.log_artifact(str(png), "images")
                litetrack.log_text(
                    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                    "pic.svg",
                )
                pyfunc.log_model(
                    "model", python_model=_doubler(), registered_model_name="taxi-model"
                )
            if i == 1:
                pyfunc.log_model(
                    "model", python_model=_doubler(), registered_model_name="taxi-model"
                )
        ids[name] = run.info.run_id
    litetrack.set_experiment("other")
    with litetrack.start_run(run_name="lonely"):
        litetrack.log_metric("acc", math.pi)
    return {"ids": ids, "model": "taxi-model", "experiment": "taxi"}
