"""Install this project's just-published release from a package index into a fresh venv.

Indexes take a little while to serve a new upload, so the install is retried. Only the
project itself comes from the given index; its dependencies come from PyPI, so a
look-alike package on a staging index can never stand in for one of them.

Usage: python .github/scripts/install_release.py --index-url URL --venv DIR
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import tomllib
from pathlib import Path


def run(*command: str) -> bool:
    return subprocess.run(command, check=False).returncode == 0  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-url", required=True)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--attempts", type=int, default=10)
    parser.add_argument(
        "--wait", type=float, default=15.0, help="seconds between tries"
    )
    args = parser.parse_args(argv)

    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    requirement = f"{project['name']}=={project['version']}"
    python = str(args.venv / "bin" / "python")
    if not run("uv", "venv", "--clear", str(args.venv)):
        return 1
    for attempt in range(1, args.attempts + 1):
        if run(
            "uv",
            "pip",
            "install",
            "--python",
            python,
            "--no-deps",
            "--no-cache",
            "--index-url",
            args.index_url,
            requirement,
        ):
            break
        print(f"{requirement} not installable yet (try {attempt}/{args.attempts})")
        if attempt == args.attempts:
            print(
                f"install_release: error: {requirement} never appeared"
                f" on {args.index_url}",
                file=sys.stderr,
            )
            return 1
        time.sleep(args.wait)
    # Dependencies from the default index only (see the module docstring).
    if not run(
        "uv", "pip", "install", "--python", python, "--no-cache", "-r", "pyproject.toml"
    ):
        return 1
    print(f"installed {requirement} from {args.index_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
