"""Check an installed distribution of this project: import, version and console scripts.

Run it with the interpreter of the environment under test, from the project root:

    /path/to/venv/bin/python .github/scripts/smoke_test.py

It reads the expected names and version from pyproject.toml, so the build and release
workflows can check any wheel without knowing the package's name.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path


def fail(message: str) -> None:
    print(message, file=sys.stderr)


def main() -> int:
    pyproject = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    module_name = pyproject["tool"]["uv"]["build-backend"]["module-name"]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        fail(f"smoke_test: error: {module_name} is not installed here: {error}")
        return 1
    installed_from = Path(module.__file__ or "").resolve()
    if (Path.cwd() / "src").resolve() in installed_from.parents:
        fail(f"smoke_test: error: {module_name} imported from src/, not the install")
        return 1
    if module.__version__ != project["version"]:
        fail(
            f"smoke_test: error: {module_name}.__version__ is {module.__version__!r},"
            f" pyproject.toml says {project['version']!r}"
        )
        return 1
    print(f"{module_name} {module.__version__} imported from {installed_from.parent}")
    scripts = Path(sys.executable).parent
    for script in project.get("scripts", {}):
        command = shutil.which(script, path=str(scripts))
        if command is None:
            fail(f"smoke_test: error: console script {script!r} is not installed")
            return 1
        shown = subprocess.run(  # noqa: S603 (our own console script)
            [command, "--version"], capture_output=True, text=True, check=False
        )
        if shown.returncode != 0 or shown.stdout.split()[-1:] != [project["version"]]:
            fail(f"smoke_test: error: '{script} --version' printed {shown.stdout!r}")
            return 1
        print(f"{script} --version: {shown.stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
