"""Model registry API: versions, stages, aliases, URIs, search, history, bad input."""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import pytest

import litetrack
from litetrack import Client
from litetrack.errors import (
    AlreadyExists,
    ArtifactNotFound,
    CorruptDocument,
    FilterSyntaxError,
    InvalidArgument,
    LitetrackError,
    ModelNotFound,
    ModelVersionNotFound,
    RegisteredModelNotFound,
    RunNotFound,
    UnsupportedURI,
)
from litetrack.registry import (
    parse_model_uri,
    referenced_digests,
    register_model,
    resolve_model_uri,
)
from litetrack.store.artifacts import materialize


def _model_run(weights: str = "w", metrics: dict | None = None) -> str:
    """A finished run with a tiny model folder under model/."""
    with litetrack.start_run() as run:
        if metrics:
            litetrack.log_metrics(metrics)
        litetrack.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
        litetrack.log_text(weights, "model/model.bin")
        litetrack.log_text("not part of the model", "notes.txt")
    return run.info.run_id


def _registry_dir(store_path: Path) -> Path:
    return store_path / "registry"


def _model_json(store_path: Path, name: str) -> Path:
    from litetrack.store.registry.store import model_key

    return _registry_dir(store_path) / model_key(name) / "model.json"


# -- registering ------------------------------------------------------------------------


def test_register_model_creates_versions_pinning_the_files(store_path: Path) -> None:
    rid = _model_run("weights-1")
    mv = litetrack.register_model(f"runs:/{rid}/model", "taxi")
    assert (mv.name, mv.version, mv.current_stage, mv.run_id) == ("taxi", 1, "None", rid)
    assert mv.source == f"runs:/{rid}/model"
    assert mv.status == "READY" and mv.aliases == [] and mv.tags == {}
    assert isinstance(mv.creation_timestamp, int) and mv.user_id
    mv2 = register_model(f"runs:/{rid}/model", "taxi", tags={"k": 1})
    assert mv2.version == 2 and mv2.tags == {"k": "1"}
    store, files = resolve_model_uri("models:/taxi/1")
    assert sorted(files) == ["MLmodel", "model.bin"]  # the subtree, relative to the model folder
    folder = materialize(store, files)
    assert (folder / "model.bin").read_text() == "weights-1"
    rm = Client().get_registered_model("taxi")
    assert rm.name == "taxi" and [v.version for v in rm.latest_versions] == [2]


def test_create_model_version_requires_the_registered_model(store_path: Path) -> None:
    rid = _model_run()
    c = Client()
    with pytest.raises(RegisteredModelNotFound, match="'nope'"):
        c.create_model_version("nope", f"runs:/{rid}/model", rid)
    c.create_registered_model("m", tags={"team": "ml"}, description="the model")
    mv = c.create_model_version(
        "m", f"runs:/{rid}/model", rid, description="first", tags={"a": "b"}
    )
    assert (mv.version, mv.description, mv.tags, mv.run_id) == (1, "first", {"a": "b"}, rid)
    with pytest.raises(AlreadyExists, match=r"Registered Model \(name=m\) already exists"):
        c.create_registered_model("m")
    rm = c.get_registered_model("m")
    assert (rm.description, rm.tags) == ("the model", {"team": "ml"})


def test_register_a_local_folder_copies_it_into_the_store(store_path: Path, tmp_path: Path) -> None:
    d = tmp_path / "saved"
    (d / "sub").mkdir(parents=True)
    (d / "MLmodel").write_text("flavors: {}\n")
    (d / "sub" / "w.bin").write_bytes(b"\x00weights")
    mv = register_model(str(d), "local")
    assert mv.run_id is None and mv.source == str(d)
    (d / "sub" / "w.bin").write_bytes(b"changed later")
    store, files = resolve_model_uri("models:/local/latest")
    assert (materialize(store, files) / "sub" / "w.bin").read_bytes() == b"\x00weights"
    mv = register_model(d.as_uri(), "local")  # file:// works too
    assert mv.version == 2
    assert (
        materialize(*resolve_model_uri("models:/local/2")) / "sub" / "w.bin"
    ).read_bytes() == b"changed later"


def test_register_from_a_models_uri_and_copy_model_version(store_path: Path) -> None:
    rid = _model_run("v")
    register_model(f"runs:/{rid}/model", "a")
    c = Client()
    c.set_registered_model_alias("a", "champion", 1)
    mv = register_model("models:/a@champion", "b")
    assert (mv.name, mv.version, mv.run_id, mv.source) == ("b", 1, rid, "models:/a@champion")
    mv = c.copy_model_version("models:/a/1", "c")
    assert (
        mv.name == "c"
        and resolve_model_uri("models:/c/1")[1] == resolve_model_uri("models:/a/1")[1]
    )


def test_register_single_file_artifact(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model/model.bin", "one-file")
    assert list(resolve_model_uri("models:/one-file/1")[1]) == ["model.bin"]


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "with space",
        "Ünïcødé 模型",
        "x" * 500,
        ".hidden",
        "a@b",
        "-",
    ],
)
def test_any_model_name_maps_to_a_safe_folder(store_path: Path, name: str) -> None:
    rid = _model_run()
    mv = register_model(f"runs:/{rid}/model", name)
    assert mv.name == name
    assert Client().get_model_version(name, 1).name == name
    assert resolve_model_uri(f"models:/{name}/1")[1]
    # Everything stays inside registry/, one folder per model.
    folders = [
        p for p in _registry_dir(store_path).iterdir() if p.is_dir() and not p.name.startswith(".")
    ]
    assert len(folders) == 1 and (folders[0] / "model.json").is_file()
    assert json.loads((folders[0] / "model.json").read_text())["name"] == name


def test_case_variants_are_distinct_models(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "Taxi")
    register_model(f"runs:/{rid}/model", "taxi")
    register_model(f"runs:/{rid}/model", "taxi")
    c = Client()
    assert c.get_registered_model("Taxi").latest_versions[0].version == 1
    assert c.get_registered_model("taxi").latest_versions[0].version == 2


@pytest.mark.parametrize("name", ["", "   ", None, 3, "a\nb", "tab\there", "x" * 501])
def test_invalid_model_names_are_refused(store_path: Path, name: object) -> None:
    rid = _model_run()
    with pytest.raises(InvalidArgument, match="registered model name"):
        register_model(f"runs:/{rid}/model", name)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        Client().create_registered_model(name)  # type: ignore[arg-type]
    assert not (store_path / "registry").exists() or not any(
        p for p in (store_path / "registry").iterdir() if not p.name.startswith(".")
    )


# -- sources: bad input ----------------------------------------------------------------------


def test_bad_sources(store_path: Path, tmp_path: Path) -> None:
    rid = _model_run()
    with pytest.raises(RunNotFound, match="0123abc"):
        register_model("runs:/0123abc/model", "m")
    with pytest.raises(ModelNotFound, match="no artifacts under 'nothing'.*model, notes.txt"):
        register_model(f"runs:/{rid}/nothing", "m")
    with pytest.raises(InvalidArgument, match="run id"):
        register_model("runs:/../../etc/model", "m")
    with pytest.raises(InvalidArgument, match="artifact path"):
        register_model(f"runs:/{rid}/../x", "m")
    with pytest.raises(UnsupportedURI, match="s3://bucket/model"):
        register_model("s3://bucket/model", "m")
    with pytest.raises(UnsupportedURI):
        register_model("mlflow-artifacts:/x/model", "m")
    with pytest.raises(ModelNotFound, match="no such folder"):
        register_model(str(tmp_path / "missing"), "m")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match="empty"):
        register_model(str(tmp_path / "empty"), "m")
    with pytest.raises(InvalidArgument, match="source"):
        register_model("", "m")
    Client().create_registered_model("m")
    with pytest.raises(InvalidArgument, match="does not match"):
        Client().create_model_version("m", f"runs:/{rid}/model", run_id="otherrun")
    with pytest.raises(InvalidArgument, match="tag key"):
        register_model(f"runs:/{rid}/model", "m", tags={"bad\nkey": 1})
    with pytest.raises(RegisteredModelNotFound):
        register_model("models:/nope/1", "m")
    # Nothing was half-registered.
    assert Client().get_registered_model("m").latest_versions == []


def test_missing_blob_is_reported_at_registration(store_path: Path) -> None:
    rid = _model_run("unique-bytes-for-this-test")
    digest = (
        litetrack.get_run(rid)
        and Client().store.runs.read(rid)["artifacts"]["model/model.bin"]["digest"]
    )
    blob = store_path / "objects" / "sha256" / digest[:2] / digest[2:]
    os.chmod(blob, 0o644)
    blob.unlink()
    with pytest.raises(ArtifactNotFound, match=digest):
        register_model(f"runs:/{rid}/model", "m")


# -- stages ------------------------------------------------------------------------------------


def test_stages_transitions_and_latest_versions(store_path: Path) -> None:
    rid = _model_run()
    for _ in range(5):
        register_model(f"runs:/{rid}/model", "m")
    c = Client()
    assert c.transition_model_version_stage("m", 1, "production").current_stage == "Production"
    assert c.transition_model_version_stage("m", "2", "PRODUCTION").current_stage == "Production"
    c.transition_model_version_stage("m", 3, "staging")
    assert resolve_model_uri("models:/m/Production")[1] == resolve_model_uri("models:/m/2")[1]
    latest = {v.current_stage: v.version for v in c.get_latest_versions("m")}
    assert latest == {"None": 5, "Staging": 3, "Production": 2}
    assert [v.version for v in c.get_latest_versions("m", ["Production"])] == [2]
    assert [v.version for v in c.get_latest_versions("m", ["archived"])] == []
    mv = c.transition_model_version_stage("m", 4, "Production", archive_existing_versions=True)
    assert mv.current_stage == "Production"
    stages = {v: c.get_model_version("m", v).current_stage for v in range(1, 6)}
    assert stages == {1: "Archived", 2: "Archived", 3: "Staging", 4: "Production", 5: "None"}
    c.transition_model_version_stage("m", 4, "None")
    with pytest.raises(ModelVersionNotFound, match="no version in stage 'Production'.*Staging: 3"):
        resolve_model_uri("models:/m/Production")
    assert c.get_model_version_stages("m", 1) == ["None", "Staging", "Production", "Archived"]


@pytest.mark.parametrize("stage", ["Prod", "", None, "deleted", "Deleted_Internal", 1])
def test_invalid_stages_list_the_valid_ones(store_path: Path, stage: object) -> None:
    register_model(f"runs:/{_model_run()}/model", "m")
    with pytest.raises(InvalidArgument, match="None, Staging, Production, Archived"):
        Client().transition_model_version_stage("m", 1, stage)  # type: ignore[arg-type]


def test_archive_existing_only_for_active_stages(store_path: Path) -> None:
    register_model(f"runs:/{_model_run()}/model", "m")
    with pytest.raises(InvalidArgument, match="only applies to stages Staging and Production"):
        Client().transition_model_version_stage("m", 1, "Archived", archive_existing_versions=True)


# -- aliases ---------------------------------------------------------------------------------------


def test_aliases(store_path: Path) -> None:
    rid = _model_run()
    for _ in range(3):
        register_model(f"runs:/{rid}/model", "m")
    c = Client()
    c.set_registered_model_alias("m", "champion", 2)
    c.set_registered_model_alias("m", "challenger", "3")
    assert c.get_model_version_by_alias("m", "champion").version == 2
    assert c.get_model_version("m", 2).aliases == ["champion"]
    assert c.get_registered_model("m").aliases == {"champion": 2, "challenger": 3}
    c.set_registered_model_alias("m", "champion", 3, comment="better")
    assert sorted(c.get_model_version("m", 3).aliases) == ["challenger", "champion"]
    assert resolve_model_uri("models:/m@champion")[1] == resolve_model_uri("models:/m/3")[1]
    c.delete_registered_model_alias("m", "challenger")
    c.delete_registered_model_alias("m", "never-set")  # no error, as in MLflow
    with pytest.raises(ModelVersionNotFound, match="no alias 'challenger'; aliases: champion -> 3"):
        c.get_model_version_by_alias("m", "challenger")
    with pytest.raises(ModelVersionNotFound, match="no alias 'x'"):
        resolve_model_uri("models:/m@x")
    with pytest.raises(ModelVersionNotFound, match="no version 9"):
        c.set_registered_model_alias("m", "future", 9)


@pytest.mark.parametrize(
    "alias", ["latest", "LATEST", "v1", "V12", "", "has space", "a/b", "x" * 256, None]
)
def test_invalid_aliases(store_path: Path, alias: object) -> None:
    register_model(f"runs:/{_model_run()}/model", "m")
    with pytest.raises(InvalidArgument, match="alias"):
        Client().set_registered_model_alias("m", alias, 1)  # type: ignore[arg-type]


# -- URIs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/taxi/3", ("taxi", "version", 3)),
        ("models:/taxi/Production", ("taxi", "stage", "Production")),
        ("models:/taxi/staging", ("taxi", "stage", "Staging")),
        ("models:/taxi/None", ("taxi", "stage", "None")),
        ("models:/taxi/latest", ("taxi", "latest", None)),
        ("models:/taxi@champion", ("taxi", "alias", "champion")),
        ("models:/team/taxi/3", ("team/taxi", "version", 3)),
        ("models:/team/taxi@champion", ("team/taxi", "alias", "champion")),
        ("models:/a@b/2", ("a@b", "version", 2)),
        ("models:/my model/1", ("my model", "version", 1)),
    ],
)
def test_parse_model_uri(uri: str, expected: tuple) -> None:
    assert tuple(parse_model_uri(uri)) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "models:/taxi",
        "models:/taxi/",
        "models:/taxi/Prod",
        "models:/taxi/0",
        "models:/@a",
        "models:/taxi@",
        "models://profile/taxi/1",
        "runs:/x/model",
        "taxi/1",
        "",
        None,
        "models:/taxi/-1",
        "models:/taxi/1.0",
    ],
)
def test_malformed_model_uris(uri: object) -> None:
    with pytest.raises(InvalidArgument, match="models:/NAME/VERSION"):
        parse_model_uri(uri)  # type: ignore[arg-type]


def test_resolution_errors_say_what_exists(store_path: Path) -> None:
    register_model(f"runs:/{_model_run()}/model", "taxi")
    with pytest.raises(RegisteredModelNotFound, match="no registered model named 'taxy'.*'taxi'"):
        resolve_model_uri("models:/taxy/1")
    with pytest.raises(ModelVersionNotFound, match="no version 7 .*numbered 1 to 1"):
        resolve_model_uri("models:/taxi/7")
    with pytest.raises(ModelVersionNotFound, match="no version in stage 'Staging'.*none"):
        resolve_model_uri("models:/taxi/Staging")
    with pytest.raises(InvalidArgument, match="'Prod' is not a version number, a stage"):
        resolve_model_uri("models:/taxi/Prod")
    Client().create_registered_model("empty")
    with pytest.raises(ModelVersionNotFound, match="'empty' has no versions"):
        resolve_model_uri("models:/empty/latest")


def test_runs_uri_resolution_for_loaders(store_path: Path) -> None:
    rid = _model_run("abc")
    store, files = resolve_model_uri(f"runs:/{rid}/model")
    assert sorted(files) == ["MLmodel", "model.bin"]
    assert (materialize(store, files) / "model.bin").read_text() == "abc"


def test_download_uri(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "team-taxi")
    uri = Client().get_model_version_download_uri("team-taxi", 1)
    assert uri == f"runs:/{rid}/model"  # the source location, as MLflow
    assert resolve_model_uri(uri)[1]
    with pytest.raises(ModelVersionNotFound):
        Client().get_model_version_download_uri("team-taxi", 2)


# -- versions: update, delete ------------------------------------------------------------------


def test_delete_version_keeps_its_number_and_drops_its_stage_and_aliases(store_path: Path) -> None:
    rid = _model_run()
    for _ in range(3):
        register_model(f"runs:/{rid}/model", "m")
    c = Client()
    c.transition_model_version_stage("m", 3, "Production")
    c.set_registered_model_alias("m", "champion", 3)
    c.delete_model_version("m", 3)
    with pytest.raises(ModelVersionNotFound, match="no version 3 \\(it was deleted\\)"):
        c.get_model_version("m", 3)
    with pytest.raises(ModelVersionNotFound):
        resolve_model_uri("models:/m/Production")
    assert c.get_registered_model("m").aliases == {}
    assert c.get_model_version("m", 2).version == 2
    assert resolve_model_uri("models:/m/latest")[1] == resolve_model_uri("models:/m/2")[1]
    assert register_model(f"runs:/{rid}/model", "m").version == 4  # never reused
    with pytest.raises(ModelVersionNotFound):
        c.delete_model_version("m", 3)
    assert [v.version for v in c.search_model_versions("name = 'm'")] == [4, 2, 1]


def test_update_descriptions_and_tags(store_path: Path) -> None:
    register_model(f"runs:/{_model_run()}/model", "m")
    c = Client()
    assert c.update_registered_model("m", "new description").description == "new description"
    assert c.update_model_version("m", 1, "v1 notes").description == "v1 notes"
    c.set_registered_model_tag("m", "team", "ml")
    c.set_model_version_tag("m", "1", "validated", True)
    c.transition_model_version_stage("m", 1, "Staging")
    c.set_model_version_tag("m", key="by_stage", value="x", stage="staging")
    assert c.get_model_version("m", 1).tags == {"validated": "True", "by_stage": "x"}
    c.delete_model_version_tag("m", 1, "validated")
    c.delete_model_version_tag("m", 1, "absent")
    c.delete_registered_model_tag("m", "team")
    assert c.get_registered_model("m").tags == {}
    assert c.get_model_version("m", 1).tags == {"by_stage": "x"}
    with pytest.raises(InvalidArgument, match="exactly one of version and stage"):
        c.set_model_version_tag("m", 1, "k", "v", stage="Staging")
    with pytest.raises(InvalidArgument, match="description"):
        c.update_model_version("m", 1, 42)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="tag key"):
        c.set_registered_model_tag("m", "", "v")


@pytest.mark.parametrize("version", [0, -1, "abc", "1.5", True, None, 2.0, ""])
def test_invalid_versions(store_path: Path, version: object) -> None:
    register_model(f"runs:/{_model_run()}/model", "m")
    with pytest.raises(InvalidArgument, match="model version"):
        Client().get_model_version("m", version)  # type: ignore[arg-type]


# -- rename, delete -------------------------------------------------------------------------------


def test_rename_keeps_versions_stages_aliases_and_history(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "old")
    register_model(f"runs:/{rid}/model", "old")
    c = Client()
    c.transition_model_version_stage("old", 2, "Production")
    c.set_registered_model_alias("old", "champion", 1)
    rm = c.rename_registered_model("old", "team-new")
    assert rm.name == "team-new" and rm.aliases == {"champion": 1}
    with pytest.raises(RegisteredModelNotFound):
        c.get_registered_model("old")
    assert c.get_model_version("team-new", 2).current_stage == "Production"
    assert resolve_model_uri("models:/team-new@champion")[1]
    actions = [h["action"] for h in c.get_registered_model_history("team-new")]
    assert actions[0] == "create_model" and actions[-1] == "rename_model"
    register_model(f"runs:/{rid}/model", "other")
    with pytest.raises(AlreadyExists):
        c.rename_registered_model("team-new", "other")
    with pytest.raises(RegisteredModelNotFound):
        c.rename_registered_model("absent", "x")


def test_delete_registered_model(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "m")
    c = Client()
    c.delete_registered_model("m")
    with pytest.raises(RegisteredModelNotFound):
        c.get_registered_model("m")
    with pytest.raises(RegisteredModelNotFound):
        c.delete_registered_model("m")
    assert referenced_digests() == set()
    assert register_model(f"runs:/{rid}/model", "m").version == 1  # a new model
    history = c.get_registered_model_history("m")
    assert [h["action"] for h in history] == ["create_model", "create_version"]
    assert not any(p for p in (store_path / "registry" / ".trash").iterdir())


# -- search ------------------------------------------------------------------------------------


def test_search(store_path: Path) -> None:
    r1, r2 = _model_run(), _model_run()
    register_model(f"runs:/{r1}/model", "taxi-duration")
    register_model(f"runs:/{r2}/model", "taxi-duration")
    register_model(f"runs:/{r2}/model", "fraud")
    c = Client()
    c.set_registered_model_tag("fraud", "team", "risk")
    # Timestamps are milliseconds: the updates of v2 below must come after
    # fraud's registration, which a fast machine does in the same millisecond.
    time.sleep(0.002)
    c.set_model_version_tag("taxi-duration", 2, "validated", "yes")
    c.transition_model_version_stage("taxi-duration", 2, "Production")
    names = lambda ms: [m.name for m in ms]  # noqa: E731
    assert names(c.search_registered_models()) == ["fraud", "taxi-duration"]
    assert names(c.search_registered_models("name = 'fraud'")) == ["fraud"]
    assert names(c.search_registered_models("name LIKE '%taxi%'")) == ["taxi-duration"]
    assert names(c.search_registered_models("name ILIKE '%TAXI%'")) == ["taxi-duration"]
    assert names(c.search_registered_models("tags.team = 'risk'")) == ["fraud"]
    assert names(litetrack.search_registered_models(order_by=["name DESC"])) == [
        "taxi-duration",
        "fraud",
    ]
    vs = lambda ms: [(m.name, m.version) for m in ms]  # noqa: E731
    # MLflow's default order: the most recently updated first (v2 was tagged and moved last).
    assert vs(c.search_model_versions(f"run_id = '{r2}'")) == [("taxi-duration", 2), ("fraud", 1)]
    assert vs(c.search_model_versions("name = 'taxi-duration'")) == [
        ("taxi-duration", 2),
        ("taxi-duration", 1),
    ]
    assert vs(c.search_model_versions("tags.validated = 'yes'")) == [("taxi-duration", 2)]
    assert vs(c.search_model_versions("current_stage = 'Production'")) == [("taxi-duration", 2)]
    assert vs(c.search_model_versions("version_number > 1")) == [("taxi-duration", 2)]
    assert vs(litetrack.search_model_versions("name = 'taxi-duration' AND version = 1")) == [
        ("taxi-duration", 1)
    ]
    assert vs(c.search_model_versions(f"source_path = 'runs:/{r1}/model'")) == [
        ("taxi-duration", 1)
    ]
    assert vs(c.search_model_versions("name IN ('fraud', 'nope')")) == [("fraud", 1)]
    assert vs(c.search_model_versions("name = 'absent'")) == []
    page1 = c.search_model_versions(max_results=2)
    assert len(page1) == 2 and page1.token
    page2 = c.search_model_versions(max_results=2, page_token=page1.token)
    assert len(page2) == 1 and page2.token is None
    with pytest.raises(FilterSyntaxError, match="unknown prefix 'metrics'"):
        c.search_registered_models("metrics.rmse < 1")
    with pytest.raises(FilterSyntaxError, match="unknown model version attribute 'stagee'"):
        c.search_model_versions("stagee = 'x'")
    with pytest.raises(FilterSyntaxError, match="expected a quoted string"):
        c.search_registered_models("name = taxi")
    with pytest.raises(InvalidArgument, match="max_results"):
        c.search_registered_models(max_results=1001)
    with pytest.raises(InvalidArgument, match="page_token"):
        c.search_model_versions(page_token="garbage")


# -- history -------------------------------------------------------------------------------------


def test_history_records_who_when_what_and_why(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "m")
    register_model(f"runs:/{rid}/model", "m")
    c = Client()
    c.transition_model_version_stage("m", 1, "Production", comment="first good one")
    c.transition_model_version_stage(
        "m", 2, "Production", archive_existing_versions=True, comment="better"
    )
    c.set_registered_model_alias("m", "champion", 2, comment="promoted")
    c.delete_registered_model_alias("m", "champion", comment="rolled back")
    c.delete_model_version("m", 1)
    h = c.get_registered_model_history("m")
    assert [(r["action"], r["version"], r["from"], r["to"], r["comment"]) for r in h] == [
        ("create_model", None, None, "m", None),
        (
            "create_version",
            1,
            None,
            {"source": f"runs:/{rid}/model", "run_id": rid, "size": h[1]["to"]["size"]},
            None,
        ),
        ("create_version", 2, None, h[2]["to"], None),
        ("transition_stage", 1, "None", "Production", "first good one"),
        ("transition_stage", 2, "None", "Production", "better"),
        (
            "transition_stage",
            1,
            "Production",
            "Archived",
            "archived by the move of version 2 to Production",
        ),
        ("set_alias", 2, None, 2, "promoted"),
        ("delete_alias", 2, 2, None, "rolled back"),
        (
            "delete_version",
            1,
            {"stage": "Archived", "aliases": [], "source": f"runs:/{rid}/model"},
            None,
            None,
        ),
    ]
    assert all(r["user"] and r["time"] > 0 and r["model"] == "m" for r in h)
    assert h[6]["alias"] == "champion"
    with pytest.raises(InvalidArgument, match="comment"):
        c.transition_model_version_stage("m", 2, "Staging", comment=3)  # type: ignore[arg-type]


# -- crashes, corruption -----------------------------------------------------------------------


def test_a_registration_that_crashed_after_its_version_document_is_not_overwritten(
    store_path: Path,
) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "m")
    mj = _model_json(store_path, "m")
    vdir = mj.parent / "versions"
    # What a process killed between the version document and model.json leaves.
    doc = json.loads((vdir / "1.json").read_text())
    doc["version"] = 2
    doc["description"] = "orphan"
    (vdir / "2.json").write_text(json.dumps(doc))
    assert json.loads(mj.read_text())["latest"] == 1
    assert resolve_model_uri("models:/m/latest")[1]
    assert Client().get_model_version("m", 2).description == "orphan"
    assert register_model(f"runs:/{rid}/model", "m").version == 3
    assert [v.version for v in Client().search_model_versions("name = 'm'")] == [3, 2, 1]


def test_an_interrupted_rename_is_finished_by_listing(store_path: Path) -> None:
    register_model(f"runs:/{_model_run()}/model", "before")
    mj = _model_json(store_path, "before")
    doc = json.loads(mj.read_text())
    doc["name"] = "after"
    mj.write_text(json.dumps(doc))  # crashed between the name change and the folder rename
    with pytest.raises(RegisteredModelNotFound):
        Client().get_registered_model("before")
    assert [m.name for m in Client().search_registered_models()] == ["after"]
    assert Client().get_model_version("after", 1).version == 1


def test_corrupt_documents_are_named(store_path: Path) -> None:
    rid = _model_run()
    register_model(f"runs:/{rid}/model", "m")
    register_model(f"runs:/{rid}/model", "m")
    mj = _model_json(store_path, "m")
    good = mj.read_text()
    mj.write_text(good[:-10])
    with pytest.raises(CorruptDocument, match=f"{mj}.*not valid JSON"):
        Client().get_registered_model("m")
    with pytest.raises(CorruptDocument, match=str(mj)):
        resolve_model_uri("models:/m/1")
    with pytest.raises(CorruptDocument, match=str(mj)):
        register_model(f"runs:/{rid}/model", "m")
    # The history still says what happened, without model.json.
    assert [h["action"] for h in Client().get_registered_model_history("m")] == [
        "create_model",
        "create_version",
        "create_version",
    ]
    doc = json.loads(good)
    doc["stages"] = {"Production": {"9": 1}}
    mj.write_text(json.dumps(doc))
    with pytest.raises(CorruptDocument, match="stages.Production has a bad entry '9'"):
        Client().get_registered_model("m")
    mj.write_text(good)
    v2 = mj.parent / "versions" / "2.json"
    vdoc = json.loads(v2.read_text())
    v2.write_text(json.dumps({**vdoc, "files": {"MLmodel": {"digest": "zz", "size": 1}}}))
    with pytest.raises(CorruptDocument, match=f"{v2}.*files.MLmodel"):
        Client().get_model_version("m", 2)
    assert Client().get_model_version("m", 1).version == 1
    e = pickle.loads(pickle.dumps(CorruptDocument("x", path=str(v2))))
    assert e.path == str(v2)


def test_corrupt_version_document_still_protects_its_blobs_from_gc(store_path: Path) -> None:
    register_model(f"runs:/{_model_run('only here')}/model", "m")
    pinned = referenced_digests()
    v1 = _model_json(store_path, "m").parent / "versions" / "1.json"
    v1.write_text(v1.read_text()[:-3])
    assert referenced_digests() == pinned


def test_newer_schema_is_refused_with_advice(store_path: Path) -> None:
    register_model(f"runs:/{_model_run()}/model", "m")
    mj = _model_json(store_path, "m")
    mj.write_text(json.dumps({**json.loads(mj.read_text()), "schema_version": 99}))
    with pytest.raises(CorruptDocument, match="upgrade litetrack"):
        Client().get_registered_model("m")


# -- gc roots ------------------------------------------------------------------------------------


def test_referenced_digests_cover_live_versions_only(store_path: Path) -> None:
    r1, r2 = _model_run("one"), _model_run("two")
    register_model(f"runs:/{r1}/model", "m")
    register_model(f"runs:/{r2}/model", "m")
    c = Client()
    d1 = set(e["digest"] for e in resolve_model_uri("models:/m/1")[1].values())
    d2 = set(e["digest"] for e in resolve_model_uri("models:/m/2")[1].values())
    assert referenced_digests(c.store) == d1 | d2
    c.delete_model_version("m", 1)
    assert referenced_digests(c.store) == d2


# -- errors, entities, imports -----------------------------------------------------------------------


def test_errors_pickle_and_entities_are_reexported(store_path: Path) -> None:
    from litetrack.entities import ModelVersion, RegisteredModel

    try:
        resolve_model_uri("models:/absent/1")
    except LitetrackError as e:
        e2 = pickle.loads(pickle.dumps(e))
        assert type(e2) is RegisteredModelNotFound and e2.name == "absent" and str(e2) == str(e)
        assert isinstance(e2, LookupError) and e2.error_code == "RESOURCE_DOES_NOT_EXIST"
    mv = register_model(f"runs:/{_model_run()}/model", "m")
    assert isinstance(mv, ModelVersion) and isinstance(
        Client().get_registered_model("m"), RegisteredModel
    )
    assert mv.to_dictionary()["version"] == 1
    assert Client().get_registered_model("m").to_dictionary()["latest_versions"][0]["name"] == "m"


def test_resolving_a_models_uri_imports_nothing_heavy(store_path: Path) -> None:
    from conftest import run_python

    register_model(f"runs:/{_model_run()}/model", "m")
    Client().transition_model_version_stage("m", 1, "Production")
    out = run_python(
        "import sys, litetrack.registry as r\n"
        "st, files = r.resolve_model_uri('models:/m/Production')\n"
        "print(sorted(files), [m for m in ('pydantic', 'pandas', 'numpy', 'yaml') if m in sys.modules])"
    ).stdout.strip()
    assert out == "['MLmodel', 'model.bin'] []"


# -- model names MLflow refuses ------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["a/b", "team/model", "x:y", ".", "..", "..x", "a/../b", "../escape", "a/../../b"]
)
def test_new_model_names_follow_mlflows_rule(name: str, store_path: Path) -> None:
    # MLflow 3.17: "Names cannot contain '/' or ':'" and a name must stay itself as a
    # path; models:/a/b/1 would otherwise name two things.
    client = Client()
    with pytest.raises(InvalidArgument, match="Invalid registered model name") as e:
        client.create_registered_model(name)
    assert repr(name) in str(e.value)
    run_id = _model_run()
    with pytest.raises(InvalidArgument, match="Invalid registered model name"):
        register_model(f"runs:/{run_id}/model", name)
    client.create_registered_model("fine")
    with pytest.raises(InvalidArgument, match="Invalid registered model name"):
        client.rename_registered_model("fine", name)
    assert [m.name for m in client.search_registered_models()] == ["fine"]


def test_a_model_an_older_store_holds_under_such_a_name_still_works(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litetrack.store.registry import writer

    checked = writer.validate_new_model_name
    monkeypatch.setattr(writer, "validate_new_model_name", lambda name: name)  # an older litetrack
    client = Client()
    client.create_registered_model("team/model")
    monkeypatch.setattr(writer, "validate_new_model_name", checked)
    run_id = _model_run()
    version = register_model(f"runs:/{run_id}/model", "team/model")
    assert version.version == 1
    assert client.get_registered_model("team/model").name == "team/model"
    assert [v.version for v in client.search_model_versions("name = 'team/model'")] == [1]
    client.rename_registered_model("team/model", "team-model")
    assert client.get_model_version("team-model", 1).run_id == run_id
