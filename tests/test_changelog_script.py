"""The baked project's `.github/scripts/changelog.py`, run as the release workflow runs it."""

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Bake
from packaging.version import Version

pytestmark = pytest.mark.scripts

TEMPLATE_ROOT = Path(__file__).parents[1]
SCRIPT = TEMPLATE_ROOT / "{{cookiecutter.__project_dir}}" / ".github" / "scripts" / "changelog.py"
CHANGELOGS = Path(__file__).parent / "data" / "changelogs"

FULL_1_2_0 = """\
### Added

- `Station.nearest()` finds the closest tide station to a coordinate \
([#142](https://github.com/example-org/tidewater/pull/142)).
- Python 3.13 support.

### Changed

- Predictions are cached per station for the lifetime of a `Client`.
- The default configuration file now starts with a commented header:

```toml
## tidewater configuration
[client]
timeout = 30
```

### Fixed

- Heights near midnight UTC were attributed to the previous day.
"""

FULL_1_1_0RC1 = """\
### Added

- Release candidate for 1.1.0, published to exercise the new PyPI workflow.
"""

FULL_1_0_0 = """\
### Added

- First stable release: `Client`, `Station` and the `tidewater` command line.

### Removed

- The `tidewater.legacy` module, deprecated since 0.4.0.
"""

FULL_UNRELEASED = """\
### Added

- `tidewater export --format parquet` writes partitioned Parquet datasets.
"""

FIRST_RELEASE_0_1_0 = """\
### Added

- Initial release: read tide predictions for a single station.
"""

SEMVER_1_0_0_BETA_2 = """\
### Fixed

- `Station.from_id()` accepts lower-case station identifiers again.
"""

SEMVER_1_0_0_BETA_1 = """\
### Changed

- `Client.predict()` returns a list of `Prediction` objects instead of tuples.
"""

UNRELEASED_ONLY = """\
### Added

- Read tide predictions for a single station.
- `tidewater` command line with a `predict` subcommand.
"""


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_script(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    # A GITHUB_OUTPUT inherited from a CI runner would make check-release write into it.
    environ = {key: value for key, value in os.environ.items() if key != "GITHUB_OUTPUT"}
    environ.update(env or {})
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        check=False,
        timeout=60,
    )
    # Decoded by hand: text mode would turn "\r\n" into "\n" and hide a stray "\r".
    return Result(completed.returncode, completed.stdout.decode("utf-8"), completed.stderr.decode("utf-8"))


def assert_refused(result: Result, *fragments: str, returncode: int = 1) -> None:
    assert result.returncode == returncode, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("changelog.py")
    assert ": error: " in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]


def write_project(directory: Path, version: str, changelog: str | Path) -> None:
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "tidewater"\nversion = "{version}"\n', encoding="utf-8"
    )
    text = changelog.read_text(encoding="utf-8") if isinstance(changelog, Path) else changelog
    (directory / "CHANGELOG.md").write_text(text, encoding="utf-8")


def test_script_is_copied_unrendered() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert "{{" not in text
    assert "{%" not in text


# --- extract ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changelog", "version", "expected"),
    [
        pytest.param("full.md", "1.2.0", FULL_1_2_0, id="latest-release-keeps-fenced-hashes"),
        pytest.param("full.md", "1.0.0", FULL_1_0_0, id="last-section-stops-before-links"),
        pytest.param("full.md", "v1.0.0", FULL_1_0_0, id="leading-v-accepted"),
        pytest.param("full.md", "1.1.0rc1", FULL_1_1_0RC1, id="pep440-release-candidate"),
        pytest.param("full.md", "Unreleased", FULL_UNRELEASED, id="unreleased-on-request"),
        pytest.param("full.md", "unreleased", FULL_UNRELEASED, id="unreleased-any-case"),
        pytest.param("first-release.md", "0.1.0", FIRST_RELEASE_0_1_0, id="first-release-only"),
        pytest.param("semver-prereleases.md", "1.0.0-beta.2", SEMVER_1_0_0_BETA_2, id="semver-prerelease"),
        pytest.param("semver-prereleases.md", "1.0.0-beta.1", SEMVER_1_0_0_BETA_1, id="heading-without-date"),
        pytest.param("unreleased-only.md", "Unreleased", UNRELEASED_ONLY, id="unreleased-only-changelog"),
    ],
)
def test_extract_prints_the_section_body(changelog: str, version: str, expected: str) -> None:
    result = run_script("extract", version, "--file", changelog, cwd=CHANGELOGS)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == expected


def pad_headings(text: str) -> str:
    """Trailing blanks on each version heading and on the blank line that follows it."""
    lines = text.split("\n")
    padded = []
    for index, line in enumerate(lines):
        if line.startswith("## ["):
            padded.append(line + "  \t")
        elif not line and index > 0 and lines[index - 1].startswith("## ["):
            padded.append(" \t ")
        else:
            padded.append(line)
    return "\n".join(padded)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(lambda text: text.replace("\n", "\r").encode(), id="old-mac-cr"),
        pytest.param(lambda text: pad_headings(text).encode(), id="trailing-whitespace"),
        # The BOM must not hide a heading on the very first line.
        pytest.param(lambda text: text[text.index("## [1.2.0]") :].encode("utf-8-sig"), id="utf8-bom"),
    ],
)
def test_extract_ignores_editor_noise(tmp_path: Path, encode: Callable[[str], bytes]) -> None:
    text = (CHANGELOGS / "full.md").read_text(encoding="utf-8")
    (tmp_path / "CHANGELOG.md").write_bytes(encode(text))

    result = run_script("extract", "1.2.0", cwd=tmp_path)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == FULL_1_2_0


@pytest.mark.parametrize(
    ("changelog", "version", "fragments"),
    [
        pytest.param(
            "full.md",
            "9.9.9",
            [
                "full.md: no section for 9.9.9",
                "versions present: Unreleased, 1.2.0, 1.1.0, 1.1.0rc1, 1.0.0",
            ],
            id="version-missing-lists-present",
        ),
        pytest.param(
            "first-release.md",
            "Unreleased",
            ["no section for [Unreleased]", "versions present: 0.1.0"],
            id="unreleased-missing",
        ),
        pytest.param(
            "empty-section.md",
            "1.3.0",
            ["empty-section.md:10: section for 1.3.0 is empty"],
            id="empty-section",
        ),
        pytest.param(
            "empty-section.md",
            "1.2.1",
            ["empty-section.md:12: section for 1.2.1 is empty"],
            id="section-with-subheadings-only",
        ),
        pytest.param(
            "empty-section.md",
            "Unreleased",
            ["empty-section.md:8: section for Unreleased is empty"],
            id="empty-unreleased",
        ),
        pytest.param(
            "no-version-headings.md",
            "1.0.0",
            ["no-version-headings.md: no '## [VERSION]' headings found"],
            id="malformed-no-version-headings",
        ),
        pytest.param(
            "duplicate-heading.md",
            "1.0.0",
            ["duplicate-heading.md:20: second heading for 1.1.0 (first at line 8)"],
            id="duplicate-heading-elsewhere-in-file",
        ),
        pytest.param(
            "unparsable-heading.md",
            "1.1.0",
            [
                "unparsable-heading.md:11: cannot parse heading '## Version 1.0.0 (November 2024)'",
                "expected '## [1.2.3] - 2026-01-31' (a version and a real date) or '## [Unreleased]'",
            ],
            id="malformed-heading-elsewhere-in-file",
        ),
        pytest.param(
            "does-not-exist.md",
            "1.0.0",
            ["does-not-exist.md: not found", "--file"],
            id="missing-file",
        ),
    ],
)
def test_extract_refuses(changelog: str, version: str, fragments: list[str]) -> None:
    result = run_script("extract", version, "--file", changelog, cwd=CHANGELOGS)
    assert_refused(result, *fragments)


@pytest.mark.parametrize(
    ("heading", "fragments"),
    [
        pytest.param(
            "## 1.0.0 - 2025-01-31",
            ["CHANGELOG.md:3: cannot parse heading '## 1.0.0 - 2025-01-31'"],
            id="no-brackets",
        ),
        pytest.param(
            "## [Next release]",
            ["CHANGELOG.md:3: 'Next release' in heading '## [Next release]' is not a version"],
            id="label-not-a-version",
        ),
        pytest.param(
            "## [1.0.0] - 2025-02-30",
            ["CHANGELOG.md:3: '2025-02-30' in heading", "is not a real date"],
            id="impossible-date",
        ),
        pytest.param(
            "## [1.0.0] - 31/01/2025",
            ["CHANGELOG.md:3: cannot parse heading '## [1.0.0] - 31/01/2025'"],
            id="date-not-iso",
        ),
    ],
)
def test_extract_refuses_unparsable_heading(tmp_path: Path, heading: str, fragments: list[str]) -> None:
    (tmp_path / "CHANGELOG.md").write_text(
        f"# Changelog\n\n{heading}\n\n### Added\n\n- Something.\n", encoding="utf-8"
    )
    assert_refused(run_script("extract", "1.0.0", cwd=tmp_path), *fragments)


def test_extract_refuses_non_utf8(tmp_path: Path) -> None:
    (tmp_path / "CHANGELOG.md").write_bytes(
        "## [1.0.0] - 2025-01-31\n\n- Caf\u00e9 support.\n".encode("cp1252")
    )
    assert_refused(run_script("extract", "1.0.0", cwd=tmp_path), "CHANGELOG.md: not valid UTF-8 at byte")


def test_usage_error_is_one_line(tmp_path: Path) -> None:
    result = run_script("extract", cwd=tmp_path)
    assert_refused(result, "the following arguments are required: version", returncode=2)


# --- check-release ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changelog", "version", "prerelease"),
    [
        pytest.param("full.md", "1.2.0", "false", id="final-release"),
        pytest.param("first-release.md", "0.1.0", "false", id="first-release-only"),
        pytest.param("full.md", "1.1.0rc1", "true", id="pep440-release-candidate"),
        pytest.param("semver-prereleases.md", "1.0.0-beta.2", "true", id="semver-prerelease"),
    ],
)
def test_check_release_appends_step_outputs(
    tmp_path: Path, changelog: str, version: str, prerelease: str
) -> None:
    write_project(tmp_path, version, CHANGELOGS / changelog)
    github_output = tmp_path / "github-output"
    github_output.write_text("earlier-step=kept\n", encoding="utf-8")

    result = run_script("check-release", f"v{version}", "--github-output", "github-output", cwd=tmp_path)

    outputs = f"version={version}\nprerelease={prerelease}\n"
    assert (result.returncode, result.stderr, result.stdout) == (0, "", outputs)
    assert github_output.read_text(encoding="utf-8") == "earlier-step=kept\n" + outputs


def test_check_release_defaults_to_github_output_env(tmp_path: Path) -> None:
    write_project(tmp_path, "1.2.0", CHANGELOGS / "full.md")
    github_output = tmp_path / "from-env"

    result = run_script("check-release", "v1.2.0", cwd=tmp_path, env={"GITHUB_OUTPUT": str(github_output)})

    assert result.returncode == 0, result
    assert github_output.read_text(encoding="utf-8") == "version=1.2.0\nprerelease=false\n"


def test_check_release_without_github_output_only_prints(tmp_path: Path) -> None:
    write_project(tmp_path, "1.2.0", CHANGELOGS / "full.md")

    result = run_script("check-release", "v1.2.0", cwd=tmp_path)

    assert (result.returncode, result.stdout) == (0, "version=1.2.0\nprerelease=false\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["CHANGELOG.md", "pyproject.toml"]


@pytest.mark.parametrize(
    ("changelog", "version", "tag", "fragments"),
    [
        pytest.param(
            "full.md",
            "1.2.0",
            "v1.2.1",
            [
                "tag v1.2.1 does not match version 1.2.0 in pyproject.toml",
                "push v1.2.0, or set the version to 1.2.1 and re-tag",
            ],
            id="tag-mismatch",
        ),
        pytest.param(
            "full.md",
            "1.2.0",
            "1.2.0",
            ["tag 1.2.0 has no leading 'v'", "push v1.2.0 instead"],
            id="tag-without-v",
        ),
        pytest.param(
            "full.md",
            "1.2.0",
            "release-1.2.0",
            ["tag release-1.2.0 does not match version 1.2.0", "push v1.2.0 instead"],
            id="tag-in-another-scheme",
        ),
        pytest.param(
            "full.md",
            "1.2.0",
            "vUnreleased",
            ["tag vUnreleased does not match version 1.2.0"],
            id="tag-for-unreleased",
        ),
        pytest.param(
            "unreleased-only.md",
            "0.1.0",
            "v0.1.0",
            [
                "CHANGELOG.md: no section for 0.1.0; only [Unreleased] is present",
                "move the [Unreleased] entries under '## [0.1.0] - YYYY-MM-DD'",
            ],
            id="unreleased-only",
        ),
        pytest.param(
            "full.md",
            "1.3.0",
            "v1.3.0",
            [
                "CHANGELOG.md: no section for 1.3.0; versions present: Unreleased, 1.2.0",
                "move the [Unreleased] entries under '## [1.3.0] - YYYY-MM-DD'",
            ],
            id="version-not-in-changelog",
        ),
        pytest.param(
            "empty-section.md",
            "1.3.0",
            "v1.3.0",
            ["CHANGELOG.md:10: section for 1.3.0 is empty"],
            id="empty-section",
        ),
        pytest.param(
            "duplicate-heading.md",
            "1.1.0",
            "v1.1.0",
            ["CHANGELOG.md:20: second heading for 1.1.0 (first at line 8)"],
            id="duplicate-heading",
        ),
    ],
)
def test_check_release_refuses(
    tmp_path: Path, changelog: str, version: str, tag: str, fragments: list[str]
) -> None:
    write_project(tmp_path, version, CHANGELOGS / changelog)
    github_output = tmp_path / "github-output"
    github_output.write_text("earlier-step=kept\n", encoding="utf-8")

    result = run_script("check-release", tag, "--github-output", str(github_output), cwd=tmp_path)

    assert_refused(result, *fragments)
    assert github_output.read_text(encoding="utf-8") == "earlier-step=kept\n"


def test_check_release_refuses_yanked_version(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "1.0.1",
        "# Changelog\n\n## [1.0.1] - 2025-02-03 [YANKED]\n\n### Fixed\n\n- Broke imports.\n",
    )
    result = run_script("check-release", "v1.0.1", cwd=tmp_path)
    assert_refused(result, "CHANGELOG.md:3: 1.0.1 is marked [YANKED]")


@pytest.mark.parametrize(
    ("pyproject", "fragments"),
    [
        pytest.param(
            '[project]\nname = "tidewater"\ndynamic = ["version"]\n',
            ["pyproject.toml: [project] version is dynamic"],
            id="dynamic-version",
        ),
        pytest.param(
            '[project]\nname = "tidewater"\n',
            ['pyproject.toml: [project] has no version = "X.Y.Z"'],
            id="no-version",
        ),
        pytest.param(
            '[project]\nname = "tidewater"\nversion = "one point two"\n',
            ["pyproject.toml: [project] version 'one point two' is not a PEP 440 version"],
            id="version-not-pep440",
        ),
        pytest.param(
            "[tool.ruff]\nline-length = 88\n",
            ["pyproject.toml: no [project] table"],
            id="no-project-table",
        ),
        pytest.param(
            '[project\nname = "tidewater"\n',
            ["pyproject.toml: invalid TOML: Expected ']'"],
            id="invalid-toml",
        ),
        pytest.param(None, ["pyproject.toml: not found", "--pyproject"], id="missing-pyproject"),
    ],
)
def test_check_release_refuses_pyproject(tmp_path: Path, pyproject: str | None, fragments: list[str]) -> None:
    write_project(tmp_path, "1.2.0", CHANGELOGS / "full.md")
    if pyproject is None:
        (tmp_path / "pyproject.toml").unlink()
    else:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")

    assert_refused(run_script("check-release", "v1.2.0", cwd=tmp_path), *fragments)


@pytest.mark.parametrize(
    ("version", "prerelease"),
    [
        pytest.param("1.0.0", False, id="final"),
        pytest.param("1.0.0a1", True, id="alpha"),
        pytest.param("1.0.0b2", True, id="beta"),
        pytest.param("1.0.0rc1", True, id="release-candidate"),
        pytest.param("1.0.0c1", True, id="c-alias-for-rc"),
        pytest.param("1.0.0-alpha.1", True, id="spelled-out-alpha"),
        pytest.param("1.0.0-preview.1", True, id="preview-alias-for-rc"),
        pytest.param("1.0.0.dev3", True, id="dev"),
        pytest.param("1.0.0rc1.dev1", True, id="dev-of-release-candidate"),
        pytest.param("1.0.0.post1", False, id="post-release"),
        pytest.param("1.0.0-1", False, id="implicit-post-release"),
        pytest.param("1.0.0.post1.dev2", True, id="dev-of-post-release"),
        pytest.param("2!1.0.0", False, id="epoch"),
        pytest.param("1.0.0+ubuntu.2", False, id="local-label"),
        pytest.param("1.0.0rc1+ubuntu.2", True, id="local-label-on-release-candidate"),
    ],
)
def test_prerelease_detection_agrees_with_packaging(tmp_path: Path, version: str, prerelease: bool) -> None:
    assert Version(version).is_prerelease is prerelease
    write_project(tmp_path, version, f"# Changelog\n\n## [{version}] - 2025-01-31\n\n- Entry.\n")

    result = run_script("check-release", f"v{version}", cwd=tmp_path)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"version={version}\nprerelease={str(prerelease).lower()}\n"


def test_check_refuses_a_heading_the_release_could_not_read(tmp_path: Path) -> None:
    """The pre-commit hook's command: a placeholder date fails on the commit, not at the tag."""
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(
        "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - YYYY-MM-DD\n\n- First.\n", encoding="utf-8"
    )
    assert_refused(
        run_script("check", cwd=tmp_path), "CHANGELOG.md:5: cannot parse heading '## [0.1.0] - YYYY-MM-DD'"
    )
    changelog.write_text(
        "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-30\n\n- First.\n", encoding="utf-8"
    )
    result = run_script("check", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_the_baked_hook_runs_the_check_on_changelog_changes() -> None:
    import yaml

    config = yaml.safe_load((SCRIPT.parents[2] / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hook] = [hook for repo in config["repos"] for hook in repo["hooks"] if hook["id"] == "changelog"]
    assert hook["entry"].split()[-3:] == ["python", ".github/scripts/changelog.py", "check"]
    assert hook["files"] == r"^CHANGELOG\.md$"


# ------------------------------------------------------------------------------- cut


def test_cut_turns_the_baked_changelog_into_a_release_the_tag_check_accepts(
    bake: Bake, tmp_path: Path
) -> None:
    """The first release's step on a real bake: `cut` moves the entries, dates the heading,
    and moves the links; check-release and extract then read the section it made."""
    project = bake().copy_to(tmp_path / "project").path
    before = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    result = run_script("cut", "--date", "2026-11-30", cwd=project)
    assert (result.returncode, result.stderr) == (0, ""), result
    assert result.stdout == "CHANGELOG.md: the [Unreleased] entries are now under '## [0.1.0] - 2026-11-30'\n"
    after = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]\n\n## [0.1.0] - 2026-11-30\n\n### Added\n" in after
    repo = "https://github.com/your-github-name/example-pipeline-package"
    assert f"[unreleased]: {repo}/commits/main" in before
    assert after.endswith(
        f"[unreleased]: {repo}/compare/v0.1.0...HEAD\n[0.1.0]: {repo}/releases/tag/v0.1.0\n"
    )
    released = run_script("check-release", "v0.1.0", cwd=project)
    assert (released.returncode, released.stderr) == (0, ""), released
    notes = run_script("extract", "0.1.0", cwd=project)
    assert notes.stdout.startswith("### Added\n\n- Project skeleton")
    assert "[0.1.0]:" not in notes.stdout
    # The next release: a second cut needs the next version first, and then works.
    assert_refused(run_script("cut", cwd=project), "a section for 0.1.0 exists already", "uv version")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml")
        .read_text(encoding="utf-8")
        .replace('version = "0.1.0"', 'version = "0.2.0"', 1),
        encoding="utf-8",
    )
    assert_refused(run_script("cut", cwd=project), "section for Unreleased is empty")
    text = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    (project / "CHANGELOG.md").write_text(
        text.replace("## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n\n- A bug.\n", 1), encoding="utf-8"
    )
    second = run_script("cut", "0.2.0", "--date", "2026-12-24", cwd=project)
    assert second.returncode == 0, second
    final = (project / "CHANGELOG.md").read_text(encoding="utf-8")
    assert final.index("## [0.2.0] - 2026-12-24") < final.index("## [0.1.0] - 2026-11-30")
    assert final.endswith(
        f"[unreleased]: {repo}/compare/v0.2.0...HEAD\n[0.2.0]: {repo}/releases/tag/v0.2.0\n"
        f"[0.1.0]: {repo}/releases/tag/v0.1.0\n"
    )
    assert run_script("check", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("args", "changelog", "fragments"),
    [
        (["0.3.0"], "## [Unreleased]\n\n- A.\n", ["version is 0.2.0, not 0.3.0", "uv version 0.3.0"]),
        ([], "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n- A.\n", ["no section for [Unreleased]"]),
        ([], "## [Unreleased]\n\n### Added\n", ["section for Unreleased is empty"]),
        ([], "## [Unreleased]\n\n- A.\n\n## [0.2.0] - 2026-01-01\n\n- B.\n", ["a section for 0.2.0 exists"]),
    ],
)
def test_cut_refuses_and_leaves_the_file_alone(
    tmp_path: Path, args: list[str], changelog: str, fragments: list[str]
) -> None:
    write_project(tmp_path, "0.2.0", changelog)
    assert_refused(run_script("cut", *args, cwd=tmp_path), *fragments)
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == changelog


def test_cut_without_links_says_so(tmp_path: Path) -> None:
    write_project(tmp_path, "1.0.0", "# Changelog\n\n## [Unreleased]\n\n- A.\n")
    result = run_script("cut", "--date", "2026-11-30", cwd=tmp_path)
    assert result.returncode == 0, result
    assert "no [unreleased] link found" in result.stdout
    assert (tmp_path / "CHANGELOG.md").read_text(encoding="utf-8") == (
        "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-11-30\n\n- A.\n"
    )


def test_cut_refuses_a_bad_date_in_one_line(tmp_path: Path) -> None:
    write_project(tmp_path, "1.0.0", "## [Unreleased]\n\n- A.\n")
    assert_refused(run_script("cut", "--date", "30/11/2026", cwd=tmp_path), "--date", returncode=2)
