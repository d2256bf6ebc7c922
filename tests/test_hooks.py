"""The hooks are plain Python: import them and test their functions directly."""

from __future__ import annotations

import ast
import email.errors
import email.policy
import email.utils
import itertools
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support import manifest
from support.hooks import load_hook
from support.next_steps import command_blocks, command_of
from support.options import CHOICES, COOKIECUTTER_JSON, OPTIONS, QUESTIONS, TEMPLATE, is_valid
from support.pythons import find_python

pytestmark = pytest.mark.hooks


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


def answers(**overrides: Any) -> dict[str, Any]:
    """Rendered default answers, as cookiecutter would pass them."""
    base = {name: option.default for name, option in OPTIONS.items()}
    base |= {"project_slug": "example-pipeline-package", "package_name": "example_pipeline_package"}
    base |= {
        "__project_slug_default": "example-pipeline-package",
        "__package_name_default": "example_pipeline_package",
    }
    # Cookiecutter and cruft pass every `_` key of cookiecutter.json along with the answers.
    base["_options"] = COOKIECUTTER_JSON["_options"]
    return base | overrides


@pytest.mark.parametrize("name", ["pre_gen_project", "post_gen_project"])
def test_the_answers_line_is_the_only_jinja(name: str) -> None:
    lines = (TEMPLATE / "hooks" / f"{name}.py").read_text("utf-8").splitlines()
    jinja = [line for line in lines if re.search(r"\{\{|\{%|\{#", line)]
    assert jinja == ['ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""']


@pytest.mark.parametrize("name", ["pre_gen_project", "post_gen_project"])
def test_hooks_do_nothing_a_replay_would_regret(name: str) -> None:
    """Read the code, not the text: the pre-gen hook's module list names subprocess and socket."""
    tree = ast.parse((TEMPLATE / "hooks" / f"{name}.py").read_text("utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    # urllib.parse only parses; what would reach the network or the clock may not be imported.
    forbidden = {"subprocess", "socket", "urllib.request", "http.client", "datetime", "time"}
    assert imported.isdisjoint(forbidden)
    keys = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in {"_repo_dir", "_output_dir"}
    ]
    # cruft passes neither key. The hooks read them only to print commands (the folder to `cd`
    # into, a local template's absolute path, the output folder of a bake to run again) and, in
    # the pre-gen hook, to compare a replay file's manifest with the template's; each use is
    # skipped when the key is absent, and none writes anything.
    assert sorted(set(keys)) == ["_output_dir", "_repo_dir"]


def test_default_answers_are_valid() -> None:
    pre_gen.validate(answers())


def test_main_reports_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert pre_gen.main(json.dumps(answers(author_email="nope"))) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: author_email='nope' is not accepted:")


def test_main_accepts_good_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert pre_gen.main(json.dumps(answers())) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("package_name", "class", id="keyword"),
        pytest.param("package_name", "json", id="stdlib"),
        pytest.param("package_name", "tests", id="reserved"),
        pytest.param("package_name", "My-Package", id="not-identifier"),
        pytest.param("package_name", "a" * 41, id="package-too-long"),
        pytest.param("project_slug", "Bad Slug", id="slug-space"),
        pytest.param("project_slug", "a" * 41, id="slug-too-long"),
        pytest.param("project_slug", "trailing-", id="slug-trailing-hyphen"),
        pytest.param("version", "1.0-RC1", id="non-canonical-version"),
        pytest.param("version", "banana", id="not-a-version"),
        pytest.param("python_min", "3.10", id="eol-python"),
        pytest.param("python_max", "3.16", id="unreleased-python"),
        pytest.param("python_min", "three", id="python-garbage"),
        pytest.param("coverage_threshold", "101", id="threshold-too-high"),
        pytest.param("coverage_threshold", "-1", id="threshold-negative"),
        pytest.param("coverage_threshold", "8.5", id="threshold-fraction"),
        pytest.param("github_owner", "-bad", id="owner-leading-hyphen"),
        pytest.param("github_owner", "a" * 40, id="owner-too-long"),
        pytest.param("author_email", "me@localhost", id="email-no-domain"),
        pytest.param("description", "two\nlines", id="description-newline"),
        pytest.param("project_name", "   ", id="name-blank"),
        pytest.param("project_name", " Padded", id="name-leading-space"),
        pytest.param("description", "Trailing\t", id="description-trailing-tab"),
        pytest.param("description", "bell\x07", id="description-control"),
        pytest.param("author_name", "del\x7f", id="author-del"),
        pytest.param("author_name", "next\x85line", id="author-c1-next-line"),
        pytest.param("author_name", "Doe, Jane", id="author-comma"),
        pytest.param("description", "line\u2028separator", id="description-line-separator"),
        pytest.param("project_name", "half\ud800surrogate", id="name-surrogate"),
        pytest.param("description", "{{ cookiecutter.x }}", id="jinja-expression"),
        pytest.param("author_name", "{% raw %}", id="jinja-statement"),
        pytest.param("project_name", "a {# comment", id="jinja-comment"),
        pytest.param("project_slug", "a/b", id="slug-slash"),
        pytest.param("project_slug", "../up", id="slug-parent"),
        pytest.param("project_slug", "con", id="slug-windows-device"),
        pytest.param("package_name", "lpt1", id="package-windows-device"),
        pytest.param("author_email", 'o"brien@example.com', id="email-double-quote"),
        pytest.param("author_email", "o'brien@example.com", id="email-apostrophe"),
        pytest.param("author_email", "zoë@example.com", id="email-unicode-local"),
        pytest.param("author_email", "me@exämple.com", id="email-unicode-domain"),
        pytest.param("author_email", "me@example.\u0661\u0662", id="email-unicode-digits"),
        pytest.param("author_email", "me@example.com\n", id="email-newline"),
        pytest.param("author_email", "a" * 65 + "@example.com", id="email-local-too-long"),
        pytest.param("github_owner", "\u0661\u0662\u0663", id="owner-unicode-digits"),
        pytest.param("version", "\u0661.0", id="version-unicode-digit"),
        pytest.param("coverage_threshold", "\u0668\u0665", id="threshold-unicode-digits"),
        pytest.param("coverage_threshold", "\u00b2", id="threshold-superscript"),
        pytest.param("coverage_threshold", "085", id="threshold-leading-zero"),
        pytest.param("cli", "click", id="unknown-choice"),
        pytest.param("codecov", "maybe", id="flag-not-bool"),
    ],
)
def test_each_bad_answer_names_its_field(field: str, value: Any) -> None:
    with pytest.raises(pre_gen.AnswerError, match=rf"^{re.escape(field)}=") as caught:
        pre_gen.validate(answers(**{field: value}))
    assert repr(value) in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("description", "Tabs\tare\tordinary text", id="tab-in-description"),
        pytest.param("project_name", "Name\twith tab", id="tab-in-name"),
        pytest.param("description", 'Zoë O\'Brien "Dev" \\ #1: } %} #}', id="quotes-braces-closing"),
        pytest.param("author_name", "Zoë O'Brien #1 } %} #} ${x} `y`", id="author-apostrophe-braces"),
        pytest.param("description", "Emoji \U0001f469\u200d\U0001f4bb and \u00a0 inside", id="zwj-nbsp"),
        pytest.param("author_email", "first.last+tag@sub.example.co.uk", id="email-plus-subdomain"),
        pytest.param("author_email", "me@xn--exmple-cua.com", id="email-punycode"),
        pytest.param("coverage_threshold", 85, id="threshold-int"),
        pytest.param("coverage_threshold", "0", id="threshold-zero"),
        pytest.param("coverage_threshold", "100", id="threshold-hundred"),
    ],
)
def test_valid_answers_are_accepted(field: str, value: Any) -> None:
    pre_gen.validate(answers(**{field: value}))


@pytest.mark.parametrize(
    "name",
    [
        "test",
        "idlelib",
        "turtledemo",
        "ensurepip",
        "__phello__",
        "this",
        "antigravity",
        "sitecustomize",
        "usercustomize",
        "distutils",
        "imp",
        "asynchat",
        "cgi",
        "annotationlib",
        "compression",
        "profiling",
        "pip",
        "_testcapi",
    ],
)
def test_package_names_cpython_ships_are_refused(name: str) -> None:
    with pytest.raises(pre_gen.AnswerError, match=rf"^package_name={name!r} .*shadow a module CPython ships"):
        pre_gen.check_package_name({"package_name": name})


def _stdlib_names(python: str) -> set[str]:
    listed = subprocess.run(
        [python, "-c", "import json, sys; print(json.dumps(sorted(sys.stdlib_module_names)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(listed.stdout))


@pytest.mark.parametrize("version", [f"3.{minor}" for minor in range(10, 16)])
def test_stdlib_list_covers_every_interpreter_here(version: str) -> None:
    """The hook's constant must hold every name each CPython lists, so it cannot silently go stale."""
    python = sys.executable if sys.version_info[:2] == tuple(map(int, version.split("."))) else None
    python = python or find_python(version)
    if python is None:
        pytest.skip(f"no local CPython {version} to compare with")
    missing = _stdlib_names(python) - pre_gen.STDLIB_MODULES
    assert missing == set(), f"add to STDLIB_MODULES in hooks/pre_gen_project.py: {sorted(missing)}"


def test_stdlib_list_covers_the_running_interpreter() -> None:
    assert set(sys.stdlib_module_names) <= pre_gen.STDLIB_MODULES
    assert pre_gen.SHIPPED_UNLISTED.isdisjoint(sys.stdlib_module_names)


@pytest.mark.parametrize(
    ("name", "distribution"),
    [
        ("pytest", "pytest"),
        ("_pytest", "pytest"),
        ("py", "pytest"),
        ("pytest_cov", "pytest-cov"),
        ("coverage", "coverage"),
        ("pluggy", "pluggy"),
        ("iniconfig", "iniconfig"),
        ("packaging", "packaging"),
        ("pygments", "pygments"),
        ("ruff", "ruff"),
        ("ty", "ty"),
        ("pre_commit", "pre-commit"),
        ("yaml", "pyyaml"),
        ("virtualenv", "virtualenv"),
        ("colorama", "colorama"),
    ],
)
def test_package_names_the_bake_installs_are_refused(name: str, distribution: str) -> None:
    with pytest.raises(pre_gen.AnswerError) as caught:
        pre_gen.check_package_name({"package_name": name, "cli": "argparse"})
    assert str(caught.value) == (
        f"package_name={name!r} is not accepted: a name the project's own tools install ({distribution}); "
        "importing it would load theirs, not yours"
    )


@pytest.mark.parametrize(
    "name", ["typer", "rich", "shellingham", "pydantic", "markdown_it", "typing_extensions"]
)
def test_typer_and_its_dependencies_are_refused_only_with_the_typer_cli(name: str) -> None:
    with pytest.raises(pre_gen.AnswerError, match=rf"^package_name={name!r} .*project's own tools install"):
        pre_gen.check_package_name({"package_name": name, "cli": "typer"})
    for cli in ("argparse", "none"):
        pre_gen.check_package_name({"package_name": name, "cli": cli})


@pytest.mark.parametrize(
    "name", ["fastapi", "uvicorn", "starlette", "pydantic_settings", "structlog", "httpx2"]
)
def test_the_service_stack_is_refused_only_for_a_service(name: str) -> None:
    with pytest.raises(pre_gen.AnswerError, match=rf"^package_name={name!r} .*project's own tools install"):
        pre_gen.check_package_name({"package_name": name, "kind": "service", "cli": "none"})
    for kind in ("command-line-tool", "library"):
        pre_gen.check_package_name({"package_name": name, "kind": kind, "cli": "argparse"})


def test_a_service_with_any_cli_may_have_an_image_and_a_tool_without_one_may_not() -> None:
    for cli in ("none", "argparse", "typer"):
        pre_gen.check_combinations(answers(kind="service", cli=cli, container="ghcr"))
    with pytest.raises(pre_gen.AnswerError) as caught:
        pre_gen.check_combinations(answers(kind="command-line-tool", cli="none", container="ghcr"))
    assert str(caught.value) == (
        "container='ghcr' is not accepted: none with cli='none' and kind='command-line-tool' "
        "(the image of a command-line tool runs its console script)"
    )


def test_derived_defaults_are_the_questions_own_defaults() -> None:
    """The hook compares an answer with these to tell a derived default from a typed answer."""
    for field, (_source, default) in pre_gen.DERIVED_FROM.items():
        assert COOKIECUTTER_JSON[default] == QUESTIONS[field]


def test_a_refused_derived_slug_names_the_answer_it_came_from() -> None:
    given = answers(project_name="2048 Game", project_slug="2048-game", __project_slug_default="2048-game")
    with pytest.raises(pre_gen.AnswerError) as caught:
        pre_gen.validate(given)
    assert str(caught.value) == (
        "project_slug='2048-game' is not accepted: at most 40 lowercase letters, digits and single hyphens, "
        "starting with a letter, e.g. 'my-tool' "
        "(derived from project_name='2048 Game'; answer project_slug=... to choose one)"
    )


def test_a_refused_derived_package_names_the_slug_it_came_from() -> None:
    given = answers(
        project_name="Yaml",
        project_slug="yaml",
        package_name="yaml",
        __project_slug_default="yaml",
        __package_name_default="yaml",
    )
    with pytest.raises(pre_gen.AnswerError) as caught:
        pre_gen.validate(given)
    assert str(caught.value).startswith("package_name='yaml' is not accepted: a name the project's own")
    assert str(caught.value).endswith(
        "(derived from project_slug='yaml'; answer package_name=... to choose one)"
    )


def test_a_typed_answer_is_refused_without_a_source() -> None:
    given = answers(project_slug="2048-game", __project_slug_default="example-pipeline-package")
    with pytest.raises(pre_gen.AnswerError) as caught:
        pre_gen.validate(given)
    assert "derived from" not in str(caught.value)


@pytest.mark.parametrize(
    ("version", "when"),
    [("3.10", "reached end of life"), ("3.0", "reached end of life"), ("3.16", "is not released yet")],
)
def test_unsupported_pythons_say_why(version: str, when: str) -> None:
    with pytest.raises(
        pre_gen.AnswerError, match=rf"^python_min='{re.escape(version)}' .*Python {version} {when};"
    ):
        pre_gen.validate(answers(python_min=version))


def test_python_bounds_follow_the_supported_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """The floor once lived apart from SUPPORTED_PYTHONS: 3.11 below a 3.12 floor was 'not released yet'."""
    monkeypatch.setattr(pre_gen, "SUPPORTED_PYTHONS", ("3.12", "3.13", "3.14"))
    with pytest.raises(
        pre_gen.AnswerError, match=re.escape("Python 3.11 reached end of life; one of 3.12, 3.13, 3.14") + "$"
    ):
        pre_gen.validate(answers(python_min="3.11", python_max="3.13"))
    with pytest.raises(pre_gen.AnswerError, match=re.escape("Python 3.15 is not released yet")):
        pre_gen.validate(answers(python_min="3.12", python_max="3.15"))


def author_header(name: str) -> Any:
    """`Author-email` as uv_build writes it, read by the standard library's RFC 5322 parser."""
    return email.policy.default.header_factory("To", f"{name} <you@example.com>")


def assert_header_holds(name: str) -> None:
    header = author_header(name)
    # Obsolete syntax is what RFC 5322 section 4 says every parser must still read: periods in a name.
    defects = [
        defect for defect in header.defects if not isinstance(defect, email.errors.ObsoleteHeaderDefect)
    ]
    assert defects == [], (name, defects)
    folded = re.sub(r"[ \t]+", " ", name)
    assert [(a.display_name, a.addr_spec) for a in header.addresses] == [(folded, "you@example.com")]
    # What PyPI reads the field with.
    assert email.utils.getaddresses([f"{name} <you@example.com>"]) == [(folded, "you@example.com")]


ACCEPTED_AUTHORS = [
    "Your Name",
    "O'Brien",
    "J. R. R. Tolkien",
    "Martin Luther King Jr.",
    "Zoë Müller-Lüdenscheidt",
    "山田 太郎",
    "Jane\tDoe",
    "#1 fan!",
    "a{b}c $x ~y",
]


@pytest.mark.parametrize("name", ACCEPTED_AUTHORS)
def test_accepted_author_names_make_a_valid_header(name: str) -> None:
    pre_gen.validate(answers(author_name=name))
    assert_header_holds(name)


@pytest.mark.parametrize("special", list('()<>[]:;@\\,"'))
def test_each_header_special_in_author_name_is_refused_by_name(
    special: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"Jane {special} Doe"
    assert author_header(name).defects or author_header(name).addresses[0].display_name != name
    assert pre_gen.main(json.dumps(answers(author_name=name))) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: author_name={name!r} is not accepted: a name without ")
    assert err.endswith(f"; it holds {special!r}\n")


def test_author_name_starting_with_a_period_is_refused() -> None:
    with pytest.raises(pre_gen.AnswerError, match=r"^author_name='\.NET Team' .*start with a period"):
        pre_gen.validate(answers(author_name=".NET Team"))


# Any characters, with the specials and periods drawn often.
author_names = st.lists(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from([*'()<>[]:;@\\,".', "'", " ", "\t"])),
    min_size=1,
    max_size=16,
).map("".join)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(name=author_names)
def test_any_accepted_author_name_makes_a_valid_header(name: str) -> None:
    try:
        pre_gen.check_author_name({"author_name": name})
    except pre_gen.AnswerError:
        return
    assert_header_holds(name)


def test_python_range_must_be_ordered() -> None:
    with pytest.raises(pre_gen.AnswerError, match=re.escape("no older than python_min='3.13'")):
        pre_gen.validate(answers(python_min="3.13", python_max="3.12"))


def test_proprietary_code_is_not_published_to_pypi() -> None:
    with pytest.raises(pre_gen.AnswerError, match=r"^publish='pypi'"):
        pre_gen.validate(answers(license="Proprietary", publish="pypi"))
    pre_gen.validate(answers(license="Proprietary", publish="private-index"))


@pytest.mark.parametrize("version", ["0.1.0", "1.0.0rc1", "2!1.0", "1.0.post1", "1.0.dev3", "10.20.30a4"])
def test_canonical_versions_are_accepted(version: str) -> None:
    pre_gen.validate(answers(version=version))


def test_every_file_and_job_the_manifest_names_is_in_the_template() -> None:
    project_template = TEMPLATE / "{{cookiecutter.__project_dir}}"
    for option in OPTIONS.values():
        for bundle in option.adds:
            assert set(bundle.when) <= set(option.values), (option.name, bundle.when)
            for relative in bundle.files:
                path = project_template / relative.format(package_name="{{cookiecutter.package_name}}")
                assert path.exists(), relative
            for workflow, jobs in bundle.jobs.items():
                defined = yaml.safe_load((project_template / workflow).read_text("utf-8"))["jobs"]
                assert set(jobs) <= set(defined), (workflow, jobs)
            if bundle.hooks:
                config = yaml.safe_load((project_template / ".pre-commit-config.yaml").read_text("utf-8"))
                defined_hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
                assert set(bundle.hooks) <= defined_hooks, bundle.hooks


def test_refusals_name_real_options_and_values() -> None:
    for rule in manifest.refusals(OPTIONS):
        assert set(rule.when) <= set(OPTIONS[rule.option].values), rule
        for other, values in rule.with_.items():
            # A free-text Python line is named by a value the hook accepts for it.
            accepted = OPTIONS[other].values or (
                pre_gen.SUPPORTED_PYTHONS if other.startswith("python_") else ()
            )
            assert set(values) <= set(accepted), rule
        assert rule.reason


def test_the_tests_refuse_exactly_what_the_hook_refuses() -> None:
    """support.options.is_valid and the hook agree on every combination of closed answers."""
    names = list(CHOICES)
    for row in itertools.product(*CHOICES.values()):
        given = answers(**dict(zip(names, row, strict=True)))
        try:
            pre_gen.check_combinations(given)
            refused = False
        except pre_gen.AnswerError:
            refused = True
        assert refused is not is_valid(given), row


def test_refusals_list_choices_in_the_prompts_order_though_the_answers_arrive_sorted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cookiecutter's tojson sorts keys: the order the prompt shows must not depend on them."""
    assert pre_gen.main(json.dumps(answers(publish="testpypi"), sort_keys=True)) == 1
    assert capsys.readouterr().err.endswith("is not accepted: one of pypi, private-index, none\n")


def test_a_replayed_manifest_must_be_the_templates(tmp_path: Path) -> None:
    pre_gen.validate(answers(_repo_dir=str(TEMPLATE)))
    edited = json.loads(json.dumps(COOKIECUTTER_JSON["_options"]))
    del edited["notifications"]["adds"][0]["jobs"]
    with pytest.raises(pre_gen.AnswerError, match=r"^_options='\(from the replay file\)' is not accepted"):
        pre_gen.validate(answers(_repo_dir=str(TEMPLATE), _options=edited))
    # Without a template folder to compare with (cruft), there is nothing to check.
    pre_gen.validate(answers(_repo_dir=str(tmp_path), _options=edited))
    pre_gen.validate(answers(_options=edited))


def test_paths_follow_answers() -> None:
    everything_on = answers(
        kind="service",
        cli="argparse",
        codecov=True,
        notifications="slack",
        template_sync=True,
        publish="pypi",
        container="ghcr+deploy",
        database="postgresql",
        docs="github-pages",
    )
    # Publishing to PyPI leaves out only the other publishing target's environment.
    assert post_gen.paths_to_remove(everything_on) == [".github/environments/private-index.json"]
    assert post_gen.jobs_to_remove(everything_on) == {
        ".github/workflows/release.yml": ["publish-private-index"]
    }
    assert post_gen.hooks_to_remove(everything_on) == []
    assert post_gen.hooks_to_remove(answers()) == ["hadolint"]
    removed = post_gen.paths_to_remove(answers(cli="none", codecov=False))
    assert "src/example_pipeline_package/cli.py" in removed
    assert "src/example_pipeline_package/serve.py" in removed
    assert "codecov.yml" in removed
    assert post_gen.jobs_to_remove(answers(publish="none", notifications="none", container="ghcr")) == {
        ".github/workflows/release.yml": [
            "publish-testpypi",
            "smoke-test",
            "publish",
            "publish-private-index",
            "deploy-staging",
            "deploy-production",
            "notify",
        ],
        ".github/workflows/ci.yml": [
            "publish-dev-image",
            "deploy-development",
            "integration",
            "notify",
            "docs",
            "publish-docs",
        ],
        ".github/workflows/deploy.yml": ["notify"],
        ".github/workflows/security.yml": ["notify"],
        ".github/workflows/template-sync.yml": ["notify"],
    }
    # compose.yaml needs a service, its image and a database: any one missing removes it.
    for missing_one in ({"kind": "command-line-tool"}, {"container": "none"}, {"database": "none"}):
        given = {"kind": "service", "container": "ghcr", "database": "postgresql", **missing_one}
        assert "compose.yaml" in post_gen.paths_to_remove(answers(**given)), missing_one


WORKFLOW = """\
name: W
on: push
jobs:
  a:
    runs-on: x
    steps: [{run: a}]

  # About b.
  b:
    needs: a
    runs-on: x
    steps: [{run: b}]

  c:
    needs: [a, b]
    runs-on: x
    steps: [{run: c}]
"""


def test_a_removed_job_goes_with_its_comment_and_from_every_needs_list() -> None:
    assert post_gen.without_jobs(WORKFLOW, ["b"]) == WORKFLOW.replace(
        "  # About b.\n  b:\n    needs: a\n    runs-on: x\n    steps: [{run: b}]\n\n", ""
    ).replace("needs: [a, b]", "needs: [a]")
    last = post_gen.without_jobs(WORKFLOW, ["c"])
    assert last.endswith("steps: [{run: b}]\n")
    assert list(yaml.safe_load(last)["jobs"]) == ["a", "b"]


def test_a_kept_job_reading_a_removed_one_is_a_template_bug() -> None:
    reads = WORKFLOW.replace("needs: [a, b]", "needs: [a, b]\n    if: needs.b.result == 'success'")
    with pytest.raises(post_gen.ManifestError, match=r"still reads needs\.b"):
        post_gen.without_jobs(reads, ["b"])


def test_a_kept_job_reading_a_job_whose_name_extends_a_removed_one_is_fine() -> None:
    # needs.b-image is another job: removing b must not mistake it for needs.b.
    extended = WORKFLOW + "\n  b-image:\n    runs-on: x\n    steps: [{run: d}]\n"
    reads = extended.replace(
        "needs: [a, b]", "needs: [a, b, b-image]\n    if: needs.b-image.result == 'success'"
    )
    left = post_gen.without_jobs(reads, ["b"])
    assert "needs: [a, b-image]" in left
    assert "if: needs.b-image.result == 'success'" in left


def test_line_endings_stay_the_checkouts(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    crlf = WORKFLOW.replace("\n", "\r\n").encode()
    (workflows / "w.yml").write_bytes(crlf)
    (workflows / "lf.yml").write_bytes(WORKFLOW.encode())
    post_gen.remove_jobs(tmp_path, {".github/workflows/w.yml": ["b"], ".github/workflows/lf.yml": ["b"]})
    rewritten, lf = (workflows / "w.yml").read_bytes(), (workflows / "lf.yml").read_bytes()
    assert rewritten.count(b"\n") == rewritten.count(b"\r\n") > 0
    assert b"\r" not in lf
    assert rewritten.replace(b"\r\n", b"\n") == lf


def test_jobs_are_removed_only_from_the_projects_workflows(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "victim.yml").write_text(WORKFLOW)
    for outside in ("../victim.yml", ".github/workflows/../../../victim.yml", "victim.yml"):
        with pytest.raises(post_gen.ManifestError):
            post_gen.remove_jobs(project, {outside: ["c"]})
    assert (tmp_path / "victim.yml").read_text() == WORKFLOW


def test_a_workflow_left_using_a_removed_file_fails_the_bake(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("jobs:\n  n:\n    uses: ./.github/workflows/notify.yml\n")
    still = re.escape("ci.yml still uses ./.github/workflows/notify.yml")
    with pytest.raises(post_gen.ManifestError, match=still):
        post_gen.check_local_uses(tmp_path)
    (workflows / "notify.yml").write_text("on: workflow_call\n")
    post_gen.check_local_uses(tmp_path)


def test_a_job_left_needing_only_removed_jobs_is_a_template_bug() -> None:
    with pytest.raises(post_gen.ManifestError, match="'b' needs only removed jobs"):
        post_gen.without_jobs(WORKFLOW, ["a"])
    block = WORKFLOW.replace("needs: [a, b]", "needs:\n      - a\n      - b")
    with pytest.raises(post_gen.ManifestError, match="one-line"):
        post_gen.without_jobs(block, ["b"])


def test_a_manifest_naming_a_job_the_workflow_lacks_fails_the_bake_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(WORKFLOW.replace("needs: [a, b]", "needs: [b]"))
    broken = json.loads(json.dumps(COOKIECUTTER_JSON["_options"]))
    broken["notifications"]["adds"][0]["jobs"] = {".github/workflows/ci.yml": ["b"]}
    assert post_gen.main(json.dumps(answers(_options=broken)), tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "error: the template's workflows and _options disagree: job 'c' needs only removed jobs"
    )


def test_remove_is_idempotent_and_stays_inside(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.txt").write_text("x")
    (tmp_path / "g.txt").write_text("y")
    assert post_gen.remove(tmp_path, ["a", "g.txt"]) == ["a", "g.txt"]
    assert post_gen.remove(tmp_path, ["a", "g.txt"]) == []
    with pytest.raises(ValueError, match="outside the project"):
        post_gen.remove(tmp_path, ["../elsewhere"])


def test_post_gen_main_twice_is_a_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "codecov.yml").write_text("x")
    given = json.dumps(answers(codecov=False))
    assert post_gen.main(given, tmp_path) == 0
    assert post_gen.main(given, tmp_path) == 0
    assert not (tmp_path / "codecov.yml").exists()
    out = capsys.readouterr().err
    assert "uv sync" in out
    assert "cruft link" in out


def test_next_steps_lock_before_the_first_commit_then_push() -> None:
    """The printed steps a user (and the rehearsal) follows: uv.lock exists before `git add`."""
    text = post_gen.next_steps(answers(github_owner="octo"))
    local, link, push = ([command_of(step) for step in block] for block in command_blocks(text))
    assert local == [
        "cd example-pipeline-package",
        "git init -b main",
        "uv sync",
        "uv run pre-commit install",
        "uv run pytest",
        "git add -A",
        "git commit -m 'Start from cookiecutter-python-pipeline'",
    ]
    # Each a command line of its own, so none is copied with a sentence's full stop.
    assert push == [
        "gh repo create octo/example-pipeline-package --public",
        "git remote add origin https://github.com/octo/example-pipeline-package.git",
        "git push -u origin main",
    ]
    # Run by hand, the hook does not know the template: the link step says what to fill in.
    assert link == [
        "uvx cruft link <template-url> --checkout <tag-or-commit>",
        "git -C example-pipeline-package add .cruft.json",
        "git -C example-pipeline-package commit -m 'Link the project to its template'",
    ]
    # Every prose line starts at the margin, so no sentence is mistaken for a command.
    prose = [line for line in text.splitlines() if not line.startswith("  ")]
    assert prose[0] == "Created example-pipeline-package. Next steps:"
    assert "Then follow docs/deployment.md, from its first step." in prose
    # The link is committed before the push: later, it would reach main only by a pull request.
    shown = text.splitlines()
    assert shown.index(
        "  git -C example-pipeline-package commit -m 'Link the project to its template'"
    ) < next(number for number, line in enumerate(shown) if line.startswith("  git remote add origin"))
    assert not [line for line in prose if line.startswith("Warning: github_owner")]


def test_next_steps_name_the_folder_cookiecutter_wrote_and_the_answers_to_link_with() -> None:
    given = answers(
        _template="gh:octo/cookiecutter-python-pipeline",
        _checkout="v1.2.0",
        _output_dir="/home/me/my code",
        cli="typer",
        description="Tab\there, ünï and \u202e",
    )
    text = post_gen.next_steps(given)
    local, link, _ = command_blocks(text)
    assert local[0] == "cd '/home/me/my code/example-pipeline-package'"
    command, add, commit = link
    words = shlex.split(command)
    project = "/home/me/my code/example-pipeline-package"
    url = "https://github.com/octo/cookiecutter-python-pipeline.git"
    assert words[:8] == ["uvx", "cruft", "link", url, "--project-dir", project, "--checkout", "v1.2.0"]
    assert words[8:10] == ["--no-input", "--extra-context"]
    assert command.isascii()
    assert shlex.split(add) == ["git", "-C", project, "add", ".cruft.json"]
    assert shlex.split(commit)[:4] == ["git", "-C", project, "commit"]
    recorded = json.loads(words[10])
    assert recorded == {field: given[field] for field in OPTIONS}
    # Under cruft the project is linked already: no link step.
    assert len(command_blocks(post_gen.next_steps({**given, "_commit": "abc"}))) == 2


def test_next_steps_flag_the_placeholder_github_owner() -> None:
    text = post_gen.next_steps(answers())
    warnings = [line for line in text.splitlines() if line.startswith("Warning:")]
    # Author details a release would publish for good are flagged too.
    assert [line.split(" ")[1] for line in warnings] == ["github_owner", "author_name", "author_email"]
    assert not [
        line
        for line in post_gen.next_steps(
            answers(github_owner="o", author_name="A", author_email="a@b.c")
        ).splitlines()
        if line.startswith("Warning:")
    ]
    warning = warnings[0]
    assert "'your-github-name'" in warning
    assert "github_owner=" in warning


@pytest.mark.parametrize(
    ("slug", "cli", "distribution"),
    [
        ("pytest", "argparse", "pytest"),
        ("pytest-cov", "none", "pytest-cov"),
        ("pre-commit", "argparse", "pre-commit"),
        ("rich", "typer", "rich"),
    ],
)
def test_a_slug_named_like_a_distribution_the_bake_installs_is_refused(
    slug: str, cli: str, distribution: str
) -> None:
    with pytest.raises(pre_gen.AnswerError) as caught:
        pre_gen.check_slug({"project_slug": slug, "cli": cli})
    assert str(caught.value) == (
        f"project_slug={slug!r} is not accepted: a name other than the project's own tools ({distribution}); "
        "uv cannot install a project named like one of its dependencies"
    )


def test_a_slug_named_like_a_typer_dependency_bakes_without_typer() -> None:
    pre_gen.check_slug({"project_slug": "rich", "cli": "argparse"})


@pytest.mark.parametrize("name", ["=?utf-8?q?Mallory=3Cevil=40x.com=3E?=", "Bob =?utf-8?q?=2C_Eve?="])
def test_an_author_name_holding_an_encoded_word_is_refused(name: str) -> None:
    with pytest.raises(pre_gen.AnswerError, match=r"encoded word"):
        pre_gen.check_author_name({"author_name": name})


def test_the_rerun_command_keeps_every_answer_that_is_not_a_default() -> None:
    given = answers(
        _template="gh:octo/cookiecutter-python-pipeline",
        _checkout="v1.0.0",
        _output_dir="/home/me/code",
        project_name='It\'s "Mine" $HOME `id` $(id) ;rm',
        project_slug="mine",
        package_name="mine",
        kind="library",
        cli="none",
        python_min="3.1",
        codecov=True,
    )
    [(label, command)] = pre_gen.rerun(given, "python_min").commands
    assert label == ""
    assert command[:8] == [
        "uvx",
        "cookiecutter",
        "gh:octo/cookiecutter-python-pipeline",
        "--checkout",
        "v1.0.0",
        "--output-dir",
        "/home/me/code",
        "--no-input",
    ]
    # cli=none is the library's default; project_slug differs from the one derived from the name.
    assert sorted(command[8:]) == sorted(
        [
            "codecov=yes",
            "kind=library",
            "package_name=mine",
            'project_name=It\'s "Mine" $HOME `id` $(id) ;rm',
            "project_slug=mine",
            "python_min=...",
        ]
    )
    assert shlex.split(shlex.join(command)) == command


def test_under_cruft_the_rerun_offers_create_and_update_at_the_same_commit() -> None:
    given = answers(
        _template="https://x-access-token:ghp_secret@example.com/t.git",
        _commit="abc123",
        license="Proprietary",
        publish="pypi",
    )
    [(new, create), (existing, update)] = pre_gen.rerun(given, "publish").commands
    assert "new project" in new
    assert "updated" in existing
    assert create[:7] == [
        "uvx",
        "cruft",
        "create",
        "https://example.com/t.git",
        "--checkout",
        "abc123",
        "--no-input",
    ]
    assert create[7] == "--extra-context"
    assert json.loads(create[8]) == {"license": "Proprietary", "publish": "..."}
    assert update == ["uvx", "cruft", "update", "--variables-to-update", '{"publish": "..."}']


def test_a_local_template_is_named_by_its_absolute_folder(tmp_path: Path) -> None:
    given = answers(_template=".", _repo_dir=str(TEMPLATE), version="v1")
    [(_, command)] = pre_gen.rerun(given, "version").commands
    assert command[2] == str(TEMPLATE)


@pytest.mark.parametrize(
    "value",
    ["tab\there", "esc\x1b[2Kgone", "bidi \u202eevil", "title\x1b]0;x\x07", "c1 \x9b31m", "nbsp\u00a0x"],
)
def test_no_command_is_printed_when_an_answer_would_not_show_as_typed(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The slug is refused first, so the later `version` was never checked: its escapes must not
    reach the terminal inside a command to copy."""
    given = answers(_template="t", project_slug="Bad_Slug", version=value)
    assert pre_gen.rerun(given, "project_slug").commands == []
    assert pre_gen.main(json.dumps(given)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: project_slug='Bad_Slug'")
    assert err.splitlines()[-1] == (
        "No command to bake again: version holds characters a terminal does not show as typed; "
        "correct it and bake again."
    )
    assert value not in err


def test_a_refused_replay_manifest_gets_no_command() -> None:
    assert pre_gen.rerun(answers(_template="t"), "_options") is None


def test_a_refusal_ends_in_the_reason_then_the_rerun_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert pre_gen.main(json.dumps(answers(_template="t", version="v1", _output_dir="/o"))) == 1
    error, intro, command = capsys.readouterr().err.splitlines()
    assert error.startswith("error: version='v1' is not accepted:")
    assert intro.startswith("To bake again with your other answers, replace the ... after version")
    assert shlex.split(command) == [
        "uvx",
        "cookiecutter",
        "t",
        "--output-dir",
        "/o",
        "--no-input",
        "version=...",
    ]
    # Without the template's name (a hook run by hand) only the reason is printed.
    assert pre_gen.rerun(answers(), "version") is None


def test_a_template_given_as_a_relative_path_is_printed_as_given() -> None:
    """cookiecutter passes `_repo_dir` as typed; the hooks run elsewhere, so `.` stays `.` and
    the commands are run where cookiecutter was."""
    given = answers(_template=".", _repo_dir=".", _output_dir="/w/out", version="v1")
    [(_, rerun)] = pre_gen.rerun(given, "version").commands
    assert rerun[2] == "."
    assert post_gen.link_command(given, "/w/out/example-pipeline-package")[3] == "."


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_the_link_names_the_commit_the_template_stood_at(tmp_path: Path) -> None:
    """Without `--checkout`, cookiecutter bakes whatever the template's checkout holds; the link
    must record that commit, not the default branch on the day the user runs it."""
    template = tmp_path / "template"
    template.mkdir()
    _git(template, "init", "-q", "-b", "main")
    (template / "cookiecutter.json").write_text("{}\n", encoding="utf-8")
    _git(template, "add", "-A")
    _git(template, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "one")
    first = _git(template, "rev-parse", "HEAD")
    given = answers(_template=str(template), _repo_dir=str(template), _output_dir="/w/out")

    def checkout() -> str | None:
        words = post_gen.link_command(given, "/w/out/example-pipeline-package")
        return words[words.index("--checkout") + 1] if "--checkout" in words else None

    assert checkout() == first  # a branch with a loose ref
    _git(template, "pack-refs", "--all")
    assert checkout() == first  # the same branch, packed
    _git(template, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "two")
    second = _git(template, "rev-parse", "HEAD")
    assert checkout() == second
    _git(template, "checkout", "-q", "--detach", first)
    assert checkout() == first  # detached, as cookiecutter --checkout leaves it
    worktree = tmp_path / "worktree"
    _git(template, "worktree", "add", "-q", "--detach", str(worktree), second)
    given = answers(_template=str(worktree), _repo_dir=str(worktree), _output_dir="/w/out")
    assert checkout() == second  # a worktree's .git is a file
    # A checkout the user named wins; a folder that is not a git checkout gives no commit.
    given = answers(_template=str(template), _repo_dir=str(template), _checkout="v1", _output_dir="/w/out")
    assert checkout() == "v1"
    given = answers(_template=str(tmp_path), _repo_dir=str(tmp_path), _output_dir="/w/out")
    assert checkout() is None
    assert "add --checkout" in post_gen.next_steps(given)
    assert post_gen.baked_commit(".") is None  # relative: where cookiecutter ran is unknown here


def test_a_link_to_a_local_folder_warns_that_the_weekly_sync_cannot_clone_it(tmp_path: Path) -> None:
    given = answers(_template=str(tmp_path), _repo_dir=str(tmp_path), _output_dir="/w/out")
    shown = post_gen.next_steps(given).splitlines()
    [warning] = [line for line in shown if "weekly template sync on GitHub cannot clone" in line]
    link = next(number for number, line in enumerate(shown) if line.startswith("  uvx cruft link"))
    assert shown.index(warning) < link, "said before the command, not after it is run"
    assert not [
        line
        for line in post_gen.next_steps({**given, "template_sync": False}).splitlines()
        if "cannot clone" in line
    ]
    url = answers(_template="gh:octo/t", _output_dir="/w/out")
    assert "cannot clone" not in post_gen.next_steps(url)


@pytest.mark.parametrize(
    ("origin", "printed"),
    [
        pytest.param(
            "https://user:secret@github.com/octo/tmpl.git", "https://github.com/octo/tmpl.git", id="https"
        ),
        pytest.param("git@github.com:octo/tmpl.git", "git@github.com:octo/tmpl.git", id="scp"),
        pytest.param("/srv/templates/tmpl", None, id="another-folder"),
    ],
)
def test_a_clone_of_a_published_template_is_linked_to_its_origin(
    tmp_path: Path, origin: str, printed: str | None
) -> None:
    """The README bakes from a clone: the link names the clone's origin (without credentials),
    which the weekly sync can clone, at the commit the clone stood at."""
    template = tmp_path / "template"
    template.mkdir()
    _git(template, "init", "-q", "-b", "main")
    _git(template, "remote", "add", "origin", origin)
    _git(template, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "one")
    given = answers(_template=str(template), _repo_dir=str(template), _output_dir="/w/out")
    words = post_gen.link_command(given, "/w/out/example-pipeline-package")
    assert words[3] == (printed or str(template))
    assert words[words.index("--checkout") + 1] == _git(template, "rev-parse", "HEAD")
    assert ("cannot clone" in post_gen.next_steps(given)) is (printed is None)
