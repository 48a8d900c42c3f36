"""An imported MLflow pickle is said to be unverified, at import and at load (issue 12 item 4).

MLflow records no digest for a model's files, so once imported the only
digest is the store's: it proves the bytes did not change since the import,
not that anyone checked them. The import summary says so for each pickled
model, and loading one warns before the pickle runs, as loading the same
folder directly does ("no recorded digest ... loaded unverified").
"""

from __future__ import annotations

import json
import pickle
import shutil
import warnings
from pathlib import Path

import pytest

import litetrack
import litetrack.sklearn
from litetrack.cli import main
from litetrack.models.base import ModelVersionWarning

DATA = Path(__file__).parent / "data"
RUN = "a8e73dc1ff5941e8a82dd05aa9a21a0a"  # the mlflow2 fixture's pickled sklearn model


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({self.marker!r}, 'w').write('ran')",))


def _hostile_copy(tmp_path: Path) -> tuple[Path, Path, Path]:
    mlruns = tmp_path / "mlruns"
    shutil.copytree(DATA / "mlflow2" / "mlruns", mlruns, symlinks=True)
    model = next(mlruns.glob(f"*/{RUN}/artifacts/model"))
    marker = tmp_path / "pickle-ran.txt"
    (model / "model.pkl").write_bytes(pickle.dumps(_Evil(marker)))
    return mlruns, model, marker


def test_summary_says_the_pickle_was_never_verified(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlruns, _, _ = _hostile_copy(tmp_path)
    main(["--store", str(store_path), "import-mlflow", str(mlruns)])
    text = capsys.readouterr().out
    assert f"runs:/{RUN}/model: pickle never verified" in text
    assert "trusted because you imported them" in text
    main(["--store", str(tmp_path / "fresh"), "import-mlflow", str(mlruns), "--dry-run", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert f"runs:/{RUN}/model" in summary["models_unverified"]


def test_loading_the_imported_pickle_warns_before_it_runs(
    store_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mlruns, folder, marker = _hostile_copy(tmp_path)
    main(["--store", str(store_path), "import-mlflow", str(mlruns)])
    capsys.readouterr()
    litetrack.set_tracking_uri(str(store_path))
    # Made an error, the warning stops the load before the pickle runs.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        with pytest.raises(ModelVersionWarning, match=r"model\.pkl.*never verified.*imported"):
            litetrack.sklearn.load_model(f"runs:/{RUN}/model")
    assert not marker.exists()
    # As a warning, it is shown and the load goes on (the user imported it).
    with pytest.warns(ModelVersionWarning, match="never verified"):
        litetrack.sklearn.load_model(f"runs:/{RUN}/model", dst_path=None)
    assert marker.exists()

    # The same folder loaded directly warns too.
    marker.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelVersionWarning)
        with pytest.raises(ModelVersionWarning, match="no recorded digest"):
            litetrack.sklearn.load_model(str(folder))
    assert not marker.exists()
