"""Bake the template and run the baked project's own tests, the way its printed next steps do.

    uv run python .github/scripts/bake_and_test.py [--answers JSON] [--output DIR]

The template's CI runs this on macOS and Windows, which exist only on GitHub's runners; the
template's tests run the same script on Linux. A fresh bake has no uv.lock yet, so the steps are
the ones the post-gen hook prints after "Next steps:": `uv sync`, then `uv run pytest`.

Exit codes:
  0  the baked project's tests passed
  1  a step in the baked project failed (its own output is shown above the error line)
  2  usage error: --answers is not a JSON object, --output is not an empty or new folder
  3  the template did not bake, or uv is not on PATH
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from command_line import OneLineParser
from pins_behind import REPOSITORY, BakeFailed, bake

EXIT_STEP, EXIT_USAGE, EXIT_SETUP = 1, 2, 3
# The bake's next steps that need no git and no GitHub, in the order they are printed.
STEPS = (("uv", "sync"), ("uv", "run", "pytest"))


def _answers(text: str) -> dict[str, Any]:
    try:
        answers = json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error})") from None
    if not isinstance(answers, dict):
        raise argparse.ArgumentTypeError("not a JSON object of cookiecutter answers")
    return answers


def _output(text: str) -> Path:
    path = Path(text)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise argparse.ArgumentTypeError(f"{text} exists and is not an empty folder")
    return path


def run_steps(project: Path, uv: str) -> int:
    for step in STEPS:
        print(f"$ {' '.join(step)}", flush=True)
        done = subprocess.run([uv, *step[1:]], cwd=project, check=False)
        if done.returncode != 0:
            print(f"error: `{' '.join(step)}` exited {done.returncode} in {project}", file=sys.stderr)
            return EXIT_STEP
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__[__doc__.index("Exit codes:") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--answers", type=_answers, default={}, help="answers over cookiecutter.json's")
    parser.add_argument("--output", type=_output, help="bake here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    uv = shutil.which("uv")
    if uv is None:
        print("error: uv is not on PATH; the baked project's next steps need it", file=sys.stderr)
        return EXIT_SETUP
    with tempfile.TemporaryDirectory(prefix="bake-and-test-") as scratch:
        output = args.output or Path(scratch)
        output.mkdir(parents=True, exist_ok=True)
        try:
            project = bake(REPOSITORY, args.answers, output)
        except BakeFailed as error:
            print(f"error: {error.one_line()}", file=sys.stderr)
            return EXIT_SETUP
        print(f"baked {project}", flush=True)
        return run_steps(project, uv)


if __name__ == "__main__":
    sys.exit(main())
