"""Requirements of a saved model: pickle scanning, inference, env files, check."""

from __future__ import annotations

import _compat_pickle
import collections
import datetime
import decimal
import fractions
import importlib.metadata as md
import io
import logging
import pickle
import pickletools
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from litetrack.errors import ArtifactNotFound, InvalidArgument, InvalidState, NotFound
from litetrack.models import requirements as R
from litetrack.models.envfiles import (
    Mismatch,
    check_environment,
    format_check,
    read_python_env,
    read_requirements,
    restore_environment,
    write_env_files,
)
from litetrack.models.requirements import (
    infer_requirements,
    modules_in_pickle,
    pinned,
    resolve_requirements,
)

cloudpickle = pytest.importorskip("cloudpickle")
yaml = pytest.importorskip("yaml")


class _Recorder(pickle._Unpickler):  # type: ignore[name-defined]
    """The oracle: the modules the real unpickler imports."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.modules: set[str] = set()

    def find_class(self, module: str, name: str) -> Any:
        # The mapping pickle.Unpickler.find_class applies before importing.
        if getattr(self, "proto", 5) < 3 and getattr(self, "fix_imports", True):
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        self.modules.add(module.split(".")[0])
        return super().find_class(module, name)


def oracle(data: bytes) -> set[str]:
    rec = _Recorder(data)
    rec.load()
    return rec.modules


def installed(dist: str) -> str:
    return f"{canonicalize_name(dist)}=={md.version(dist)}"


# ---------------------------------------------------------------- pickles


def test_dictvectorizer_cloudpickle() -> None:
    fe = pytest.importorskip("sklearn.feature_extraction")
    dv = fe.DictVectorizer().fit([{"trip": "a_b", "distance": 1.5}, {"trip": "c_d"}])
    data = cloudpickle.dumps(dv)
    mods = modules_in_pickle(data)
    assert {"sklearn", "numpy"} <= mods
    assert mods == oracle(data)


def test_xgboost_regressor_cloudpickle() -> None:
    xgb = pytest.importorskip("xgboost")
    model = xgb.XGBRegressor(n_estimators=2, max_depth=2).fit([[1.0], [2.0], [3.0]], [1, 2, 3])
    data = cloudpickle.dumps(model)
    mods = modules_in_pickle(data)
    assert "xgboost" in mods
    assert mods == oracle(data)


def test_dynamic_module_function_and_class_by_value() -> None:
    # cloudpickle pickles classes and functions of __main__ (or any module
    # that cannot be imported) by value: the module itself is not needed.
    mod = types.ModuleType("not_importable_dyn")
    exec(
        "import math\nclass Scaler:\n    def __init__(self, k): self.k = k\n"
        "    def __call__(self, x): return math.sqrt(x) * self.k\n"
        "def transform(x): return Scaler(2)(x)\n",
        mod.__dict__,
    )
    data = cloudpickle.dumps([mod.Scaler(3), mod.transform, mod.Scaler])
    mods = modules_in_pickle(data)
    assert "not_importable_dyn" not in mods
    assert "cloudpickle" in mods
    assert mods == oracle(data)
    assert infer_requirements(mods) == [installed("cloudpickle")]


def test_plain_dict_refers_to_no_module() -> None:
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps({"a": [1, 2.5, "x", None, True], "b": (1, 2)}, protocol=proto)
        assert modules_in_pickle(data) == set()


def test_stack_global_module_comes_from_memo() -> None:
    data = pickle.dumps([collections.OrderedDict(), collections.Counter()], protocol=4)
    ops = [op.name for op, _, _ in pickletools.genops(data)]
    # The second class's module string "collections" is a memo reference.
    assert "BINGET" in ops and ops.count("STACK_GLOBAL") == 2
    assert modules_in_pickle(data) == {"collections"}


def test_never_imports_or_unpickles() -> None:
    # GLOBAL of a module that does not exist, and a payload that would run
    # code if unpickled: scanning reports the modules and runs nothing.
    data = b"cno_such_module_xyz\nThing\n)R."
    assert modules_in_pickle(data) == {"no_such_module_xyz"}
    evil = b"cos\nsystem\n(S'echo pwned > /dev/null'\ntR."
    assert modules_in_pickle(evil) == {"os"}
    assert "no_such_module_xyz" not in sys.modules


def test_protocol_0_to_2_python2_names_are_mapped() -> None:
    for proto in (0, 1, 2):
        data = pickle.dumps([{1, 2}, b"bytes", fractions.Fraction(1, 3)], protocol=proto)
        mods = modules_in_pickle(data)
        assert "__builtin__" not in mods and "copy_reg" not in mods
        assert mods == oracle(data)


def test_several_pickles_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "two.pkl"
    with open(path, "wb") as f:
        pickle.dump(decimal.Decimal("1.5"), f)
        pickle.dump(datetime.date(2024, 1, 1), f)
    assert modules_in_pickle(path) == {"decimal", "datetime"}
    assert modules_in_pickle(str(path)) == {"decimal", "datetime"}


def test_not_a_pickle_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument):
        modules_in_pickle(b"\x80\x05this is not a pickle")


_leaves = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.none(),
    st.booleans(),
    st.builds(fractions.Fraction, st.integers(-9, 9), st.integers(1, 9)),
    st.builds(decimal.Decimal, st.integers()),
    st.dates(),
    st.builds(lambda x: collections.OrderedDict(a=x), st.integers()),
    st.builds(lambda x: collections.Counter([x]), st.integers()),
)
_objects = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(obj=_objects, proto=st.integers(0, pickle.HIGHEST_PROTOCOL), cp=st.booleans())
def test_matches_the_unpickler(obj: Any, proto: int, cp: bool) -> None:
    data = cloudpickle.dumps(obj, protocol=proto) if cp else pickle.dumps(obj, protocol=proto)
    assert modules_in_pickle(data) == oracle(data)


# ---------------------------------------------------------------- inference


def test_infer_dictvectorizer_lists_scikit_learn() -> None:
    fe = pytest.importorskip("sklearn.feature_extraction")
    data = cloudpickle.dumps(fe.DictVectorizer().fit([{"a": 1}]))
    reqs = infer_requirements(modules_in_pickle(data), extra_packages=["cloudpickle"])
    assert installed("scikit-learn") in reqs
    assert installed("numpy") in reqs
    assert installed("cloudpickle") in reqs
    assert reqs == sorted(reqs)


def test_infer_stdlib_only_lists_nothing() -> None:
    data = pickle.dumps([collections.OrderedDict(a=1), fractions.Fraction(1, 2), {1, 2}])
    assert infer_requirements(modules_in_pickle(data)) == []
    assert infer_requirements({"__main__", "builtins", "os.path", "_codecs"}) == []


def test_infer_unknown_module_warns_and_skips(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="litetrack.models.requirements"):
        assert infer_requirements({"my_local_project_xyz"}) == []
    assert "my_local_project_xyz" in caplog.text


def test_infer_uses_submodule_top_level_and_normalized_names() -> None:
    reqs = infer_requirements({"yaml.constructor", "_pytest.fixtures"})
    assert installed("PyYAML") in reqs and installed("pytest") in reqs
    assert all(r == r.lower() for r in reqs)


def test_pinned() -> None:
    assert pinned("cloudpickle") == f"cloudpickle=={cloudpickle.__version__}"
    assert pinned("PyYAML").startswith("pyyaml==")
    with pytest.raises(NotFound, match="no-such-dist-xyz"):
        pinned("no-such-dist-xyz")
    with pytest.raises(NotFound):
        infer_requirements(set(), extra_packages=["no-such-dist-xyz"])


def test_resolve_requirements_rules(tmp_path: Path) -> None:
    inferred = ["numpy==1.0", "scikit-learn==1.2"]
    lt = R._litetrack_requirement()
    assert resolve_requirements(inferred) == [lt, *inferred]
    assert resolve_requirements(inferred, include_litetrack=False) == inferred
    # pip_requirements replaces, extra_pip_requirements adds
    assert resolve_requirements(inferred, pip_requirements=["pandas"]) == [lt, "pandas"]
    assert resolve_requirements(inferred, extra_pip_requirements=["pandas>=2"]) == [
        lt,
        *inferred,
        "pandas>=2",
    ]
    # an extra naming an inferred package replaces its pin
    assert resolve_requirements(
        inferred, extra_pip_requirements=["Scikit_Learn>=1.3"], include_litetrack=False
    ) == ["numpy==1.0", "Scikit_Learn>=1.3"]
    # the user's own litetrack line is kept, not doubled
    assert resolve_requirements(inferred, pip_requirements=["litetrack>=0.1"]) == ["litetrack>=0.1"]
    # duplicates are dropped
    assert resolve_requirements(["a==1", "a==1", "b"], include_litetrack=False) == ["a==1", "b"]
    with pytest.raises(InvalidArgument):
        resolve_requirements(inferred, pip_requirements=["a"], extra_pip_requirements=["b"])
    # a requirements file path is accepted
    req_file = tmp_path / "reqs.txt"
    req_file.write_text("# pinned by hand\npandas==2.0  # data frames\n\nxgboost\n")
    assert resolve_requirements(inferred, pip_requirements=req_file, include_litetrack=False) == [
        "pandas==2.0",
        "xgboost",
    ]


# ---------------------------------------------------------------- env files


def _mlflow_conda(requirements: list[str], python: str) -> dict[str, Any]:
    # What MLflow's _mlflow_conda_env builds before yaml.safe_dump.
    deps: list[Any] = [f"python={python}"]
    if requirements:
        deps.append(f"pip<={md.version('pip')}")
    deps.append({"pip": requirements})
    return {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": deps}


def _mlflow_python_env(python: str) -> dict[str, Any]:
    build = []
    for pkg in ("pip", "setuptools", "wheel"):
        try:
            build.append(f"{pkg}=={md.version(pkg)}")
        except md.PackageNotFoundError:
            build.append(pkg)
    return {"python": python, "build_dependencies": build, "dependencies": ["-r requirements.txt"]}


@pytest.mark.parametrize(
    "requirements, python",
    [
        (["litetrack==0.1.0", "cloudpickle==3.1.3", "scikit-learn==1.9.1"], None),
        (
            [
                "xgboost>=1.7,<3",
                "pandas[performance]==2.2.0",
                'pywin32==306; sys_platform == "win32"',
            ],
            "3.10",
        ),
        (["mypkg @ file:///tmp/my pkg.whl", "-r other.txt", "numpy==2.0.0"], "3.11.7"),
        ([], "3.12.1"),
    ],
)
def test_env_files_match_mlflow_bytes(
    tmp_path: Path, requirements: list[str], python: str | None
) -> None:
    write_env_files(tmp_path, requirements, python_version=python)
    py = python or ".".join(map(str, sys.version_info[:3]))
    conda = (tmp_path / "conda.yaml").read_text()
    assert yaml.safe_load(conda) == _mlflow_conda(requirements, py)
    assert conda == yaml.safe_dump(_mlflow_conda(requirements, py), default_flow_style=False)
    penv = (tmp_path / "python_env.yaml").read_text()
    assert yaml.safe_load(penv) == _mlflow_python_env(py)
    assert penv == yaml.safe_dump(_mlflow_python_env(py), sort_keys=False, default_flow_style=False)
    assert (tmp_path / "requirements.txt").read_text() == "\n".join(requirements)
    assert read_requirements(tmp_path / "requirements.txt") == requirements
    assert read_python_env(tmp_path) == {k: v for k, v in _mlflow_python_env(py).items()}


def test_write_env_files_creates_folder_and_rejects_multiline(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    write_env_files(target, ["numpy==1.0"])
    assert sorted(p.name for p in target.iterdir()) == [
        "conda.yaml",
        "python_env.yaml",
        "requirements.txt",
    ]
    with pytest.raises(InvalidArgument):
        write_env_files(target, ["numpy==1.0\nevil"])


@pytest.mark.parametrize(
    "req",
    ["-r requirements.txt", "pip<=23.2.1", 'x[extra]==1; python_version < "3.11"', "yes", "3.10",
     "a: b", "a #b", "*x", "&x", "? x", "x\xa0y", "é==1"],
)
def test_env_files_keep_any_requirement_string(tmp_path: Path, req: str) -> None:
    write_env_files(tmp_path, [req], python_version="3.10")
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text("utf-8"))
    assert conda["dependencies"][-1] == {"pip": [req]}
    assert read_python_env(tmp_path)["python"] == "3.10"  # a string, not the float 3.1


def test_read_python_env_falls_back_to_conda(tmp_path: Path) -> None:
    assert read_python_env(tmp_path) == {}
    (tmp_path / "conda.yaml").write_text(
        "channels:\n- conda-forge\ndependencies:\n- python=3.9.18\n- pip:\n  - a\nname: x\n"
    )
    assert read_python_env(tmp_path) == {"python": "3.9.18"}


def test_read_requirements_missing(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound):
        read_requirements(tmp_path / "requirements.txt")


def test_read_requirements_pip_syntax(tmp_path: Path) -> None:
    f = tmp_path / "r.txt"
    f.write_text("# top\nnumpy==1.0 # why\nscikit-learn \\\n  >=1.0\n-r base.txt\nurl#frag\n\n")
    assert read_requirements(f) == ["numpy==1.0", "scikit-learn   >=1.0", "-r base.txt", "url#frag"]


# ---------------------------------------------------------------- check


def _model(tmp_path: Path, requirements: list[str], python: str | None = None) -> Path:
    write_env_files(tmp_path, requirements, python_version=python)
    return tmp_path


def test_check_matching_environment(tmp_path: Path) -> None:
    model = _model(tmp_path, [pinned("pytest"), pinned("cloudpickle"), "pyyaml>=1"])
    assert check_environment(model) == []
    assert format_check([], "models:/m/1") == "environment matches for models:/m/1"


def test_check_reports_each_kind(tmp_path: Path) -> None:
    major, minor, micro = sys.version_info[:3]
    other_minor = f"{major}.{minor + 1}.0"
    model = _model(
        tmp_path,
        [
            "pytest==0.0.1",
            "no-such-dist-xyz==1.0",
            "cloudpickle",
            'never-on-this-python==1.0; python_version < "3.0"',
            "https://example.invalid/pkg.whl",
        ],
        python=other_minor,
    )
    found = check_environment(model)
    by_kind = {m.kind: m for m in found}
    assert set(by_kind) == {"python", "version", "missing", "unchecked"}
    assert by_kind["python"].required == other_minor
    assert by_kind["version"] == Mismatch(
        "version", "pytest", "pytest==0.0.1", md.version("pytest")
    )
    assert by_kind["missing"].name == "no-such-dist-xyz" and by_kind["missing"].installed is None
    assert not by_kind["unchecked"].is_error
    text = format_check(found)
    assert "error: python" in text and "no-such-dist-xyz" in text
    assert text.splitlines()[-1] == "3 error(s), 1 warning(s)"


def test_check_patch_version_is_a_warning(tmp_path: Path) -> None:
    major, minor, micro = sys.version_info[:3]
    model = _model(tmp_path, [], python=f"{major}.{minor}.{micro + 1}")
    (found,) = check_environment(model)
    assert found.kind == "python_patch" and not found.is_error


def test_check_without_requirements_file(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound):
        check_environment(tmp_path)


def test_restore_without_pip_tools_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "piptools" else real(name, *a)
    )
    model = _model(tmp_path / "m", ["numpy==1.0"])
    with pytest.raises(InvalidState, match=r"litetrack\[env\]"):
        restore_environment(model, tmp_path / "venv")
    assert not (tmp_path / "venv").exists()


def test_restore_without_requirements(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound):
        restore_environment(tmp_path, tmp_path / "venv")


def test_restore_refuses_a_non_venv_folder(tmp_path: Path) -> None:
    pytest.importorskip("piptools")
    model = _model(tmp_path / "m", ["numpy==1.0"])
    target = tmp_path / "not-a-venv"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    with pytest.raises(InvalidState, match="not a virtualenv"):
        restore_environment(model, target)
    assert (target / "precious.txt").read_text() == "keep me"


def test_requirement_lines_are_read_as_pip_reads_them() -> None:
    from litetrack.models.requirements import _requirement_name, parse_requirement

    assert _requirement_name("Scikit_Learn[alldeps] >=1.0 ; python_version>'3'") == "scikit-learn"
    assert _requirement_name("numpy==1.26.4 --hash=sha256:abc") == "numpy"
    assert _requirement_name("pkg @ https://example.invalid/pkg.whl") == "pkg"
    for not_named in ("-r other.txt", "--index-url x", "./local/pkg", "https://e.invalid/p.whl", ""):
        assert parse_requirement(not_named) is None, not_named
