"""The option manifest: `_options` in cookiecutter.json, the one place that says what a question is.

Each entry holds a question's prompt, its default or its choices (with their labels), the files
and workflow jobs each answer brings, the `[tool.pipeline]` key it writes, the combinations it
refuses with a reason each, and its row of the README's options table. The hooks read `_options`
from the context they are rendered with (cookiecutter and cruft both load every `_` key of
cookiecutter.json afresh, so a replay under `cruft update` follows the template it updates to).

Two things cannot read it at run time and are generated from it instead: the keys cookiecutter
itself prompts from (each question's default or choice list, and `__prompts__`) and the README's
options table. After editing `_options`, run

    uv run python tests/support/manifest.py --write

and the render tier fails while either copy differs from what this module generates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[2]
COOKIECUTTER_JSON = TEMPLATE / "cookiecutter.json"
README = TEMPLATE / "README.md"
TABLE_START = (
    "<!-- options table: generated from _options in cookiecutter.json by tests/support/manifest.py -->"
)
TABLE_END = "<!-- end of options table -->"


@dataclass(frozen=True)
class Bundle:
    """What an option brings when its answer is one of `when`: files, workflow jobs and
    hooks of .pre-commit-config.yaml."""

    when: tuple[Any, ...]
    files: tuple[str, ...]
    jobs: Mapping[str, tuple[str, ...]]
    hooks: tuple[str, ...] = ()
    # Other answers the bundle also needs (each: an option and the values of it that bring it).
    with_: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    def brought(self, answer: Any, answers: Mapping[str, Any] | None = None) -> bool:
        """Whether `answer` brings the bundle; one with `with_` only given `answers` that hold."""
        if answer not in self.when:
            return False
        if not self.with_:
            return True
        return answers is not None and all(answers.get(k) in v for k, v in self.with_.items())


@dataclass(frozen=True)
class Refusal:
    """`option` answered with one of `when` cannot go with answers that match every entry of
    `with_` (each entry: another option and the values of it refused, any one of them)."""

    option: str
    when: tuple[Any, ...]
    with_: Mapping[str, tuple[Any, ...]]
    reason: str


@dataclass(frozen=True)
class Option:
    name: str
    prompt: str
    raw: Mapping[str, Any]

    @property
    def kind(self) -> str:
        if "choices" in self.raw:
            return "choice"
        return "flag" if isinstance(self.raw["default"], bool) else "text"

    @property
    def values(self) -> list[Any]:
        """Every accepted answer of a choice or a flag, the default first; [] for free text."""
        if self.kind == "choice":
            return [value for value, _ in self.raw["choices"]]
        if self.kind == "flag":
            return [self.raw["default"], not self.raw["default"]]
        return []

    @property
    def default(self) -> Any:
        """The default of the first kind (the default kind), as a bake without answers gets it."""
        if "default_by_kind" in self.raw:
            return next(iter(self.raw["default_by_kind"].values()))
        return self.values[0] if self.values else self.raw["default"]

    def default_for(self, kind: str) -> Any:
        return self.raw.get("default_by_kind", {}).get(kind, self.default)

    @property
    def native_default(self) -> Any:
        """What cookiecutter.json holds: a choice list, a yes/no flag, or text (maybe Jinja).

        A choice whose default depends on the kind is asked as text with a Jinja default, since
        cookiecutter renders a choice list's items but matches command-line answers against the
        raw ones; the pre-gen hook checks the answer is one of the choices.
        """
        if "default_by_kind" in self.raw:
            mapping = json.dumps(self.raw["default_by_kind"], separators=(", ", ": "))
            return f"{{{{ {mapping}.get(cookiecutter.kind, {json.dumps(self.default)}) }}}}"
        if self.kind == "choice":
            return self.values
        return self.raw["default"]

    @property
    def adds(self) -> list[Bundle]:
        return [
            Bundle(
                when=tuple(bundle["when"]),
                files=tuple(bundle.get("files", ())),
                jobs={workflow: tuple(jobs) for workflow, jobs in bundle.get("jobs", {}).items()},
                hooks=tuple(bundle.get("hooks", ())),
                with_={other: tuple(values) for other, values in bundle.get("with", {}).items()},
            )
            for bundle in self.raw.get("adds", ())
        ]

    @property
    def refuses(self) -> list[Refusal]:
        return [
            Refusal(
                option=self.name,
                when=tuple(rule["when"]),
                with_={other: tuple(values) for other, values in rule["with"].items()},
                reason=rule["reason"],
            )
            for rule in self.raw.get("refuses", ())
        ]

    @property
    def pipeline(self) -> str | None:
        return self.raw.get("pipeline")

    def files_for(
        self, answer: Any, package_name: str = "{package_name}", answers: Mapping[str, Any] | None = None
    ) -> set[str]:
        """The files `answer` brings; those of bundles with `with_` only given `answers` that hold."""
        return {
            path.format(package_name=package_name)
            for bundle in self.adds
            if bundle.brought(answer, answers)
            for path in bundle.files
        }

    def jobs_for(self, answer: Any, answers: Mapping[str, Any] | None = None) -> set[tuple[str, str]]:
        return {
            (workflow, job)
            for bundle in self.adds
            if bundle.brought(answer, answers)
            for workflow, jobs in bundle.jobs.items()
            for job in jobs
        }


def load(path: Path = COOKIECUTTER_JSON) -> dict[str, Option]:
    data = json.loads(path.read_text("utf-8"))
    return {name: Option(name, entry["prompt"], entry) for name, entry in data["_options"].items()}


def refusals(options: Mapping[str, Option]) -> list[Refusal]:
    return [refusal for option in options.values() for refusal in option.refuses]


def native_keys(options: Mapping[str, Option]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What cookiecutter prompts from: each question's default or choice list, and `__prompts__`."""
    questions: dict[str, Any] = {}
    prompts: dict[str, Any] = {}
    for name, option in options.items():
        questions[name] = option.native_default
        if isinstance(option.native_default, list):
            prompts[name] = {"__prompt__": option.prompt, **dict(option.raw["choices"])}
        elif option.kind == "choice":
            # Typed, not picked from a numbered menu (its default follows another answer).
            *others, last = option.values
            prompts[name] = f"{option.prompt}: type {', '.join(others)} or {last}"
        else:
            prompts[name] = option.prompt
    return questions, prompts


def cookiecutter_json(text: str) -> str:
    """cookiecutter.json with its generated keys rewritten from `_options`, everything else kept."""
    data = json.loads(text)
    options = {name: Option(name, entry["prompt"], entry) for name, entry in data["_options"].items()}
    questions, prompts = native_keys(options)
    derived = {key: value for key, value in data.items() if key.startswith("__") and key != "__prompts__"}
    private = {key: value for key, value in data.items() if key.startswith("_") and not key.startswith("__")}
    generated = {**questions, **derived, "__prompts__": prompts, **private}
    return json.dumps(generated, indent=2, ensure_ascii=False) + "\n"


def _code(text: str) -> str:
    return f"`{text}`"


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table_row(option: Option, options: Mapping[str, Option]) -> str:
    readme = option.raw["readme"]
    if option.kind == "text":
        values = readme["values"]
        if "{{" not in str(option.default):
            values += f"; default {_code(option.default)}"
    else:
        values = ", ".join(_answer(value) for value in option.values)
        if "default_by_kind" in option.raw:
            by_kind = ", ".join(
                f"{kind}: {_answer(value)}" for kind, value in option.raw["default_by_kind"].items()
            )
            values += f" (default by kind: {by_kind})"
    changes = [readme["changes"]]
    for bundle in option.adds:
        answers = " or ".join(_answer(value) for value in bundle.when)
        brought = [_code(path.replace("{package_name}", "<package>")) for path in bundle.files]
        for workflow, jobs in bundle.jobs.items():
            noun = "job" if len(jobs) == 1 else "jobs"
            brought.append(f"{noun} {', '.join(map(_code, jobs))} of {_code(Path(workflow).name)}")
        if bundle.hooks:
            noun = "hook" if len(bundle.hooks) == 1 else "hooks"
            brought.append(f"the pre-commit {noun} {', '.join(map(_code, bundle.hooks))}")
        changes.append(f"{answers} adds {', '.join(brought)}")
    if option.pipeline:
        changes.append(f"{_code('[tool.pipeline] ' + option.pipeline)} says it to CI")
    for refusal in option.refuses:
        others = " and ".join(
            " or ".join(f"{other}={_answer(value)}" for value in values)
            for other, values in refusal.with_.items()
        )
        answers = " or ".join(_answer(value) for value in refusal.when)
        changes.append(f"{answers} is refused with {others}: {refusal.reason}")
    cells = [_code(option.name), values, "; ".join(changes)]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def options_table(options: Mapping[str, Option]) -> str:
    rows = [table_row(option, options) for option in options.values()]
    return "\n".join(["| question | values (default first) | what it changes |", "|---|---|---|", *rows])


def readme(text: str, options: Mapping[str, Option]) -> str:
    """README.md with the text between the table markers replaced by the generated table."""
    before, start, rest = text.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"README.md lacks the markers {TABLE_START!r} ... {TABLE_END!r}")
    return f"{before}{TABLE_START}\n{options_table(options)}\n{TABLE_END}{after}"


def stale(cookiecutter_path: Path = COOKIECUTTER_JSON, readme_path: Path = README) -> list[Path]:
    """The generated files that differ from what `_options` says."""
    options = load(cookiecutter_path)
    current = {
        cookiecutter_path: cookiecutter_json(cookiecutter_path.read_text("utf-8")),
        readme_path: readme(readme_path.read_text("utf-8"), options),
    }
    return [path for path, text in current.items() if path.read_text("utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated parts in place")
    args = parser.parse_args(argv)
    try:
        outdated = stale()
        if args.write:
            options = load()
            COOKIECUTTER_JSON.write_text(cookiecutter_json(COOKIECUTTER_JSON.read_text("utf-8")), "utf-8")
            README.write_text(readme(README.read_text("utf-8"), options), "utf-8")
    except (OSError, ValueError, KeyError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    for path in outdated:
        print(f"{'rewrote' if args.write else 'stale'}: {path.relative_to(TEMPLATE)}")
    return 0 if args.write or not outdated else 1


if __name__ == "__main__":
    sys.exit(main())
