"""Every code block of README.md and docs/*.md runs, so the docs cannot drift.

- ```python blocks of one file run in order, in one fresh interpreter (later
  blocks may use what earlier ones defined), in a temporary working folder,
  with ``LITETRACK_STORE`` pointing at a temporary store the test prepared.
- ```bash (or ``sh``/``console``/``shell``) blocks: each ``python -m litetrack
  ...`` command (a ``\\`` continues it on the next line) runs after the file's
  python blocks, against the same store; other lines (``pip install``) are
  not run. The placeholders ``RUN_ID``, ``RUN``, ``RUN_A`` and ``RUN_B`` become
  ids of runs in that store. Each command must exit 0 without a traceback.
- A block that cannot run here (it needs a cluster, a server ...) is marked
  by a comment on the line(s) just above its fence, saying why:
  ``<!-- no-test: needs an S3 bucket -->``. Use it sparingly.
- Untagged fences (layouts, synopses with ``[OPTIONS]``, sample output) are text,
  not code, and are not run.

New documents under docs/ are picked up automatically.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"bash", "sh", "console", "shell"}
FENCE_RE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
NO_TEST_RE = re.compile(r"<!--\s*no-test:\s*(.*?)\s*-->")
#: Optional extras: a block needing one that is not installed is skipped.
EXTRAS = ("xgboost", "sklearn", "pyspark", "pandas", "numpy", "scipy", "matplotlib")


@dataclass
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    skip: str | None  # the no-test reason, if any

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def code_blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, with their no-test annotations."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang = m.group(1), m.group(2).lower()
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        skip = None
        k = i - 1
        while k >= 0 and (not lines[k].strip() or NO_TEST_RE.search(lines[k])):
            found = NO_TEST_RE.search(lines[k])
            if found:
                skip = found.group(1) or "no reason given"
                break
            k -= 1
        blocks.append(Block(path, i + 1, lang, "\n".join(lines[i + 1 : j]), skip))
        i = j + 1
    return blocks


def cli_commands(block: Block) -> list[list[str]]:
    """The ``python -m litetrack ...`` commands of a shell block, as argv lists."""
    commands = []
    text = re.sub(r"\\\n\s*", " ", block.code)  # join continuation lines
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("$ "):
            line = line[2:]
        if not line.startswith("python -m litetrack"):
            continue
        argv = shlex.split(line, comments=True)
        commands.append(argv[3:])
    return commands


def test_annotations_parse(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text(
        "text\n\n<!-- no-test: needs a cluster -->\n```python\nboom()\n```\n\n"
        "```bash\npython -m litetrack ls \\\n   --json   # all\npip install x\n```\n"
        "```\nsynopsis [--flag]\n```\n"
    )
    blocks = code_blocks(doc)
    assert [(b.lang, b.skip) for b in blocks] == [
        ("python", "needs a cluster"),
        ("bash", None),
        ("", None),
    ]
    assert cli_commands(blocks[1]) == [["ls", "--json"]]


def test_every_document_is_covered() -> None:
    names = {p.name for p in DOCS}
    assert "README.md" in names and "guide.md" in names
    # Blocks tagged as code are either run or explicitly skipped with a reason.
    for path in DOCS:
        for b in code_blocks(path):
            if b.skip is not None:
                assert b.skip.strip(), f"{b.where}: no-test needs a reason"


# -- the prepared store -------------------------------------------------------------------

PREPARE = r"""
import litetrack

class Doubler(litetrack.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [2 * x for x in model_input]

for name in ("nyc-taxi-duration",):
    litetrack.set_experiment(name)
    for depth, rmse in ((3, 6.4), (6, 5.9)):
        with litetrack.start_run(run_name=f"xgb-d{depth}") as run:
            litetrack.log_params({"max_depth": depth, "learning_rate": 0.1})
            litetrack.log_metric("rmse", rmse)
            litetrack.log_text("hello", "notes/readme.txt")
            info = litetrack.pyfunc.log_model(artifact_path="model", python_model=Doubler())
    mv = litetrack.register_model(info.model_uri, name)
    litetrack.MlflowClient().transition_model_version_stage(name, mv.version, "Production")
"""

RUNNER = r"""
import json, sys, traceback
blocks = json.load(open(sys.argv[1]))
ns = {"__name__": "__main__"}
for b in blocks:
    try:
        exec(compile(b["code"], b["where"], "exec"), ns)
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] in EXTRAS:
            print(f"SKIP {b['where']}: optional module {e.name} missing")
            sys.exit(77)
        print(f"FAILED {b['where']}"); traceback.print_exc(); sys.exit(1)
    except BaseException:
        print(f"FAILED {b['where']}"); traceback.print_exc(); sys.exit(1)
"""


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITETRACK_", "MLFLOW_"))}
    env["LITETRACK_STORE"] = str(store)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env["PAGER"] = "cat"
    return env


def _run(
    argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def workdir(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A working folder holding an ``mlruns`` MLflow store, and a prepared litetrack store."""
    work = tmp_path / "work"
    work.mkdir()
    mlruns = ROOT / "tests" / "data" / "mlflow2"
    if (mlruns / "mlruns").is_dir():
        mlruns = mlruns / "mlruns"
    shutil.copytree(mlruns, work / "mlruns")
    # The docs name the examples by their path from the repository root.
    shutil.copytree(ROOT / "examples", work / "examples")
    env = _env(tmp_path / "store")
    proc = _run([sys.executable, "-c", PREPARE], work, env)
    assert proc.returncode == 0, proc.stderr
    # The placeholders name the prepared runs (they have params, metrics and artifacts).
    return work, env, _placeholders(tmp_path / "store")


def _placeholders(store: Path) -> dict[str, str]:
    runs = sorted((store / "runs").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    ids = [p.name for p in runs]
    return {"RUN_ID": ids[-1], "RUN": ids[-1], "RUN_A": ids[0], "RUN_B": ids[-1]}


def _runnable(path: Path) -> bool:
    return any(
        b.skip is None and b.lang in ("python", "py", *SHELL_LANGS) for b in code_blocks(path)
    )


#: Documents with at least one block to run (the others hold only text and layouts).
RUNNABLE = [p for p in DOCS if _runnable(p)]


def test_some_docs_have_runnable_blocks() -> None:
    # Guards the filter above: README and the guide always show code.
    assert ROOT / "README.md" in RUNNABLE and ROOT / "docs" / "guide.md" in RUNNABLE


@pytest.mark.parametrize("doc", RUNNABLE, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE])
def test_code_blocks_run(
    doc: Path, workdir: tuple[Path, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    work, env, names = workdir
    blocks = [b for b in code_blocks(doc) if b.skip is None]
    python = [b for b in blocks if b.lang in ("python", "py")]
    shell = [b for b in blocks if b.lang in SHELL_LANGS]
    if python:
        spec = tmp_path / "blocks.json"
        spec.write_text(json.dumps([{"code": b.code, "where": b.where} for b in python]))
        runner = f"EXTRAS = {EXTRAS!r}\n" + RUNNER
        proc = _run([sys.executable, "-c", runner, str(spec)], work, env, timeout=600)
        if proc.returncode == 77:
            pytest.skip(proc.stdout.strip())
        assert proc.returncode == 0, proc.stdout + proc.stderr
    for b in shell:
        for argv in cli_commands(b):
            argv = [names.get(a, a) for a in argv]
            proc = _run([sys.executable, "-m", "litetrack", *argv], work, env)
            shown = f"{b.where}: python -m litetrack {shlex.join(argv)}\n{proc.stdout}{proc.stderr}"
            assert proc.returncode == 0, shown
            assert "Traceback" not in proc.stderr, shown
