"""What the benchmark scripts share: the template's paths, a quiet in-process bake, timed children."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

TEMPLATE = Path(__file__).resolve().parents[1]
# The validators the render tier runs live next to the interpreter of the template's dev env.
TOOLS = Path(sys.executable).parent

# The scripts reuse the tests' own option tables and Python finder rather than restating them.
sys.path.insert(0, str(TEMPLATE / "tests"))


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for tools run inside a bake, cut loose from the template's own venv.

    `uv run` exports VIRTUAL_ENV and puts the template's venv first on PATH; left in place, uv in
    the bake warns about the mismatch and bare tool names could resolve to the template's copies.
    """
    env = dict(os.environ)
    venv = env.pop("VIRTUAL_ENV", None)
    if venv:
        venv_bin = str(Path(venv) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.update(extra or {})
    return env


def find_uv() -> str:
    """The real uv binary: a pyenv shim adds a bash start-up (~60 ms here) to every single call."""
    found = shutil.which("uv", path=child_env()["PATH"])
    if found is None:
        sys.exit("uv is not on PATH")
    if Path(found).parent.name == "shims" and shutil.which("pyenv"):
        real = subprocess.run(["pyenv", "which", "uv"], capture_output=True, text=True, check=False)
        if real.returncode == 0 and real.stdout.strip():
            return real.stdout.strip()
    return found


@dataclass
class Timed:
    """One finished child: wall seconds, the peak RSS of it and its own waited-for descendants."""

    seconds: float
    max_rss_kib: int
    returncode: int
    output: str
    # A child starts inside a copy (fork) or a loan (vfork) of this process's memory, and Linux
    # keeps that high-water mark at exec: a figure at or below this floor says only "at most".
    floor_kib: int = 0

    def peak(self) -> str:
        """The peak RSS in MiB, written as an upper bound when it cannot be told from the floor."""
        if self.max_rss_kib <= self.floor_kib:
            return f"<= {mib(self.max_rss_kib):.0f}"
        return f"{mib(self.max_rss_kib):.0f}"


def run(command: Sequence[str | Path], cwd: Path, env: Mapping[str, str] | None = None) -> Timed:
    """Run a command to completion, timing it and reading its rusage through wait4.

    wait4 gives this child's own ru_maxrss (Linux folds in its reaped descendants, such as the
    tool `uv run` starts), which RUSAGE_CHILDREN cannot: that one only ever grows.
    """
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryFile() as sink:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command],
            cwd=cwd,
            env=dict(env) if env is not None else child_env(),
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        # Popen never saw the wait: tell it, or it would try to reap a pid that is gone.
        process.returncode = os.waitstatus_to_exitcode(status)
        sink.seek(0)
        output = sink.read().decode("utf-8", "replace")
    return Timed(seconds, usage.ru_maxrss, process.returncode, output, floor)


@contextlib.contextmanager
def fds_captured() -> Iterator[IO[bytes]]:
    """Send fds 1 and 2 to a file: cookiecutter's hooks are subprocesses that print to the real fds."""
    with tempfile.TemporaryFile() as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield sink
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def bake(output_dir: Path, overrides: Mapping[str, Any] | None = None, template: Path = TEMPLATE) -> Path:
    """Bake a template (this one by default) through cookiecutter's API, no prompts; exit on failure."""
    from cookiecutter.main import cookiecutter

    # A private config: the user's ~/.cookiecutterrc must not change the answers, and the replay
    # file cookiecutter writes on every bake belongs in the temp dir, not in the home directory.
    state = output_dir / ".cookiecutter-state"
    state.mkdir(parents=True, exist_ok=True)
    config = state / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(state / 'templates'))}\n"
        f"replay_dir: {json.dumps(str(state / 'replay'))}\n",
        encoding="utf-8",
    )
    with fds_captured() as sink:
        try:
            return Path(
                cookiecutter(
                    str(template),
                    no_input=True,
                    extra_context=dict(overrides or {}),
                    output_dir=str(output_dir),
                    config_file=str(config),
                )
            )
        except Exception as error:
            sink.seek(0)
            log = sink.read().decode("utf-8", "replace")
            # Raised inside the block so fds 1 and 2 are restored before the message is printed.
            raise SystemExit(
                f"bake of {template} with {dict(overrides or {})} failed: {error!r}\n{log}"
            ) from error


def mib(kib: int) -> float:
    return kib / 1024
