"""The system tag keys (MLflow's ``mlflow.utils.mlflow_tags``): the same keys, the same meaning.

Code written against MLflow compares and filters on these constants
(``tags.{MLFLOW_PARENT_RUN_ID} = '...'``); litetrack writes the same keys.
"""

MLFLOW_RUN_NAME = "mlflow.runName"
MLFLOW_RUN_NOTE = "mlflow.note.content"
MLFLOW_PARENT_RUN_ID = "mlflow.parentRunId"
MLFLOW_USER = "mlflow.user"
MLFLOW_SOURCE_TYPE = "mlflow.source.type"
MLFLOW_SOURCE_NAME = "mlflow.source.name"
MLFLOW_GIT_COMMIT = "mlflow.source.git.commit"
MLFLOW_GIT_BRANCH = "mlflow.source.git.branch"
MLFLOW_GIT_REPO_URL = "mlflow.source.git.repoURL"
MLFLOW_LOGGED_MODELS = "mlflow.log-model.history"
MLFLOW_PROJECT_ENV = "mlflow.project.env"
MLFLOW_PROJECT_ENTRY_POINT = "mlflow.project.entryPoint"
MLFLOW_AUTOLOGGING = "mlflow.autologging"
MLFLOW_LOGGED_ARTIFACTS = "mlflow.loggedArtifacts"
MLFLOW_DATASET_CONTEXT = "mlflow.data.context"

__all__ = [
    "MLFLOW_AUTOLOGGING",
    "MLFLOW_DATASET_CONTEXT",
    "MLFLOW_GIT_BRANCH",
    "MLFLOW_GIT_COMMIT",
    "MLFLOW_GIT_REPO_URL",
    "MLFLOW_LOGGED_ARTIFACTS",
    "MLFLOW_LOGGED_MODELS",
    "MLFLOW_PARENT_RUN_ID",
    "MLFLOW_PROJECT_ENTRY_POINT",
    "MLFLOW_PROJECT_ENV",
    "MLFLOW_RUN_NAME",
    "MLFLOW_RUN_NOTE",
    "MLFLOW_SOURCE_NAME",
    "MLFLOW_SOURCE_TYPE",
    "MLFLOW_USER",
]
