"""Project tier: baked projects pass their own sync, tests, lint, type check, build and install."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from conftest import Bake, Project
from packaging.utils import canonicalize_name
from support.hooks import load_hook
from support.machine import SUITE_PYTHONS, need_python
from support.options import ALL_ON, CHOICES, PROJECT_COMBINATIONS
from test_docs_site import BUILD as DOCS_BUILD
from test_docs_site import CHECK as DOCS_CHECK

pytestmark = pytest.mark.project

TOOLS = Path(sys.executable).parent


def check_project(project: Project, python: str) -> None:
    """Everything a user runs after baking, in the order the README gives it."""
    project.run("uv", "sync", "--python", python)
    tests = project.run("uv", "run", "--no-sync", "pytest")
    threshold = float(project.answers["coverage_threshold"])
    assert f"Required test coverage of {threshold}% reached" in tests.stdout
    project.run("uv", "run", "--no-sync", "ruff", "check", ".")
    project.run("uv", "run", "--no-sync", "ruff", "format", "--check", ".")
    project.run("uv", "run", "--no-sync", "ty", "check")
    if project.answers["docs"] != "none":
        # The site, as the docs job builds and checks it (tests/test_docs_site.py breaks it).
        project.run("uv", "sync", "--python", python, "--group", "docs")
        project.run(*DOCS_BUILD)
        project.run(*DOCS_CHECK)
    project.run("uv", "build", "--python", python, "--out-dir", "dist", "--clear")
    dists = sorted(str(p) for p in (project.path / "dist").iterdir() if p.name.endswith((".whl", ".tar.gz")))
    assert len(dists) == 2, dists
    project.run(TOOLS / "twine", "check", "--strict", *dists)
    check_wheel_installs(project, python, next(d for d in dists if d.endswith(".whl")))


def check_wheel_installs(project: Project, python: str, wheel: str) -> None:
    """The wheel alone, in an empty venv, imports, reports its version and runs its CLI."""
    venv = project.path / ".wheel-venv"
    project.run("uv", "venv", "--python", python, "--clear", venv)
    venv_python = venv / "bin" / "python"
    project.run("uv", "pip", "install", "--python", venv_python, wheel)
    version = project.run(
        venv_python, "-c", f"import {project.package}; print({project.package}.__version__)"
    )
    assert version.stdout.strip() == project.answers["version"]
    # The same check the build and release workflows run on every wheel.
    project.run(venv_python, ".github/scripts/smoke_test.py")
    if project.answers["cli"] != "none":
        greeting = project.run(venv / "bin" / project.answers["project_slug"], "Ada")
        assert greeting.stdout == "Hello, Ada!\n"
        shown = project.run(venv_python, "-m", project.package, "--version")
        assert shown.stdout.strip() == f"{project.answers['project_slug']} {project.answers['version']}"


@pytest.mark.parametrize(
    "overrides", [pytest.param(overrides, id=name) for name, overrides in PROJECT_COMBINATIONS]
)
def test_baked_project_passes_its_own_checks(bake: Bake, overrides: dict[str, Any], tmp_path: Path) -> None:
    project = bake(**overrides).copy_to(tmp_path / "project")
    python = need_python(project.answers["python_min"], "this bake's oldest supported Python (python_min)")
    check_project(project, python)


@pytest.mark.parametrize("version", SUITE_PYTHONS)
def test_default_bake_on_each_installed_python(bake: Bake, version: str, tmp_path: Path) -> None:
    python = need_python(version, f"the default bake's checks on Python {version}")
    project = bake().copy_to(tmp_path / f"default-on-py{version.replace('.', '')}")
    check_project(project, python)


def test_project_set_covers_every_option_value() -> None:
    seen = {
        key: {str(overrides.get(key, values[0])) for _, overrides in PROJECT_COMBINATIONS}
        for key, values in CHOICES.items()
    }
    assert seen == {key: {str(v) for v in values} for key, values in CHOICES.items()}


def test_type_check_covers_sources_tests_and_scripts(bake: Bake, tmp_path: Path) -> None:
    """A wrong type in each of the three folders [tool.ty] names is found, and only there."""
    project = bake().copy_to(tmp_path / "project")
    python = need_python(project.answers["python_min"], "the type-check scope test's bake")
    project.run("uv", "sync", "--python", python)
    wrong = 'def test_count() -> None:\n    count: int = "three"\n    assert count\n'
    planted = [f"src/{project.package}/wrong.py", "tests/test_wrong.py", ".github/scripts/wrong.py"]
    for relative in [*planted, "docs/wrong.py"]:
        (project.path / relative).write_text(wrong, encoding="utf-8")

    found = project.run("uv", "run", "--no-sync", "ty", "check", "--output-format=concise", check=False)

    assert found.returncode == 1, found.stdout + found.stderr
    flagged = sorted({line.split(":", 1)[0] for line in found.stdout.splitlines() if "error[" in line})
    assert flagged == sorted(planted), found.stdout
    assert all("error[invalid-assignment]" in line for line in found.stdout.splitlines() if "error[" in line)


def test_lint_requires_annotations_in_tests(bake: Bake, tmp_path: Path) -> None:
    """Without mypy --strict, ruff's ANN rules are what keep every test function typed."""
    project = bake().copy_to(tmp_path / "project")
    (project.path / "tests" / "test_unannotated.py").write_text(
        "def test_count(count):\n    assert count\n", encoding="utf-8"
    )

    found = project.run(TOOLS / "ruff", "check", "--no-cache", "--output-format=concise", ".", check=False)

    assert found.returncode == 1, found.stdout
    codes = {code for line in found.stdout.splitlines() for code in re.findall(r"\bANN\d+\b", line)}
    assert codes == {"ANN001", "ANN201"}, found.stdout


# Run by the baked project's own Python: every top-level name its site-packages provides, private
# ones included, with the distributions that install it (none for a file no distribution records).
LIST_TOP_LEVEL = """
import importlib.metadata, json, pkgutil, site
owners = importlib.metadata.packages_distributions()
names = set(owners) | {module.name for module in pkgutil.iter_modules(site.getsitepackages())}
print(json.dumps({name: owners.get(name, []) for name in sorted(names)}))
"""


@pytest.mark.parametrize(
    "overrides",
    [pytest.param({}, id="default"), pytest.param(ALL_ON, id="all-on-typer")],
)
def test_hook_refuses_every_module_the_bake_installs(
    bake: Bake, overrides: dict[str, Any], tmp_path: Path
) -> None:
    """A package named like any of them is shadowed by it: adding a dependency means adding its names."""
    project = bake(**overrides).copy_to(tmp_path / "project")
    python = need_python(project.answers["python_min"], "the installed-modules check's bake")
    # Every group, the docs site's too: a contributor who builds the site has them installed.
    project.run("uv", "sync", "--python", python, "--all-groups")
    listed = project.run(project.path / ".venv" / "bin" / "python", "-c", LIST_TOP_LEVEL)
    installed: dict[str, list[str]] = json.loads(listed.stdout)
    installed.pop(project.package, None)
    refused = load_hook("pre_gen_project").tool_modules(project.answers)

    missing = sorted(set(installed) - set(refused))
    assert missing == [], f"add to TOOL_MODULES or TYPER_MODULES in hooks/pre_gen_project.py: {missing}"
    # The refusal names the distribution that installs the module.
    for name, owners in installed.items():
        if owners:
            assert canonicalize_name(refused[name]) in {canonicalize_name(owner) for owner in owners}, name
    # Packages the lock installs only elsewhere (colorama on Windows) must be known too.
    locked = {canonicalize_name(package["name"]) for package in project.toml("uv.lock")["package"]}
    here = {canonicalize_name(owner) for owners in installed.values() for owner in owners}
    elsewhere = locked - here - {canonicalize_name(project.answers["project_slug"])}
    assert elsewhere <= {canonicalize_name(owner) for owner in refused.values()}, elsewhere


# The e2e tests each kind of bake holds: the server's two (the real process over HTTP, and its
# SIGTERM stop), the console script run as its own process, and none for a library.
E2E_TESTS = {"library": 0, "command-line-tool": 1, "service": 2}


# Rewrites a coverage data file as a Windows leg would have written it (relative_files).
AS_WINDOWS = """
import sys
from coverage import CoverageData
linux = CoverageData(sys.argv[1])
linux.read()
windows = CoverageData(sys.argv[2])
windows.add_arcs({f.replace("/", "\\\\"): linux.arcs(f) or [] for f in linux.measured_files()})
windows.write()
"""


def junit_counts(path: Path) -> tuple[str, int, int]:
    """The suite name and the (tests, failures + errors) of one pytest JUnit report."""
    suite = ElementTree.parse(path).getroot().find("testsuite")
    assert suite is not None, path
    failed = int(suite.get("failures", "0")) + int(suite.get("errors", "0"))
    return suite.get("name", ""), int(suite.get("tests", "0")), failed


@pytest.mark.parametrize("kind", list(E2E_TESTS))
def test_tiers_run_alone_and_the_gate_checks_them_combined(bake: Bake, kind: str, tmp_path: Path) -> None:
    """What tests.yml and ci.yml's coverage job run: one pytest per tier, each with its own JUnit
    report, and the coverage gate applied once to every tier's data combined."""
    project = bake(kind=kind).copy_to(tmp_path / "project")
    python = need_python(project.answers["python_min"], "this bake's oldest supported Python (python_min)")
    project.run("uv", "sync", "--python", python)
    script = (".github/scripts/test_tiers.py",)
    collected = project.run("uv", "run", "--no-sync", "pytest", "--collect-only", "-q", "--no-cov")
    total = int(re.search(r"^(\d+) tests? collected", collected.stdout, re.MULTILINE)[1])  # type: ignore[index]
    expected = {"unit": total - E2E_TESTS[kind], "e2e": E2E_TESTS[kind]}

    # Both tiers in one leg, as tests.yml runs them: each writes its own report.
    leg = project.run("uv", "run", "--no-sync", "python", *script, "run", "unit", "e2e", "--ran-on", "here")
    for tier, count in expected.items():
        assert junit_counts(project.path / f"junit-{tier}.xml") == (f"{tier} on here", count, 0)
    assert ("the e2e tier has no tests in this project" in leg.stdout) is (kind == "library")
    project.run("uv", "run", "--no-sync", "coverage", "report", "--format=total", "--fail-under=0")

    # Each tier in a leg of its own, then combined as ci.yml's coverage job does.
    reports = tmp_path / "reports"
    for tier in expected:
        project.run("uv", "run", "--no-sync", "python", *script, "run", tier)
        folder = reports / f"test-reports-{tier}"
        folder.mkdir(parents=True)
        for name in (".coverage", f"junit-{tier}.xml"):
            if (project.path / name).exists():
                shutil.move(project.path / name, folder / name)
    # A Windows leg stores its relative paths with backslashes: they combine onto src/ too.
    windows = reports / "test-reports-windows" / ".coverage"
    windows.parent.mkdir()
    project.run(
        "uv",
        "run",
        "--no-sync",
        "python",
        "-c",
        AS_WINDOWS,
        reports / "test-reports-unit" / ".coverage",
        windows,
    )
    combined = project.run("uv", "run", "--no-sync", "python", *script, "combine", reports)
    data_files = len(list(reports.rglob(".coverage")))
    assert data_files >= 2
    assert f"Combined coverage of {data_files} data files" in combined.stdout
    assert "\\" not in project.run("uv", "run", "--no-sync", "coverage", "report").stdout
    assert (project.path / "coverage.xml").is_file()  # what the Codecov job uploads
    combined_total = project.run("uv", "run", "--no-sync", "coverage", "report", "--format=total").stdout
    # The same figure as the whole suite in one run: the gate sees unit and e2e together.
    project.run("uv", "run", "--no-sync", "pytest", "-q")
    whole_total = project.run("uv", "run", "--no-sync", "coverage", "report", "--format=total").stdout
    assert combined_total == whole_total
    assert f"**{combined_total.strip()}%**" in combined.stdout
    assert "passed" in combined.stdout

    # The e2e tier measures the installed program in its own process (patch = ["subprocess"]):
    # alone it covers most of a command-line tool or service (a third to a half when only the
    # test process is measured).
    if kind != "library":
        e2e_data = reports / "test-reports-e2e" / ".coverage"
        e2e_total = project.run(
            "uv",
            "run",
            "--no-sync",
            "coverage",
            "report",
            f"--data-file={e2e_data}",
            "--format=total",
            "--fail-under=0",
        )
        assert float(e2e_total.stdout) >= 75, e2e_total.stdout

    # A failing unit test fails the run, after the e2e tier has run and written its report too.
    broken = project.path / "tests" / "test_broken.py"
    broken.write_text("def test_broken_on_purpose() -> None:\n    assert False\n", encoding="utf-8")
    failing = project.run("uv", "run", "--no-sync", "python", *script, "run", "unit", "e2e", check=False)
    assert failing.returncode == 1, failing.stdout
    assert "::error::the unit tier failed (pytest exit code 1)" in failing.stdout
    assert junit_counts(project.path / "junit-unit.xml")[1:] == (expected["unit"] + 1, 1)
    assert junit_counts(project.path / "junit-e2e.xml")[1:] == (expected["e2e"], 0)
    broken.unlink()

    # The gate is pyproject.toml's fail_under, applied to the combined data: with code that no
    # test runs under a 100% gate, the same reports fail it (coverage's exit code 2).
    pyproject = project.path / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    raised = re.sub(r"(?m)^fail_under = \d+$", "fail_under = 100", text)
    assert raised != text
    pyproject.write_text(raised, encoding="utf-8")
    module = project.path / "src" / project.package / "greeting.py"
    module.write_text(
        module.read_text(encoding="utf-8") + '\n\ndef untested() -> str:\n    return "nobody calls this"\n',
        encoding="utf-8",
    )
    under = project.run("uv", "run", "--no-sync", "python", *script, "combine", reports, check=False)
    assert under.returncode == 2, under.stdout
    assert "FAILED" in under.stdout
    assert "Coverage failure: total of" in under.stdout
