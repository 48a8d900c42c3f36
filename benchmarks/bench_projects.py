"""Benchmark: what ``python -m litetrack run --env-manager virtualenv`` adds to a command.

Run: ``python benchmarks/bench_projects.py [--repeat 5]``

Builds a tiny project (one requirement with one dependency, as hand-made
wheels in a folder: no network), runs it once to build and cache its
virtualenv, then prints, as medians over ``--repeat`` runs:

* the command's own time: the same ``python job.py`` run directly with the
  virtualenv's interpreter (it starts a run and logs a metric);
* ``python -m litetrack run`` of the unchanged project (a fresh process, as a
  user types it): environment from the cache, run created, command started,
  output kept, run ended;
* the difference: what the runner adds.

Target (issue 18): the runner adds under 1 s when the environment is cached.
Everything lives in a temporary folder (store, cache, project).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_env_restore import make_wheel  # noqa: E402 - the tests' offline wheel maker

JOB = """\
import sys, litetrack
with litetrack.start_run():
    litetrack.log_metric("x", float(sys.argv[1]))
"""


def _timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-projects-") as tmp:
        base = Path(tmp)
        wheels = base / "wheels"
        wheels.mkdir()
        make_wheel(wheels, "ltalpha", "1.0", requires=("ltbeta>=1.0",))
        make_wheel(wheels, "ltbeta", "1.0")
        proj = base / "proj"
        proj.mkdir()
        (proj / "MLproject").write_text(
            "name: bench\npython_env: python_env.yaml\nentry_points:\n  main:\n"
            "    parameters:\n      x: {type: float, default: 1}\n    command: python job.py {x}\n"
        )
        (proj / "python_env.yaml").write_text("dependencies:\n  - ltalpha==1.0\n")
        (proj / "job.py").write_text(JOB)
        env = dict(
            os.environ,
            LITETRACK_STORE=str(base / "store"),
            XDG_CACHE_HOME=str(base / "cache"),
            PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        )
        run_cmd = [
            sys.executable,
            "-m",
            "litetrack",
            "run",
            str(proj),
            "--env-manager",
            "virtualenv",
            "--find-links",
            str(wheels),
            "--no-index",
        ]
        first = _timed(run_cmd, env)
        envs = [
            p for p in (base / "cache" / "litetrack" / "projects" / "envs").iterdir() if p.is_dir()
        ]
        venv_python = envs[0] / "venv" / "bin" / "python"
        shim = next((base / "cache" / "litetrack" / "projects" / "shim").iterdir())
        direct_env = dict(env, PYTHONPATH=os.pathsep.join([str(shim), env["PYTHONPATH"]]))
        own = [
            _timed([str(venv_python), "job.py", "1"], direct_env, cwd=proj)
            for _ in range(args.repeat)
        ]
        runs = [_timed(run_cmd, env) for _ in range(args.repeat)]
        own_s, run_s = statistics.median(own), statistics.median(runs)
        print(f"first run (builds the virtualenv, offline): {first:.2f} s")
        print(f"command alone (venv python job.py), median of {args.repeat}: {own_s:.3f} s")
        print(
            f"`python -m litetrack run` again (cached env), median of {args.repeat}: {run_s:.3f} s"
        )
        print(f"added by the runner: {run_s - own_s:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
