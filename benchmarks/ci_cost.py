"""CI cost: the jobs a baked project's workflows run per event, in weighted runner minutes.

Bakes the template (`--option key=value` overrides; by default test_os=linux-macos-windows) or
reads an existing bake (`--project`), then for each event (a pull request into main, a push to
main, a tag `v*`) works out from the YAML alone:

* which workflows the event triggers, from their `on:`. A workflow whose trigger has a `paths`
  filter (security.yml) is counted on its own row: it runs only when those files change.
  Path filters are ignored for tag pushes, as GitHub does.
* which jobs run. The `plan` job's outputs are what the baked `.github/scripts/ci_plan.py
  --event <event>` prints (any job whose step runs ci_plan.py gets them), so `fromJSON(needs.plan
  .outputs.os)` and friends are evaluated, not guessed. Every `strategy.matrix` is expanded
  (include/exclude too); `uses: ./.github/workflows/X.yml` is followed into the called workflow
  with the caller's `with:` as its inputs, once per caller matrix combination.
* on which OS, from `runs-on` after expressions are evaluated (matrix and inputs included).

`if:` conditions are evaluated by a small GitHub-expression evaluator over a modelled context:
the event name and ref; a public repository (`--private` to flip); a pull request with no labels;
every job that runs succeeds (always() and success() true, failure() and cancelled() false);
the callers' inputs and the plan outputs. Everything else (secrets, vars, step outputs, other
jobs' outputs) is UNKNOWN, and the rule is: a job is skipped only when its condition is
definitely false under that model; an unknown condition counts the job as running, because it
costs minutes whenever it can run. A job that needs a skipped job is skipped unless its `if:`
calls always(), cancelled() or failure(), as on GitHub. So conditions on secrets or runtime
state never skip a job here; none of the baked workflows puts a secret in a job-level `if:`.

Cost model: every job takes the same `--minutes` (default 1, GitHub's billing minimum per
job), weighted per runner OS: Linux 1, Windows 2, macOS 10. Runner labels containing
"windows" or "macos" are those; anything else counts as Linux (flagged when it is not a
ubuntu/linux label).

Seed 000's design is a documented constant (SEED_000_PULL_REQUEST). Target: our pull request
cost at most a quarter of seed 000's, while a push to main runs the full test matrix.

Usage: uv run python benchmarks/ci_cost.py [--option key=value ...] [--project PATH] [--minutes 1]
"""

from __future__ import annotations

import argparse
import fnmatch
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from _support import bake, child_env
from support.options import CHOICES

WEIGHTS = {"Linux": 1, "Windows": 2, "macOS": 10}
DEFAULT_OPTIONS = {"test_os": "linux-macos-windows"}
TARGET_RATIO = 0.25

# Seed 000, /work/shared/seeds/000_204af99e76315fbf.txt: what its design runs on every pull
# request. test.yml's matrix, 3 OS x Python 3.10/3.11/3.12, plus quality.yml's four jobs and
# build.yml's build and 2-installer test-install, all on ubuntu-latest. Conservative on purpose:
# the seed's test.yml is also triggered by pull_request itself while ci.yml calls it, so a real
# pull request there runs the 9-job matrix twice, and ci.yml's `notify` (if: always()) adds one
# more Linux job; neither is counted, which can only make our ratio look worse.
SEED_000_PULL_REQUEST: dict[str, str] = {
    **{
        f"test ({runner}, {python})": os_name
        for runner, os_name in (
            ("ubuntu-latest", "Linux"),
            ("macos-latest", "macOS"),
            ("windows-latest", "Windows"),
        )
        for python in ("3.10", "3.11", "3.12")
    },
    "lint-and-format": "Linux",
    "type-check": "Linux",
    "security-scan": "Linux",
    "changelog-check": "Linux",
    "build": "Linux",
    "test-install (pip)": "Linux",
    "test-install (uv)": "Linux",
}


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    name: str
    ref: str
    plan_event: str


EVENTS = {
    "pull_request": Event(
        "pull_request", "pull request", "pull_request", "refs/pull/1/merge", "pull_request"
    ),
    "push": Event("push", "push to main", "push", "refs/heads/main", "push"),
    "tag": Event("tag", "tag v*", "push", "refs/tags/v1.2.3", "push"),
    "merge_group": Event(
        "merge_group", "merge queue", "merge_group", "refs/heads/gh-readonly-queue/main/pr-1", "merge_group"
    ),
}
DEFAULT_EVENTS = ["pull_request", "push", "tag"]
BASE_BRANCH = "main"


# --- A GitHub expression evaluator, just large enough for if:, runs-on, with: and matrix values.


class _Unknown:
    """A value the model cannot know (secrets, vars, outputs of steps): it never decides a branch."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])|(?P<ident>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = re.compile(r"\b(always|cancelled|failure)\s*\(", re.IGNORECASE)
WHOLE = re.compile(r"\s*\$\{\{(.*)\}\}\s*", re.DOTALL)
EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def as_number(value: Any) -> float:
    """GitHub's coercion when two sides of a comparison differ in type."""
    if value is None:
        return 0.0
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip() or 0)
        except ValueError:
            return math.nan
    return math.nan


def compare(op: str, left: Any, right: Any) -> Any:
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    elif type(left) is type(right) and not isinstance(left, list | dict):
        a, b = left, right
    elif isinstance(left, list | dict) or isinstance(right, list | dict):
        a, b = id(left), id(right)
    else:
        a, b = as_number(left), as_number(right)
    return {
        "==": lambda: a == b,
        "!=": lambda: a != b,
        "<": lambda: a < b,
        ">": lambda: a > b,
        "<=": lambda: a <= b,
        ">=": lambda: a >= b,
    }[op]()


def contains(haystack: Any, needle: Any) -> Any:
    if haystack is UNKNOWN or needle is UNKNOWN:
        return UNKNOWN
    if isinstance(haystack, list):
        return any(compare("==", item, needle) for item in haystack)
    return str(needle).casefold() in str(haystack if haystack is not None else "").casefold()


def holds_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_unknown(v) for v in value)
    return value is UNKNOWN


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "contains": contains,
    "startswith": lambda s, p: (
        UNKNOWN if UNKNOWN in (s, p) else to_string(s).casefold().startswith(to_string(p).casefold())
    ),
    "endswith": lambda s, p: (
        UNKNOWN if UNKNOWN in (s, p) else to_string(s).casefold().endswith(to_string(p).casefold())
    ),
    "fromjson": lambda s: UNKNOWN if s is UNKNOWN else json.loads(s),
    "tojson": lambda v: UNKNOWN if holds_unknown(v) else json.dumps(v),
    "format": lambda f, *a: (
        UNKNOWN if UNKNOWN in (f, *a) else re.sub(r"\{(\d+)\}", lambda m: to_string(a[int(m.group(1))]), f)
    ),
    "join": lambda v, sep=",": UNKNOWN if v is UNKNOWN else sep.join(map(to_string, v)),
    "hashfiles": lambda *_: UNKNOWN,
}


class Expression:
    """Recursive descent over one expression; `status` answers always()/success()/failure()/cancelled()."""

    def __init__(self, text: str, context: dict[str, Any], status: dict[str, bool]) -> None:
        self.tokens: list[tuple[str, str]] = []
        position, text = 0, text.strip()
        while position < len(text):
            match = TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"cannot read expression at {text[position:]!r}")
            kind = match.lastgroup
            assert kind is not None
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index, self.context, self.status = 0, context, status

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (op is not None and token != ("op", op)):
            raise ValueError(f"expected {op or 'a token'}, found {token}")
        self.index += 1
        return token

    def value(self) -> Any:
        result = self.disjunction()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()}")
        return result

    def disjunction(self) -> Any:
        left = self.conjunction()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conjunction()
            if left is UNKNOWN:
                # Unknown || truthy is truthy whichever side wins; otherwise nothing is known.
                left = right if right is not UNKNOWN and truthy(right) else UNKNOWN
            else:
                left = left if truthy(left) else right
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.negation()
            if left is UNKNOWN:
                left = right if right is not UNKNOWN and not truthy(right) else UNKNOWN
            else:
                left = right if truthy(left) else left
        return left

    def negation(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            operand = self.negation()
            return UNKNOWN if operand is UNKNOWN else not truthy(operand)
        return self.comparison()

    def comparison(self) -> Any:
        left = self.primary()
        token = self.peek()
        if token and token[0] == "op" and token[1] in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            return compare(token[1], left, self.primary())
        return left

    def primary(self) -> Any:
        kind, text = self.take()
        if (kind, text) == ("op", "("):
            inner = self.disjunction()
            self.take(")")
            return inner
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind != "ident":
            raise ValueError(f"unexpected {text!r}")
        literal = {"true": True, "false": False, "null": None}
        if text in literal:
            return literal[text]
        if self.peek() == ("op", "("):
            return self.call(text.lower())
        return self.path(text)

    def call(self, name: str) -> Any:
        self.take("(")
        args = []
        while self.peek() != ("op", ")"):
            args.append(self.disjunction())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        if name in self.status:
            return self.status[name]
        if name not in FUNCTIONS:
            raise ValueError(f"unknown function {name}()")
        return FUNCTIONS[name](*args)

    def path(self, root: str) -> Any:
        # A context the model leaves out (secrets, vars, steps, env, runner) is unknown; inside a
        # modelled context a missing key is null, as GitHub makes it.
        current: Any = self.context.get(root, UNKNOWN)
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                key: Any = self.take()[1]
            else:
                key = self.disjunction()
                self.take("]")
            current = self.step(current, key)
        return current

    @staticmethod
    def step(current: Any, key: Any) -> Any:
        if current is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        if isinstance(current, list) and key == "*":
            return current
        if isinstance(current, list) and isinstance(key, str):
            # After `*`, a property name maps over the items: labels.*.name is every label's name.
            return [Expression.step(item, key) for item in current]
        if isinstance(current, list) and isinstance(key, int):
            return current[key] if 0 <= key < len(current) else None
        if isinstance(current, dict):
            lowered = {str(k).casefold(): v for k, v in current.items()}
            return lowered.get(str(key).casefold())
        return None


def evaluate(text: str, context: dict[str, Any], status: dict[str, bool]) -> Any:
    return Expression(text, context, status).value()


def interpolate(value: Any, context: dict[str, Any], status: dict[str, bool]) -> Any:
    """Evaluate `${{ }}` in a YAML value: a whole-string expression keeps its type (a list, a bool)."""
    if isinstance(value, list):
        return [interpolate(item, context, status) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, context, status) for key, item in value.items()}
    if not isinstance(value, str) or "${{" not in value:
        return value
    if (whole := WHOLE.fullmatch(value)) and "${{" not in whole.group(1):
        return evaluate(whole.group(1), context, status)
    parts = [evaluate(m.group(1), context, status) for m in EMBEDDED.finditer(value)]
    if UNKNOWN in parts:
        return UNKNOWN
    values = iter(parts)
    return EMBEDDED.sub(lambda _: to_string(next(values)), value)


# --- Triggers.


@dataclass
class Trigger:
    workflow: str
    paths: list[str] | None  # None: every change of this kind triggers it


def on_block(workflow: dict[Any, Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True, {}))
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {key: {} for key in on}
    return {key: spec or {} for key, spec in on.items()}


def matches(patterns: list[str], name: str) -> bool:
    """GitHub's filter patterns in order, a later `!pattern` un-matching (fnmatch stands in for its glob)."""
    matched = False
    for pattern in patterns:
        if pattern.startswith("!"):
            if fnmatch.fnmatchcase(name, pattern[1:]):
                matched = False
        elif fnmatch.fnmatchcase(name, pattern):
            matched = True
    return matched


def passes(spec: dict[str, Any], kind: str, name: str) -> bool:
    if kind in spec:
        return matches(spec[kind], name)
    if f"{kind}-ignore" in spec:
        return not matches(spec[f"{kind}-ignore"], name)
    return True


def trigger(name: str, workflow: dict[Any, Any], event: Event) -> Trigger | None:
    on = on_block(workflow)
    if event.name not in on:
        return None
    spec = on[event.name]
    if event.name == "pull_request":
        types = spec.get("types")
        if types and not {"opened", "synchronize"} & set(types):
            return None
        if not passes(spec, "branches", BASE_BRANCH):
            return None
    elif event.name == "push":
        is_tag = event.ref.startswith("refs/tags/")
        ref_kind, other = ("tags", "branches") if is_tag else ("branches", "tags")
        ref_name = event.ref.split("/", 2)[2]
        has = {kind: kind in spec or f"{kind}-ignore" in spec for kind in ("branches", "tags")}
        # Filtering only one kind of ref means the other kind never triggers the workflow.
        if has[other] and not has[ref_kind]:
            return None
        if not passes(spec, ref_kind, ref_name):
            return None
        if is_tag:
            # GitHub does not evaluate path filters for tag pushes.
            return Trigger(name, None)
    elif event.name == "merge_group" and not passes(spec, "branches", BASE_BRANCH):
        return None
    if "paths" in spec or "paths-ignore" in spec:
        return Trigger(name, spec.get("paths") or [f"!{p}" for p in spec["paths-ignore"]])
    return Trigger(name, None)


# --- Jobs.


@dataclass
class Job:
    path: str
    os: str
    label: str


@dataclass
class Outcome:
    ran: list[Job] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.ran += other.ran
        self.skipped += other.skipped
        self.notes += other.notes


def runner_os(labels: Any, notes: list[str], where: str) -> str:
    if labels is UNKNOWN:
        notes.append(f"{where}: runs-on is unknown; counted as Linux")
        return "Linux"
    if isinstance(labels, dict):
        labels = labels.get("labels", labels.get("group", ""))
    text = " ".join(map(str, labels if isinstance(labels, list) else [labels])).casefold()
    if "windows" in text:
        return "Windows"
    if "macos" in text:
        return "macOS"
    if "ubuntu" not in text and "linux" not in text:
        notes.append(f"{where}: runner {text!r} is counted as Linux")
    return "Linux"


def expand(strategy: Any, context: dict[str, Any], status: dict[str, bool]) -> list[dict[str, Any]] | None:
    """The matrix combinations, with GitHub's include/exclude rules; None when they cannot be known."""
    if not strategy or "matrix" not in strategy:
        return [{}]
    matrix = interpolate(strategy["matrix"], context, status)
    if not isinstance(matrix, dict):
        return None
    include = matrix.pop("include", []) or []
    exclude = matrix.pop("exclude", []) or []
    if UNKNOWN in (include, exclude) or any(not isinstance(v, list) for v in matrix.values()):
        return None
    keys = list(matrix)
    combos: list[dict[str, Any]] = (
        [dict(zip(keys, row, strict=True)) for row in itertools.product(*matrix.values())] if keys else []
    )
    combos = [c for c in combos if not any(all(c.get(k) == v for k, v in ex.items()) for ex in exclude)]
    originals = [dict(c) for c in combos]
    for extra in include:
        fits = [
            c
            for c, original in zip(combos, originals, strict=True)
            if all(original[k] == v for k, v in extra.items() if k in original)
        ]
        for combo in fits:
            combo.update(extra)
        if not fits:
            combos.append(dict(extra))
            originals.append(dict(extra))
    return combos or [{}]


def plan_outputs(project: Path, event: Event) -> dict[str, str]:
    """What the plan job would output: the baked ci_plan.py's own answer for this event."""
    completed = subprocess.run(
        [sys.executable, ".github/scripts/ci_plan.py", "--event", event.plan_event],
        cwd=project,
        env=child_env({"GITHUB_OUTPUT": ""}),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"ci_plan.py --event {event.plan_event} failed:\n{completed.stderr}")
    return dict(line.split("=", 1) for line in completed.stdout.splitlines() if "=" in line)


class Model:
    """One baked project's workflows, evaluated for one event."""

    def __init__(self, project: Path, event: Event, private: bool) -> None:
        self.project, self.event = project, event
        self.plan = plan_outputs(project, event)
        self.plan_used = False
        pull_request = {"labels": [], "number": 1} if event.name == "pull_request" else None
        self.github = {
            "event_name": event.name,
            "ref": event.ref,
            "ref_name": event.ref.split("/", 2)[2],
            "ref_type": "tag" if event.ref.startswith("refs/tags/") else "branch",
            "base_ref": BASE_BRANCH if event.name == "pull_request" else "",
            "event": {"repository": {"private": private}, "pull_request": pull_request},
        }

    def load(self, relative: str) -> dict[Any, Any]:
        document: dict[Any, Any] = yaml.safe_load((self.project / relative).read_text(encoding="utf-8"))
        return document

    def workflow(self, relative: str, inputs: dict[str, Any], prefix: str) -> Outcome:
        document = self.load(relative)
        declared = (on_block(document).get("workflow_call") or {}).get("inputs") or {}
        values = {name: spec.get("default") for name, spec in declared.items()} | inputs
        jobs: dict[str, dict[str, Any]] = document.get("jobs", {})
        results: dict[str, dict[str, Any]] = {}
        outcome = Outcome()

        def settle(job_id: str) -> dict[str, Any]:
            if job_id in results:
                return results[job_id]
            job = jobs[job_id]
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else list(needs)
            needed = {n: settle(n) for n in needs}
            where = f"{prefix}{job_id}"
            condition = job.get("if")
            any_skipped = any(r["result"] != "success" for r in needed.values())
            status = {"always": True, "cancelled": False, "failure": False, "success": not any_skipped}
            context = {"github": self.github, "inputs": values, "needs": needed, "matrix": {}}
            runs: Any
            if any_skipped and not (isinstance(condition, str) and STATUS_FUNCTIONS.search(condition)):
                runs, reason = False, f"needs a skipped job ({', '.join(n for n in needs)})"
            elif condition is None:
                runs, reason = True, ""
            elif isinstance(condition, bool):
                runs, reason = condition, "if: false"
            else:
                text = str(condition)
                whole = WHOLE.fullmatch(text)
                runs = evaluate(whole.group(1) if whole else text, context, status)
                reason = f"if: {' '.join(text.split())}"
                if runs is UNKNOWN:
                    outcome.notes.append(f"{where}: `{reason}` is unknown here; counted as running")
                    runs = True
            if not truthy(runs):
                outcome.skipped.append(f"{where} ({reason})")
                results[job_id] = {"result": "skipped", "outputs": {}}
                return results[job_id]
            runs_plan = any("ci_plan.py" in str(step.get("run", "")) for step in job.get("steps", []))
            results[job_id] = {"result": "success", "outputs": dict(self.plan) if runs_plan else UNKNOWN}
            self.plan_used |= runs_plan
            combos = expand(job.get("strategy"), context, status)
            if combos is None:
                outcome.notes.append(f"{where}: matrix cannot be known; counted once")
                combos = [{}]
            for combo in combos:
                here = context | {"matrix": combo}
                tag = f"{where}({', '.join(map(to_string, combo.values()))})" if combo else where
                uses = job.get("uses")
                if uses and str(uses).startswith("./"):
                    called_inputs = interpolate(job.get("with", {}), here, status)
                    outcome.extend(self.workflow(str(uses)[2:], called_inputs, f"{tag}/"))
                elif uses:
                    outcome.notes.append(f"{tag}: remote reusable workflow {uses}; counted as one Linux job")
                    outcome.ran.append(Job(tag, "Linux", str(uses)))
                else:
                    labels = interpolate(job.get("runs-on"), here, status)
                    os_name = runner_os(labels, outcome.notes, tag)
                    outcome.ran.append(Job(tag, os_name, to_string(labels)))
            return results[job_id]

        for job_id in jobs:
            settle(job_id)
        return outcome


# --- Reporting.


@dataclass
class Row:
    label: str
    counts: Counter[str]

    def jobs(self) -> int:
        return sum(self.counts.values())

    def weighted(self, minutes: float) -> float:
        return minutes * sum(WEIGHTS[os_name] * n for os_name, n in self.counts.items())

    def markdown(self, minutes: float) -> str:
        c = self.counts
        return (
            f"| {self.label} | {self.jobs()} | {c['Linux']} | {c['Windows']} | {c['macOS']} "
            f"| {self.weighted(minutes):g} |"
        )


def parse_options(pairs: list[str], parser: argparse.ArgumentParser) -> dict[str, Any]:
    options: dict[str, Any] = dict(DEFAULT_OPTIONS)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            parser.error(f"--option takes key=value, not {pair!r}")
        # Yes/no options are booleans in cookiecutter.json; the hooks compare them as such.
        if key in CHOICES and isinstance(CHOICES[key][0], bool):
            options[key] = value.strip().lower() in ("1", "true", "yes", "y")
        else:
            options[key] = value
    return options


def bullet_jobs(outcome: Outcome, every: bool) -> Iterator[str]:
    """Skips and notes always (they are the model's judgement calls); the jobs that ran on request."""
    for job in outcome.ran if every else []:
        yield f"  - [{job.os}] {job.path}"
    for skipped in outcome.skipped:
        yield f"  - skipped: {skipped}"
    for note in outcome.notes:
        yield f"  - note: {note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Weights: Linux 1, Windows 2, macOS 10 per job-minute. "
        f"Target: pull request cost <= {TARGET_RATIO:g} x seed 000's; push to main runs the full matrix.",
    )
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an answer to bake with, over cookiecutter.json's defaults; test_os=linux-macos-windows "
        "unless given (repeatable)",
    )
    parser.add_argument("--project", type=Path, help="read this baked project instead of baking one")
    parser.add_argument("--minutes", type=float, default=1.0, help="minutes every job takes (default 1)")
    parser.add_argument(
        "--event",
        action="append",
        choices=list(EVENTS),
        help=f"events to cost (repeatable; default {', '.join(DEFAULT_EVENTS)})",
    )
    parser.add_argument("--private", action="store_true", help="model a private repository")
    parser.add_argument("--jobs", action="store_true", help="also list every job per event")
    args = parser.parse_args(argv)
    events = [EVENTS[key] for key in (args.event or DEFAULT_EVENTS)]

    with tempfile.TemporaryDirectory(prefix="ci-cost-") as tmp:
        if args.project:
            project, described = args.project.resolve(), f"existing project {args.project}"
        else:
            options = parse_options(args.option, parser)
            project, described = bake(Path(tmp), options), f"a fresh bake with {options}"
        report(project, described, events, args)
    return 0


def report(project: Path, described: str, events: list[Event], args: argparse.Namespace) -> None:
    workflows = {
        p.name: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((project / ".github/workflows").glob("*.y*ml"))
    }
    pipeline = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    print(f"# CI cost of {described}")
    print()
    print(
        f"model: every job {args.minutes:g} min; weights {WEIGHTS}; repository "
        f"{'private' if args.private else 'public'}; every job that runs succeeds"
    )

    rows: list[Row] = []
    details: list[str] = []
    triggers_md = ["| event | workflows that always run | only when their paths change |", "|---|---|---|"]
    pr_cost: dict[str, float] = {}
    full_matrix_on_push: tuple[int, int] | None = None
    for event in events:
        model = Model(project, event, args.private)
        fired = [t for name, wf in workflows.items() if (t := trigger(name, wf, event))]
        always = [t for t in fired if t.paths is None]
        filtered = [t for t in fired if t.paths is not None]
        triggers_md.append(
            f"| {event.label} | {', '.join(t.workflow for t in always) or '-'} | "
            + (", ".join(f"{t.workflow} ({', '.join(t.paths or [])})" for t in filtered) or "-")
            + " |"
        )
        main_outcome = Outcome()
        for t in always:
            main_outcome.extend(
                model.workflow(f".github/workflows/{t.workflow}", {}, f"{Path(t.workflow).stem}/")
            )
        details.append(
            f"- {event.label}: ci_plan.py --event {event.plan_event} -> "
            f"python={model.plan.get('python')} os={model.plan.get('os')}"
            + ("" if model.plan_used else " (unused: no job that runs for this event runs ci_plan.py)")
        )
        rows.append(Row(event.label, Counter(job.os for job in main_outcome.ran)))
        if lines := list(bullet_jobs(main_outcome, args.jobs)):
            details += [f"  {event.label}, {', '.join(t.workflow for t in always)}:", *lines]
        if event.key == "pull_request":
            pr_cost["ours"] = rows[-1].weighted(args.minutes)
        if event.key == "push":
            tests = [j for j in main_outcome.ran if j.path.startswith("ci/tests(")]
            full_matrix_on_push = (len(tests), full_matrix_size(pipeline))
        for t in filtered:
            extra = model.workflow(f".github/workflows/{t.workflow}", {}, f"{Path(t.workflow).stem}/")
            rows.append(
                Row(
                    f"{event.label}: + {t.workflow}, only if its paths change",
                    Counter(j.os for j in extra.ran),
                )
            )
            if event.key == "pull_request":
                pr_cost["ours+security"] = pr_cost["ours"] + rows[-1].weighted(args.minutes)
            if lines := list(bullet_jobs(extra, args.jobs)):
                details += [f"  {event.label}, {t.workflow} when {', '.join(t.paths or [])} change:", *lines]

    seed = Row("seed 000: pull request (hard-coded design)", Counter(SEED_000_PULL_REQUEST.values()))
    rows.append(seed)

    print()
    print("## Triggers")
    print()
    print("\n".join(triggers_md))
    print()
    print(
        "## Test matrix from the baked ci_plan.py, skipped jobs, assumptions"
        + (", every job" if args.jobs else "")
    )
    print()
    print("\n".join(details))
    print()
    print(f"## Weighted runner minutes ({args.minutes:g} min per job; Linux x1, Windows x2, macOS x10)")
    print()
    print("| event | jobs | Linux | Windows | macOS | weighted minutes |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row.markdown(args.minutes))
    print()
    seed_cost = seed.weighted(args.minutes)
    if "ours" in pr_cost:
        ratio = pr_cost["ours"] / seed_cost
        verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
        print(
            f"pull request vs seed 000: {pr_cost['ours']:g} / {seed_cost:g} = {ratio:.3f} "
            f"(target <= {TARGET_RATIO:g}): {verdict}"
        )
        if "ours+security" in pr_cost:
            with_security = pr_cost["ours+security"] / seed_cost
            print(
                f"  with security.yml too (a pull request touching pyproject.toml, uv.lock or workflows): "
                f"{pr_cost['ours+security']:g} / {seed_cost:g} = {with_security:.3f}"
            )
        budget = TARGET_RATIO * seed_cost
        print(f"  budget for the target: {budget:g} weighted minutes")
    if full_matrix_on_push is not None:
        ran, expected = full_matrix_on_push
        state = "yes" if ran == expected else "NO"
        print(
            f"push to main runs the full test matrix: {state} ({ran} test jobs; pyproject.toml's "
            f"Python classifiers x [tool.pipeline] test-os = {expected})"
        )


def full_matrix_size(pyproject: dict[str, Any]) -> int:
    """Every supported Python times every listed OS, read from pyproject.toml without ci_plan.py."""
    pythons = [
        c
        for c in pyproject["project"].get("classifiers", [])
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    systems = pyproject.get("tool", {}).get("pipeline", {}).get("test-os", ["ubuntu-latest"])
    return len(pythons) * len(systems)


if __name__ == "__main__":
    sys.exit(main())
