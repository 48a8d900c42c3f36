# The generic autolog from MLflow's "Automatic Logging" docs.
import mlflow
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor
from sklearn.model_selection import train_test_split

mlflow.autolog()

db = load_diabetes()
X_train, X_test, y_train, y_test = train_test_split(db.data, db.target, random_state=0)

rf = RandomForestRegressor(n_estimators=20, max_depth=6, max_features=3)
rf.fit(X_train, y_train)

# Use the model to make predictions on the test dataset.
predictions = rf.predict(X_test)
autolog_run = mlflow.last_active_run()
print(autolog_run.info.run_id)

run = mlflow.get_run(autolog_run.info.run_id)
assert run.data.params["n_estimators"] == "20"
assert "training_r2_score" in run.data.metrics
model = mlflow.pyfunc.load_model(f"runs:/{autolog_run.info.run_id}/model")
assert len(model.predict(X_test)) == len(X_test)
mlflow.autolog(disable=True)
print("OK")
