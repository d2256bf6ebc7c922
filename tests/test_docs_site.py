"""The documentation site of a `docs=github-pages` bake: built as its CI builds it, broken on
purpose, and opened in a real browser.

The `project` tests build a fresh bake's site with the command its docs job runs (every warning an
error) and check that a broken link, a broken anchor, a missing page and a public name without a
docstring each turn the build or the API check red, naming what is wrong. The `browser` tests serve
the built site on 127.0.0.1 and open it in Debian's chromium through Playwright: the home page
renders, the navigation reaches the API page, `greet` is documented there, and the site's search
finds it. Screenshots go to test-results/browser/<bake>/ on passes and failures alike.
"""

from __future__ import annotations

import ast
import functools
import http.server
import importlib
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Bake, Project
from support import markdown
from support.background import serving
from support.machine import need_python, need_tool
from support.options import TEMPLATE
from support.validators import TOOLS

SITE = "docs/_build/html"
# The command .github/workflows/docs.yml runs, and the API check after it.
BUILD = (
    "uv",
    "run",
    "--no-sync",
    "sphinx-build",
    "-E",
    "-W",
    "--keep-going",
    "-n",
    "-b",
    "html",
    "docs",
    SITE,
)
CHECK = ("uv", "run", "--no-sync", "python", ".github/scripts/docs_check.py", SITE)
PAGES = ("index", "api", "deployment", "contributing", "changelog")
SCREENSHOTS = TEMPLATE / "test-results" / "browser"

BAKES: dict[str, dict[str, Any]] = {
    "library": {"kind": "library", "docs": "github-pages"},
    "service": {"kind": "service", "container": "ghcr", "database": "postgresql", "docs": "github-pages"},
}


def synced(bake: Bake, name: str, destination: Path) -> Project:
    """A private copy of the bake, synced with its `docs` group as the docs job syncs it."""
    project = bake(**BAKES[name]).copy_to(destination)
    python = need_python(project.answers["python_min"], "the bake's oldest Python, which its docs job uses")
    project.run("uv", "sync", "--python", python, "--no-default-groups", "--group", "docs")
    return project


def build(project: Project) -> tuple[int, str]:
    """Build the site as CI does; the exit status and everything Sphinx said."""
    shutil.rmtree(project.path / SITE, ignore_errors=True)
    done = project.run(*BUILD, check=False)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.render
@pytest.mark.parametrize("name", list(BAKES))
def test_the_pages_pass_the_bakes_markdown_lint(bake: Bake, name: str) -> None:
    """MyST's directive fences and include-only pages pass the rumdl hook every commit runs."""
    project = bake(**BAKES[name])
    done = subprocess.run(
        [str(TOOLS / "rumdl"), "check", "--no-cache", "."],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.render
@pytest.mark.parametrize("name", list(BAKES))
def test_only_the_publish_job_may_write_pages_and_it_runs_nothing_of_the_repository(
    bake: Bake, name: str
) -> None:
    project = bake(**BAKES[name])
    holders = [
        (workflow.name, job_id)
        for workflow in sorted((project.path / ".github" / "workflows").glob("*.yml"))
        for job_id, job in project.yaml(f".github/workflows/{workflow.name}")["jobs"].items()
        if "pages" in (job.get("permissions") or {})
    ]
    assert holders == [("ci.yml", "publish-docs")]
    jobs = project.yaml(".github/workflows/ci.yml")["jobs"]
    publish = jobs["publish-docs"]
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
    assert publish["environment"]["name"] == "github-pages"
    assert publish["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    [step] = publish["steps"]
    assert set(step) == {"name", "id", "uses", "with"}
    assert re.fullmatch(r"actions/deploy-pages@[0-9a-f]{40}", step["uses"])
    # The artifact of this run's docs job, named per attempt so a re-run can upload again.
    assert step["with"] == {"artifact_name": "${{ needs.docs.outputs.artifact }}"}
    assert set(publish["needs"]) == {"docs", "ci-passed"}
    for condition in (
        "vars.PAGES_ENABLED == 'true'",
        "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)",
        "needs.ci-passed.result == 'success'",
        "(!github.event.repository.private || vars.PAGES_PUBLISH_PRIVATE == 'true')",
    ):
        assert condition in publish["if"]
    # The site is in the gate: a broken link blocks the merge.
    assert "docs" in jobs["ci-passed"]["needs"]
    site_job = project.yaml(".github/workflows/docs.yml")["jobs"]["site"]
    assert site_job["permissions"] == {"contents": "read"}
    [upload] = [step for step in site_job["steps"] if "upload-pages-artifact@" in step.get("uses", "")]
    assert re.fullmatch(r"actions/upload-pages-artifact@[0-9a-f]{40}", upload["uses"])
    per_attempt = "github-pages-${{ github.run_attempt }}"
    assert upload["with"]["name"] == site_job["outputs"]["artifact"] == per_attempt
    # The job that builds what main publishes restores no cache another job could have saved.
    [setup] = [step for step in site_job["steps"] if "setup-python-uv" in step.get("uses", "")]
    assert setup["with"]["cache"] == "false"


@pytest.mark.render
def test_the_name_and_description_show_as_typed(bake: Bake) -> None:
    """The home page's title and the one Sphinx reads hold any name, markup characters and all."""
    name, description = 'Zo\u00eb\'s "Tool" \\ x *bold* <b>', "Parse *all* the <things> | fast"
    project = bake(kind="library", docs="github-pages", project_name=name, description=description)
    assert markdown.shown(project.text("docs/index.md"))[:2] == [("h1", name), ("p", description)]
    settings = ast.parse(project.text("docs/conf.py"))
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in settings.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in {"project", "author"}
    }
    assert values == {"project": name, "author": project.answers["author_name"]}


@pytest.mark.render
def test_the_pull_request_cost_counts_the_docs_job(bake: Bake) -> None:
    """ci_cost.py follows ci.yml's call into docs.yml (its python-version is fromJSON(...)[0]):
    the site costs one Linux job per pull request, and publishing none."""
    sys.path.insert(0, str(TEMPLATE / "benchmarks"))
    try:
        ci_cost = importlib.import_module("ci_cost")
    finally:
        sys.path.remove(str(TEMPLATE / "benchmarks"))
    project = bake(**BAKES["library"])
    (pull_request,) = ci_cost.measure(project.path, [ci_cost.EVENTS["pull_request"]], private=False)
    ran = [job.path for job in pull_request.ran.ran]
    assert "ci/docs/site" in ran
    assert not any("publish-docs" in path for path in ran)


@pytest.mark.project
def test_a_fresh_bake_builds_strictly_with_every_page(bake: Bake, tmp_path: Path) -> None:
    project = synced(bake, "library", tmp_path / "project")
    started = time.perf_counter()
    status, said = build(project)
    seconds = time.perf_counter() - started
    assert status == 0, said
    print(f"figure: strict build of a fresh library bake's site: {seconds:.1f} s")
    site = project.path / SITE
    assert sorted(p.stem for p in site.glob("*.html") if p.stem in PAGES) == sorted(PAGES)
    checked = project.run(*CHECK)
    assert f"documents all 1 public names of {project.package}" in checked.stdout
    api = (site / "api.html").read_text(encoding="utf-8")
    # The Google sections of greet's docstring, rendered as fields, not as plain text.
    assert f'id="{project.package}.greet"' in api
    for field in ("Parameters", "Returns", "Raises"):
        assert re.search(rf">\s*{field}\s*<", api), field
    # The included README, contributing guide and changelog arrived with their text.
    assert "pip install" in (site / "index.html").read_text(encoding="utf-8")
    assert 'href="deployment.html#repository-policy"' in (site / "contributing.html").read_text("utf-8")
    assert "Unreleased" in (site / "changelog.html").read_text(encoding="utf-8")


@pytest.mark.project
def test_broken_links_pages_and_api_entries_fail_naming_the_place(bake: Bake, tmp_path: Path) -> None:
    project = synced(bake, "library", tmp_path / "project")
    contributing = project.path / "CONTRIBUTING.md"
    original = contributing.read_text(encoding="utf-8")

    # An anchor that no heading has, in a file the site includes from outside docs/.
    contributing.write_text(original.replace("#repository-policy", "#repository-polcy"), encoding="utf-8")
    status, said = build(project)
    line = next(n for n, text in enumerate(original.splitlines(), 1) if "#repository-policy" in text)
    assert status != 0
    # Sphinx names the line its paragraph starts on.
    reported = re.search(r"CONTRIBUTING\.md:(\d+): WARNING", said)
    assert reported, said
    assert line - 5 <= int(reported[1]) <= line, said
    assert "repository-polcy" in said
    contributing.write_text(original, encoding="utf-8")

    # A link to a page that does not exist.
    index = project.path / "docs" / "index.md"
    index_text = index.read_text(encoding="utf-8")
    index.write_text(index_text + "\nSee [the tutorial](tutorial.md).\n", encoding="utf-8")
    status, said = build(project)
    assert status != 0
    assert "tutorial.md" in said
    index.write_text(index_text, encoding="utf-8")

    # The API page itself missing: the navigation names a page that is gone.
    api = project.path / "docs" / "api.md"
    api_text = api.read_text(encoding="utf-8")
    api.unlink()
    status, said = build(project)
    assert status != 0
    assert "api" in said
    api.write_text(api_text, encoding="utf-8")

    # A public function without a docstring: autodoc leaves it out without a word, so the build
    # passes and the API check is what fails. Ruff's D rules say the same at lint time.
    greeting = project.path / "src" / project.package / "greeting.py"
    source = greeting.read_text(encoding="utf-8")
    start = source.index('    """Return a greeting')
    end = source.index('"""', start + 7) + 4
    greeting.write_text(source[:start] + source[end:], encoding="utf-8")
    status, said = build(project)
    assert status == 0, said
    checked = project.run(*CHECK, check=False)
    assert checked.returncode == 1
    assert f"{project.package}.greet is in __all__ but not on the API page" in checked.stdout
    # An anchor typed into the page is no documentation: the check reads Sphinx's inventory.
    api.write_text(api_text + f'\n<span id="{project.package}.greet"></span>\n', encoding="utf-8")
    status, said = build(project)
    assert status == 0, said
    assert project.run(*CHECK, check=False).returncode == 1
    api.write_text(api_text, encoding="utf-8")
    greeting.write_text(source, encoding="utf-8")

    # A list built in steps cannot be read without importing the package: refused, not skipped.
    init = project.path / "src" / project.package / "__init__.py"
    init_text = init.read_text(encoding="utf-8")
    init.write_text(init_text + '\n__all__ += ["greeting"]\n', encoding="utf-8")
    refused = project.run(*CHECK, check=False)
    assert refused.returncode == 1
    assert "write __all__ once" in refused.stdout
    init.write_text(init_text, encoding="utf-8")

    # An `automodule` that lost its `:members:` builds too, and the check catches it.
    api.write_text(api_text.replace("   :members:\n", ""), encoding="utf-8")
    status, said = build(project)
    assert status == 0, said
    assert project.run(*CHECK, check=False).returncode == 1
    api.write_text(api_text, encoding="utf-8")

    # The home page is the README between two comments, not between two headings: a heading
    # renamed `## Installation` leaves no stray text, and a comment deleted fails the build.
    readme = project.path / "README.md"
    readme_text = readme.read_text(encoding="utf-8")
    readme.write_text(readme_text.replace("## Install\n", "## Installation\n"), encoding="utf-8")
    status, said = build(project)
    assert status == 0, said
    home = (project.path / SITE / "index.html").read_text(encoding="utf-8")
    assert "pip install" in home
    shown = re.sub(r"<[^>]*>", " ", home)
    assert "ation" not in shown.replace("Navigation", "").replace("navigation", "")
    # Nothing of the comments themselves either.
    for fragment in ("--&gt;", "\u2013&gt;", "docs/index.md", "keep this comment"):
        assert fragment not in shown, fragment
    readme.write_text(readme_text.replace("ends here: keep this comment", "ends here"), encoding="utf-8")
    status, said = build(project)
    assert status != 0
    assert "ends here: keep this comment" in said, said
    readme.write_text(readme_text, encoding="utf-8")


@pytest.mark.project
def test_other_packages_types_pass_and_a_reference_to_a_missing_own_object_fails(
    bake: Bake, tmp_path: Path
) -> None:
    """A typed public function (pathlib.Path) builds offline; a docstring that names an object
    of the package that does not exist still fails the build."""
    project = synced(bake, "library", tmp_path / "project")
    package = project.path / "src" / project.package
    (package / "names.py").write_text(
        '"""Names read from a file."""\n\nfrom pathlib import Path\n\n\n'
        "def load_names(path: Path) -> list[str]:\n"
        '    """Read one name per line, as :func:`REFERENCE` expects them.\n\n'
        "    Args:\n        path: The file.\n\n    Returns:\n        The names.\n"
        '    """\n    return path.read_text(encoding="utf-8").split()\n',
        encoding="utf-8",
    )
    init = package / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8")
        .replace("from importlib.metadata import version\n", "from importlib.metadata import version\n\n"
                 f"from {project.package}.names import load_names\n")
        .replace('__all__ = ["__version__", "greet"]', '__all__ = ["__version__", "greet", "load_names"]'),
        encoding="utf-8",
    )  # fmt: skip
    names = package / "names.py"
    text = names.read_text(encoding="utf-8")
    names.write_text(text.replace("REFERENCE", f"{project.package}.greet"), encoding="utf-8")
    status, said = build(project)
    assert status == 0, said
    assert "documents all 2 public names" in project.run(*CHECK).stdout

    names.write_text(text.replace("REFERENCE", f"{project.package}.great"), encoding="utf-8")
    status, said = build(project)
    assert status != 0
    assert f"{project.package}.great" in said


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, driven by Playwright; `playwright install` never runs."""
    executable = need_tool("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the suite runs as root in CI, where chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.browser
@pytest.mark.parametrize("name", list(BAKES))
def test_the_site_works_in_a_browser(bake: Bake, browser: Any, name: str, tmp_path: Path) -> None:
    project = synced(bake, name, tmp_path / "project")
    status, said = build(project)
    assert status == 0, said
    shots = SCREENSHOTS / name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    handler = functools.partial(_QuietHandler, directory=str(project.path / SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    started = time.perf_counter()
    with serving(server, "docs-site") as port:
        origin = f"http://127.0.0.1:{port}"
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        # The site must stand alone: any request off this server (fonts, scripts from a CDN) is
        # refused, and the test fails naming it.
        elsewhere: list[str] = []

        def route(target: Any) -> None:
            if target.request.url.startswith(origin + "/"):
                target.continue_()
            else:
                elsewhere.append(target.request.url)
                target.abort()

        context.route("**/*", route)
        page = context.new_page()
        try:
            page.goto(f"{origin}/index.html")
            assert page.title().startswith(project.answers["project_name"])
            page.get_by_role("heading", name="Install").wait_for()
            navigation = page.locator(".sidebar-tree")
            for title in ("API reference", "Deployment guide", "Changelog"):
                assert navigation.get_by_role("link", name=title).count() == 1, title
            page.screenshot(path=str(shots / "home.png"), full_page=True)

            navigation.get_by_role("link", name="API reference").click()
            page.wait_for_url(f"{origin}/api.html")
            entry = page.locator(f"[id='{project.package}.greet']")
            assert "greet(name='world')" in entry.inner_text()
            assert "Who to greet" in page.locator("dl.py.function").first.inner_text()
            page.screenshot(path=str(shots / "api.png"), full_page=True)

            page.get_by_placeholder("Search").fill("greet")
            page.keyboard.press("Enter")
            hit = page.locator("#search-results a[href*='api.html']").first
            hit.wait_for()
            page.screenshot(path=str(shots / "search.png"), full_page=True)
            hit.click()
            page.wait_for_url(re.compile(r".*/api\.html.*"))
        finally:
            # Where the page stood when the test ended: after a failure, what went wrong.
            page.screenshot(path=str(shots / "last.png"), full_page=True)
            context.close()
    seconds = time.perf_counter() - started
    print(f"figure: browser checks of the {name} site: {seconds:.1f} s; screenshots in {shots}")
    assert elsewhere == [], f"the site asked for resources off its own server: {elsewhere}"
