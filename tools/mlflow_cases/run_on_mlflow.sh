#!/bin/sh
# Run litetrack's ports of MLflow's own test cases on MLflow itself, to show that the
# expectations are MLflow's (the ports run on litetrack in the ordinary test suite).
#
#   tools/mlflow_cases/run_on_mlflow.sh /path/to/mlflow-venv/bin/python [test files...]
#
# The python must have mlflow and pytest importable (PYTHONPATH may add pytest). The test
# files default to tests/test_mlflow_cases_*.py; the litetrack imports are switched to
# mlflow's in a temporary folder. Known differences are listed in each file's docstring.
set -eu
PY=${1:?usage: run_on_mlflow.sh PYTHON [TEST_FILE...]}
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
[ $# -gt 0 ] || set -- "$ROOT"/tests/test_mlflow_cases_*.py
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$HERE/mlflow_conftest.py" "$WORK/conftest.py"
for f in "$@"; do
  sed -e 's/^import litetrack as mlflow/import mlflow/' \
      -e 's/^from litetrack import MlflowClient/from mlflow import MlflowClient/' \
      -e 's/from litetrack\.entities import ModelVersion, RegisteredModel/from mlflow.entities.model_registry import ModelVersion, RegisteredModel/' \
      -e 's/from litetrack\.entities/from mlflow.entities/' \
      -e 's/from litetrack\.errors import MlflowException/from mlflow.exceptions import MlflowException/' \
      -e 's/from litetrack\.fluent/from mlflow.tracking.fluent/' \
      -e 's/from litetrack\.utils/from mlflow.utils/' \
      -e 's/litetrack\./mlflow./g' "$f" > "$WORK/$(basename "$f")"
done
cd "$WORK" && "$PY" -m pytest -q -p no:cacheprovider .
