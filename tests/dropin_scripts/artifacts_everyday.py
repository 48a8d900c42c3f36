# Everyday artifact logging (MLflow docs: "Logging artifacts", mlflow.log_dict / log_text /
# log_figure / log_image / log_artifacts, mlflow.artifacts.*), then reading them back.
import os
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import numpy as np
from mlflow import MlflowClient

with mlflow.start_run() as run:
    mlflow.log_dict({"features": ["a", "b"], "n": 2}, "config/features.json")
    mlflow.log_dict({"model": {"depth": 3}}, "config/params.yaml")
    mlflow.log_text("hello, world\n", "notes/readme.txt")
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [2, 1, 0])
    mlflow.log_figure(fig, "plots/curve.png")
    plt.close(fig)
    image = np.zeros((8, 8, 3), dtype=np.uint8)
    image[:, :4] = 255
    mlflow.log_image(image, "images/half.png")
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "sub"))
        for name, text in [("a.txt", "A"), ("sub/b.txt", "BB")]:
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        mlflow.log_artifacts(tmp, artifact_path="bundle")
        mlflow.log_artifact(os.path.join(tmp, "a.txt"))
    print("artifact uri ends with artifacts:", mlflow.get_artifact_uri().rstrip("/").endswith("artifacts") or mlflow.get_artifact_uri().startswith("runs:/"))

run_id = run.info.run_id
client = MlflowClient()
top = client.list_artifacts(run_id)
print("top:", [(f.path, f.is_dir) for f in top])
bundle = client.list_artifacts(run_id, "bundle")
print("bundle:", [(f.path, f.is_dir, f.file_size) for f in bundle])
print("config:", [(f.path, f.file_size) for f in client.list_artifacts(run_id, "config")])
print("listed via module:", [f.path for f in mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path="notes")])

print("json back:", mlflow.artifacts.load_dict(f"runs:/{run_id}/config/features.json"))
print("yaml back:", repr(mlflow.artifacts.load_text(f"runs:/{run_id}/config/params.yaml")))
print("text back:", repr(mlflow.artifacts.load_text(f"runs:/{run_id}/notes/readme.txt")))
img = mlflow.artifacts.load_image(f"runs:/{run_id}/images/half.png")
print("image back:", img.size, img.mode)

with tempfile.TemporaryDirectory() as dst:
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="bundle", dst_path=dst)
    files = sorted(os.path.relpath(os.path.join(d, f), local) for d, _, fs in os.walk(local) for f in fs)
    print("downloaded bundle:", os.path.basename(local.rstrip(os.sep)), files)
    one = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{run_id}/bundle/sub/b.txt", dst_path=dst)
    print("one file:", os.path.basename(one), open(one).read())
    via_client = client.download_artifacts(run_id, "notes", dst)
    print("client download:", sorted(os.listdir(via_client)))
    png = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="plots/curve.png")
    with open(png, "rb") as f:
        print("figure is a png:", f.read(8) == b"\x89PNG\r\n\x1a\n")
print("OK")
