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

The README's CI cost figures are this model's, generated between `<!-- ci-cost:start NAME -->`
and `<!-- ci-cost:end -->`: `--readme README.md --write` rewrites them from a fresh default bake,
`--check` exits 1 when they differ (tests/test_benchmarks.py runs the same comparison).

Usage: uv run python benchmarks/ci_cost.py [--option key=value ...] [--project PATH] [--minutes 1]
       uv run python benchmarks/ci_cost.py --readme README.md (--check | --write)
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
import textwrap
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
SEED_000_LABEL = "seed design: 3 OS x 3 Python on every pull request"


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
    "merge_group": Event(
        "merge_group", "merge queue", "merge_group", "refs/heads/gh-readonly-queue/main/pr-1", "merge_group"
    ),
    "tag": Event("tag", "tag v*", "push", "refs/tags/v1.2.3", "push"),
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
            # Property and index access apply to a call's result too: fromJSON(x)[0].
            return self.postfix(self.call(text.lower()))
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
        return self.postfix(self.context.get(root, UNKNOWN))

    def postfix(self, current: Any) -> Any:
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
    # Every matrix value on the way to this job, the callers' too: how a test leg is recognised.
    matrix: tuple[str, ...] = ()


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

    def load(self, relative: str, caller: str) -> dict[Any, Any]:
        path = self.project / relative
        if not path.is_file():
            sys.exit(f"{caller} calls {relative}, which the bake does not contain")
        document: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        return document

    def workflow(
        self, relative: str, inputs: dict[str, Any], prefix: str, matrix: tuple[str, ...] = ()
    ) -> Outcome:
        document = self.load(relative, prefix.rstrip("/") or "the event")
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
            where = f"{prefix}{job_id}"
            if missing := [n for n in needs if n not in jobs]:
                sys.exit(
                    f"{relative}: job {job_id} needs {', '.join(missing)}, which the workflow does not define"
                )
            needed = {n: settle(n) for n in needs}
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
                combo_values = tuple(map(to_string, combo.values()))
                tag = f"{where}({', '.join(combo_values)})" if combo else where
                uses = job.get("uses")
                if uses and str(uses).startswith("./"):
                    called_inputs = interpolate(job.get("with", {}), here, status)
                    outcome.extend(
                        self.workflow(str(uses)[2:], called_inputs, f"{tag}/", matrix + combo_values)
                    )
                elif uses:
                    outcome.notes.append(f"{tag}: remote reusable workflow {uses}; counted as one Linux job")
                    outcome.ran.append(Job(tag, "Linux", str(uses), matrix + combo_values))
                else:
                    labels = interpolate(job.get("runs-on"), here, status)
                    os_name = runner_os(labels, outcome.notes, tag)
                    outcome.ran.append(Job(tag, os_name, to_string(labels), matrix + combo_values))
            return results[job_id]

        for job_id in jobs:
            settle(job_id)
        return outcome


# --- Measuring.


@dataclass
class EventCost:
    """One event: the workflows it triggers and every job they run."""

    event: Event
    plan: dict[str, str]
    plan_used: bool
    always: list[Trigger]
    ran: Outcome
    # Workflows with a `paths` filter, costed apart: they run only when those files change.
    filtered: list[tuple[Trigger, Outcome]]

    def test_legs(self) -> set[tuple[str, str]]:
        """(OS, Python) of each job that ran under a matrix holding one of the plan's OS and Pythons."""
        systems = json.loads(self.plan.get("os", "[]"))
        pythons = json.loads(self.plan.get("python", "[]"))
        return {
            (system, python)
            for job in self.ran.ran
            for system in systems
            if system in job.matrix
            for python in pythons
            if python in job.matrix
        }


def measure(project: Path, events: list[Event], private: bool) -> list[EventCost]:
    workflows = {
        p.name: yaml.safe_load(p.read_text(encoding="utf-8"))
        for p in sorted((project / ".github/workflows").glob("*.y*ml"))
    }
    measured = []
    for event in events:
        model = Model(project, event, private)
        fired = [t for name, wf in workflows.items() if (t := trigger(name, wf, event))]

        def run(t: Trigger, model: Model = model) -> Outcome:
            return model.workflow(f".github/workflows/{t.workflow}", {}, f"{Path(t.workflow).stem}/")

        always = [t for t in fired if t.paths is None]
        ran = Outcome()
        for t in always:
            ran.extend(run(t))
        filtered = [(t, run(t)) for t in fired if t.paths is not None]
        measured.append(EventCost(event, model.plan, model.plan_used, always, ran, filtered))
    return measured


def full_matrix(pyproject: dict[str, Any]) -> set[tuple[str, str]]:
    """Every listed OS with every supported Python, read from pyproject.toml without ci_plan.py."""
    prefix = "Programming Language :: Python :: "
    pythons = [
        c.removeprefix(prefix)
        for c in pyproject["project"].get("classifiers", [])
        if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)
    ]
    systems = pyproject.get("tool", {}).get("pipeline", {}).get("test-os", ["ubuntu-latest"])
    return {(system, python) for system in systems for python in pythons}


# --- Reporting.


@dataclass
class Row:
    label: str
    counts: Counter[str]

    @classmethod
    def of(cls, label: str, outcome: Outcome) -> Row:
        return cls(label, Counter(job.os for job in outcome.ran))

    def jobs(self) -> int:
        return sum(self.counts.values())

    def weighted(self, minutes: float) -> float:
        return minutes * sum(WEIGHTS[os_name] * n for os_name, n in self.counts.items())

    def cells(self, minutes: float) -> list[float]:
        return [self.jobs(), *(self.counts[os_name] for os_name in WEIGHTS), self.weighted(minutes)]


def seed_row() -> Row:
    return Row(SEED_000_LABEL, Counter(SEED_000_PULL_REQUEST.values()))


def table(rows: list[tuple[str, list[Row]]], minutes: float) -> list[str]:
    """A Markdown table; a line made of several rows shows each figure as its range, `3-4`."""

    def span(values: list[float]) -> str:
        low, high = min(values), max(values)
        return f"{low:g}" if low == high else f"{low:g}-{high:g}"

    lines = [
        f"| event | jobs | {' | '.join(WEIGHTS)} | weighted minutes |",
        "|---|" + "---:|" * (len(WEIGHTS) + 2),
    ]
    for label, group in rows:
        columns = zip(*(row.cells(minutes) for row in group), strict=True)
        lines.append(f"| {label} | {' | '.join(span(list(column)) for column in columns)} |")
    return lines


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


def report(project: Path, described: str, events: list[Event], args: argparse.Namespace) -> None:
    measured = measure(project, events, args.private)
    expected = full_matrix(tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8")))
    print(f"# CI cost of {described}")
    print()
    print(
        f"model: every job {args.minutes:g} min; weights {WEIGHTS}; repository "
        f"{'private' if args.private else 'public'}; every job that runs succeeds"
    )
    print()
    print("## Triggers")
    print()
    print("| event | workflows that always run | only when their paths change |")
    print("|---|---|---|")
    for cost in measured:
        print(
            f"| {cost.event.label} | {', '.join(t.workflow for t in cost.always) or '-'} | "
            + (", ".join(f"{t.workflow} ({', '.join(t.paths or [])})" for t, _ in cost.filtered) or "-")
            + " |"
        )
    print()
    print(
        "## Test matrix from the baked ci_plan.py, skipped jobs, assumptions"
        + (", every job" if args.jobs else "")
    )
    print()
    rows: list[Row] = []
    for cost in measured:
        label = cost.event.label
        print(
            f"- {label}: ci_plan.py --event {cost.event.plan_event} -> "
            f"python={cost.plan.get('python')} os={cost.plan.get('os')}"
            + ("" if cost.plan_used else " (unused: no job that runs for this event runs ci_plan.py)")
        )
        rows.append(Row.of(label, cost.ran))
        if lines := list(bullet_jobs(cost.ran, args.jobs)):
            print("\n".join([f"  {label}, {', '.join(t.workflow for t in cost.always)}:", *lines]))
        for t, extra in cost.filtered:
            rows.append(Row.of(f"{label}: + {t.workflow}, only if its paths change", extra))
            if lines := list(bullet_jobs(extra, args.jobs)):
                print("\n".join([f"  {label}, {t.workflow} when {', '.join(t.paths or [])} change:", *lines]))
    seed = seed_row()
    rows.append(seed)
    print()
    print(f"## Weighted runner minutes ({args.minutes:g} min per job; Linux x1, Windows x2, macOS x10)")
    print()
    print("\n".join(table([(row.label, [row]) for row in rows], args.minutes)))
    print()
    seed_cost = seed.weighted(args.minutes)
    by_key = {cost.event.key: cost for cost in measured}
    if pull_request := by_key.get("pull_request"):
        ours = Row.of("", pull_request.ran).weighted(args.minutes)
        ratio = ours / seed_cost
        verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
        print(
            f"pull request vs seed 000: {ours:g} / {seed_cost:g} = {ratio:.3f} "
            f"(target <= {TARGET_RATIO:g}): {verdict}"
        )
        for t, extra in pull_request.filtered:
            both = ours + Row.of("", extra).weighted(args.minutes)
            print(
                f"  with {t.workflow} too (a pull request touching {', '.join(t.paths or [])}): "
                f"{both:g} / {seed_cost:g} = {both / seed_cost:.3f}"
            )
        print(f"  budget for the target: {TARGET_RATIO * seed_cost:g} weighted minutes")
    if push := by_key.get("push"):
        legs = push.test_legs()
        state = "yes" if legs >= expected else "NO"
        print(
            f"push to main runs the full test matrix: {state} ({len(legs & expected)} of the {len(expected)} "
            "OS x Python legs from pyproject.toml's Python classifiers and [tool.pipeline] test-os)"
        )


# --- The README's figures, generated between `<!-- ci-cost:start NAME -->` and `<!-- ci-cost:end -->`.

# The README documents one model: a fresh bake with DEFAULT_OPTIONS, a public repository, one
# minute per job, every event ci_cost.py knows.
README_EVENTS = list(EVENTS.values())
README_MINUTES = 1.0
README_WIDTH = 92
REGION = re.compile(r"<!-- ci-cost:start (?P<name>[\w-]+) -->(?P<body>.*?)<!-- ci-cost:end -->", re.DOTALL)
ANY_MARKER = re.compile(r"<!-- ci-cost:")


def listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def stale(readme: Path | str) -> str:
    return (
        f"README CI cost table is stale; run: uv run python benchmarks/ci_cost.py --readme {readme} --write"
    )


def readme_regions(measured: list[EventCost], expected: set[tuple[str, str]]) -> dict[str, str]:
    """Each generated region's text: the block one with its blank lines, the inline ones bare."""
    minutes = README_MINUTES
    by_key = {cost.event.key: cost for cost in measured}
    if "pull_request" not in by_key or "push" not in by_key:
        sys.exit("the README's figures need the pull_request and push events")
    seed = seed_row()
    ours = Row.of("", by_key["pull_request"].ran).weighted(minutes)
    ratio = ours / seed.weighted(minutes)
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    seed_cost = seed.weighted(minutes)

    rows: list[tuple[str, list[Row]]] = []
    for cost in measured:
        if cost.always:
            workflows = ", ".join(f"`{t.workflow}`" for t in cost.always)
            rows.append((f"{cost.event.label} ({workflows})", [Row.of("", cost.ran)]))
    # A path-filtered workflow is one line over every event that can trigger it.
    filtered: dict[str, tuple[list[str], list[Row]]] = {}
    for cost in measured:
        for t, extra in cost.filtered:
            paths, group = filtered.setdefault(t.workflow, ([], []))
            paths += [p for p in t.paths or [] if p not in paths]
            group.append(Row.of("", extra))
    for workflow, (paths, group) in filtered.items():
        rows.append((f"`{workflow}`, only when {listed([f'`{p}`' for p in paths])} change", group))
    rows.append((seed.label, [seed]))

    answers = ", ".join(f"`{key}={value}`" for key, value in DEFAULT_OPTIONS.items())
    weights = ", ".join(f"{os_name} {weight}" for os_name, weight in WEIGHTS.items())
    legs = by_key["push"].test_legs() & expected
    matrix = (
        f"still runs all {len(expected)} OS x Python test legs"
        if len(legs) == len(expected)
        else f"runs only {len(legs)} of the {len(expected)} OS x Python test legs"
    )
    intro = (
        f"Weighted runner minutes per event for a fresh bake with {answers} (every other answer at "
        f"its default), counting {minutes:g} minute per job ({weights}) in a public repository where "
        "every job succeeds:"
    )
    summary = (
        f"A pull request costs {ours:g} / {seed_cost:g} = {ratio:.2f} of the seed design (target: at "
        f"most {TARGET_RATIO:g}, {verdict}) while a push to `main` {matrix}."
    )
    wrap = textwrap.TextWrapper(README_WIDTH, break_long_words=False, break_on_hyphens=False).fill
    block = [wrap(intro), "", *table(rows, minutes), "", wrap(summary)]
    return {
        "table": "\n\n" + "\n".join(block) + "\n\n",
        "pr-summary": f"{ours:g} weighted runner minutes per PR against {seed_cost:g} for the seed design",
        "target": f"PR at most {TARGET_RATIO:g} x the seed design: {verdict}",
    }


def refresh(text: str, regions: dict[str, str]) -> str:
    """The text with each region's body replaced; ValueError names markers missing, doubled or unknown."""
    found = [match.group("name") for match in REGION.finditer(text)]
    problems = [f"no region named {name!r}" for name in sorted(set(found) - set(regions))]
    problems += [
        f"region {name!r} appears {found.count(name)} times, not once"
        for name in regions
        if found.count(name) != 1
    ]
    if len(ANY_MARKER.findall(text)) != 2 * len(found):
        problems.append("a ci-cost marker without its pair")
    if problems:
        raise ValueError("; ".join(problems))
    return REGION.sub(
        lambda m: (
            text[m.start() : m.start("body")] + regions[m.group("name")] + text[m.end("body") : m.end()]
        ),
        text,
    )


def readme_figures(project: Path) -> dict[str, str]:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    return readme_regions(measure(project, README_EVENTS, private=False), full_matrix(pyproject))


def update_readme(readme: Path, project: Path, write: bool) -> int:
    text = readme.read_text(encoding="utf-8")
    try:
        refreshed = refresh(text, readme_figures(project))
    except ValueError as problem:
        sys.exit(f"{readme}: {problem}")
    if refreshed == text:
        print(f"{readme}: the CI cost figures are current")
        return 0
    if write:
        readme.write_text(refreshed, encoding="utf-8")
        print(f"{readme}: the CI cost figures are rewritten")
        return 0
    sys.stdout.writelines(
        difflib.unified_diff(
            text.splitlines(keepends=True), refreshed.splitlines(keepends=True), str(readme), "generated"
        )
    )
    print(stale(readme), file=sys.stderr)
    return 1


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
    parser.add_argument(
        "--minutes", type=float, default=README_MINUTES, help="minutes every job takes (default 1)"
    )
    parser.add_argument(
        "--event",
        action="append",
        choices=list(EVENTS),
        help=f"events to cost (repeatable; default {', '.join(DEFAULT_EVENTS)})",
    )
    parser.add_argument("--private", action="store_true", help="model a private repository")
    parser.add_argument("--jobs", action="store_true", help="also list every job per event")
    parser.add_argument(
        "--readme",
        type=Path,
        help="the Markdown file whose ci-cost regions hold the figures (with --check or --write); "
        "--project, if given, must be a bake with the default answers",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="exit 1 with a diff when the README's figures differ"
    )
    mode.add_argument("--write", action="store_true", help="rewrite the README's figures")
    args = parser.parse_args(argv)
    if (args.check or args.write) and not args.readme:
        parser.error("--check and --write need --readme")
    if args.readme:
        if not (args.check or args.write):
            parser.error("--readme needs --check or --write")
        if args.option or args.event or args.private or args.jobs or args.minutes != README_MINUTES:
            parser.error(
                "--readme documents the default model: "
                "leave out --option, --event, --private, --jobs and --minutes"
            )
    events = [EVENTS[key] for key in (args.event or DEFAULT_EVENTS)]

    with tempfile.TemporaryDirectory(prefix="ci-cost-") as tmp:
        if args.project:
            project, described = args.project.resolve(), f"existing project {args.project}"
        else:
            options = parse_options(args.option, parser)
            project, described = bake(Path(tmp), options), f"a fresh bake with {options}"
        if args.readme:
            return update_readme(args.readme, project, args.write)
        report(project, described, events, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
