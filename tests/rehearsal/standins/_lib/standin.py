"""The stand-in actions' shared implementation (run by the rehearsal's act, never by users).

Each stand-in's action.yml passes `toJSON(inputs)` in STANDIN_INPUTS and calls
`python standin.py <kind>`. The rehearsal harness (tests/support/rehearsal.py) provides the
REHEARSAL_* variables: the committed repository to check out, the per-run artifact and record
folders, the real uv and this machine's interpreters. Standard library only.
Every invocation is appended to $REHEARSAL_RECORDS/<owner>__<repo>.jsonl for the tests to read.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import os
import shutil
import smtplib
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def fail(message: str) -> int:
    print(f"::error::stand-in: {message}")
    return 1


def inputs() -> dict[str, str]:
    raw = os.environ.get("STANDIN_INPUTS") or "{}"
    # act exports only declared inputs to a composite action, so a misspelled `with:` key never
    # reaches here: tests/support/rehearsal.py checks every `with:` key before act starts.
    return {k: "" if v is None else str(v) for k, v in json.loads(raw).items()}


def truthy(value: str) -> bool:
    return value.strip().lower() == "true"


def record(action: str, data: dict[str, Any]) -> None:
    folder = Path(os.environ["REHEARSAL_RECORDS"])
    folder.mkdir(parents=True, exist_ok=True)
    entry = {
        "job": os.environ.get("GITHUB_JOB", ""),
        "workflow": os.environ.get("GITHUB_WORKFLOW", ""),
        "event": os.environ.get("GITHUB_EVENT_NAME", ""),
        "ref": os.environ.get("GITHUB_REF", ""),
        "sha": os.environ.get("GITHUB_SHA", ""),
        **data,
    }
    with (folder / f"{action.replace('/', '__')}.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def set_output(**values: str) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    lines = []
    for key, value in values.items():
        if "\n" in value:
            lines.append(f"{key}<<STANDIN_EOF\n{value}\nSTANDIN_EOF")
        else:
            lines.append(f"{key}={value}")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def add_env(**values: str) -> None:
    with Path(os.environ["GITHUB_ENV"]).open("a", encoding="utf-8") as handle:
        handle.write("".join(f"{key}={value}\n" for key, value in values.items()))


def add_path(directory: Path) -> None:
    with Path(os.environ["GITHUB_PATH"]).open("a", encoding="utf-8") as handle:
        handle.write(f"{directory}\n")


def lines_of(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


def run(*command: str, cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(fail(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}"))
    return done.stdout.strip()


# ----------------------------------------------------------------------------- actions/checkout


def resolve_ref(source: Path, ref: str) -> str:
    """The ref actions/checkout fetches for an explicit `ref` input (its ref-helper's order).

    A 40-hex value is a commit; a `refs/...` name is taken as it is; a bare name is a
    *branch* when the repository has one of that name, and only otherwise a tag. So a
    branch called like a tag wins, as it does on GitHub.
    """
    if len(ref) == 40 and all(c in "0123456789abcdefABCDEF" for c in ref):
        return ref
    if ref.startswith("refs/"):
        return ref
    for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}"):
        found = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--verify", "--quiet", candidate],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode == 0:
            return candidate
    raise SystemExit(fail(f"A branch or tag with the name '{ref}' could not be found"))


def checkout() -> int:
    args = inputs()
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    source = Path(os.environ["REHEARSAL_REPOSITORY_DIR"])
    own = os.environ.get("GITHUB_REPOSITORY", "")
    if args.get("repository") and args["repository"] != own:
        return fail(f"checkout of another repository ({args['repository']}) cannot be rehearsed offline")
    dest = (workspace / args.get("path", "")).resolve()
    if not dest.is_relative_to(workspace.resolve()):
        return fail(f"path {args.get('path')!r} is outside the workspace")
    if dest.exists() and truthy(args.get("clean", "true")):
        for child in dest.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    dest.mkdir(parents=True, exist_ok=True)
    github_ref = os.environ.get("GITHUB_REF", "")
    wanted = resolve_ref(source, args["ref"]) if args.get("ref") else os.environ.get("GITHUB_SHA", "")
    sha = run("git", "-C", str(source), "rev-parse", "--verify", f"{wanted}^{{commit}}")
    depth = int(args.get("fetch-depth") or "1")
    git = ["git", "-C", str(dest)]
    run(*git, "init", "--quiet")
    run(*git, "remote", "add", "origin", str(source))
    if depth <= 0:
        # What actions/checkout does for fetch-depth: 0: every branch and tag.
        run(*git, "fetch", "--quiet", "--prune", "--tags", "origin", "+refs/heads/*:refs/remotes/origin/*")
    else:
        refspecs = [sha]
        if github_ref.startswith("refs/tags/") and not args.get("ref"):
            refspecs.append(f"+{github_ref}:{github_ref}")
        tags = [] if truthy(args.get("fetch-tags", "false")) else ["--no-tags"]
        run(*git, "fetch", "--quiet", *tags, f"--depth={depth}", "origin", *refspecs)
    branch = github_ref.removeprefix("refs/heads/") if github_ref.startswith("refs/heads/") else ""
    if branch and not args.get("ref"):
        run(*git, "checkout", "--quiet", "--force", "-B", branch, sha)
    else:
        run(*git, "checkout", "--quiet", "--force", "--detach", sha)
    record("actions/checkout", {"inputs": args, "commit": sha, "path": str(dest)})
    print(f"stand-in checkout: {sha[:12]} into {dest} (fetch-depth {depth})")
    return 0


# ----------------------------------------------------------------------------- astral-sh/setup-uv


UV_WRAPPER = """#!/usr/bin/env bash
# Rehearsal stand-in for the uv that setup-uv installs: the real uv, except that
# `uv python install` uses this machine's interpreters (uv may not download here) and
# `uv audit` asks the local vulnerability-service stand-in when REHEARSAL_OSV_URL is set.
real="${REHEARSAL_REAL_UV:?}"
if [ "${1:-}" = python ] && [ "${2:-}" = install ]; then
  exec "$REHEARSAL_PYTHON" "$REHEARSAL_STANDINS/_lib/standin.py" uv-python-install "${@:3}"
fi
if [ "${1:-}" = audit ] && [ -n "${REHEARSAL_OSV_URL:-}" ]; then
  case " $* " in
    *" --service-url"*) ;;
    *) exec "$real" audit --service-url "$REHEARSAL_OSV_URL" "${@:2}" ;;
  esac
fi
exec "$real" "$@"
"""


def local_pythons() -> dict[str, str]:
    found = {}
    for item in os.environ.get("REHEARSAL_LOCAL_PYTHONS", "").split(os.pathsep):
        if "=" in item:
            version, path = item.split("=", 1)
            found[version] = path
    return found


def local_python(request: str) -> str | None:
    request = request.strip().removeprefix("python").removeprefix("cpython-").removeprefix("cpython")
    minor = ".".join(request.split(".")[:2])
    return local_pythons().get(minor)


def uv_python_install(argv: list[str]) -> int:
    requests = [arg for arg in argv if not arg.startswith("-")]
    if not requests and Path(".python-version").exists():
        requests = Path(".python-version").read_text(encoding="utf-8").split()
    for request in requests:
        path = local_python(request)
        if path is None:
            return fail(
                f"Python {request} is not installed on this machine and uv may not download it here "
                f"(local: {', '.join(sorted(local_pythons())) or 'none'})"
            )
        print(f"stand-in uv: Python {request} is the local {path} (no download)")
    return 0


def setup_uv() -> int:
    args = inputs()
    real = os.environ["REHEARSAL_REAL_UV"]
    version = run(real, "--version").split()[1]
    if args.get("version") and args["version"] not in {"latest", version}:
        print(
            f"::notice::stand-in setup-uv: uv {args['version']} requested, using the installed uv {version}"
        )
    bin_dir = Path(os.environ["RUNNER_TEMP"]) / "standin-setup-uv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "uv"
    wrapper.write_text(UV_WRAPPER, encoding="utf-8")
    wrapper.chmod(0o755)
    uvx = bin_dir / "uvx"
    real_uvx = Path(real).with_name("uvx")
    uvx.write_text(f'#!/usr/bin/env bash\nexec "{real_uvx}" "$@"\n', encoding="utf-8")
    uvx.chmod(0o755)
    add_path(bin_dir)
    env = {"UV_PYTHON_DOWNLOADS": "never"}
    outputs = {"uv-version": version, "uv-path": str(wrapper), "uvx-path": str(uvx), "cache-hit": "false"}
    if args.get("python-version"):
        python = local_python(args["python-version"])
        if python is None:
            return fail(f"python-version {args['python-version']} has no local interpreter here")
        env["UV_PYTHON"] = python
        outputs["python-version"] = args["python-version"]
    if truthy(args.get("activate-environment", "false")):
        venv = Path(args.get("venv-path") or ".venv").resolve()
        run(
            real,
            "venv",
            "--quiet",
            str(venv),
            *(["--python", env["UV_PYTHON"]] if "UV_PYTHON" in env else []),
        )
        env["VIRTUAL_ENV"] = str(venv)
        add_path(venv / "bin")
        outputs["venv"] = str(venv)
    add_env(**env)
    set_output(**outputs)
    record("astral-sh/setup-uv", {"inputs": args, "uv": version})
    print(f"stand-in setup-uv: uv {version} on PATH (cache: recorded only)")
    return 0


# ----------------------------------------------------------------------------- artifacts


def _artifact_root() -> Path:
    root = Path(os.environ["REHEARSAL_ARTIFACTS"])
    root.mkdir(parents=True, exist_ok=True)
    return root


def upload_artifact() -> int:
    args = inputs()
    name = args.get("name") or "artifact"
    patterns = [line.strip() for line in args.get("path", "").splitlines() if line.strip()]
    if not patterns:
        return fail("input 'path' is required")
    hidden = truthy(args.get("include-hidden-files", "false"))
    included: set[Path] = set()
    for pattern in [p for p in patterns if not p.startswith("!")]:
        for match in glob.glob(pattern, recursive=True, include_hidden=hidden):  # noqa: PTH207 (as the action)
            path = Path(match)
            if path.is_dir():
                files = [
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and (hidden or not any(x.startswith(".") for x in p.relative_to(path).parts))
                ]
            else:
                files = [path]
            included.update(p.resolve() for p in files)
    for pattern in [p[1:] for p in patterns if p.startswith("!")]:
        excluded = glob.glob(pattern, recursive=True, include_hidden=True)  # noqa: PTH207
        included -= {Path(m).resolve() for m in excluded}
    if not included:
        mode = args.get("if-no-files-found") or "warn"
        message = (
            f"No files were found with the provided path: {' '.join(patterns)}. "
            "No artifacts will be uploaded."
        )
        if mode == "error":
            return fail(message)
        print(f"::{'warning' if mode == 'warn' else 'notice'}::{message}")
        return 0
    target = _artifact_root() / name
    if target.exists():
        if not truthy(args.get("overwrite", "false")):
            return fail(f"an artifact named {name!r} already exists in this run (set overwrite: true)")
        shutil.rmtree(target)
    base = Path(os.path.commonpath([str(p.parent) for p in included]))
    for path in sorted(included):
        destination = target / path.relative_to(base)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)
    files = sorted(str(p.relative_to(base)) for p in included)
    record("actions/upload-artifact", {"inputs": args, "name": name, "files": files})
    set_output(**{"artifact-id": str(abs(hash(name)) % 10**8), "artifact-url": "", "artifact-digest": ""})
    print(f"stand-in upload-artifact: {name}: {', '.join(files)}")
    return 0


def download_artifact() -> int:
    args = inputs()
    root = _artifact_root()
    dest = Path(args.get("path") or os.environ["GITHUB_WORKSPACE"]).expanduser().resolve()
    available = sorted(p.name for p in root.iterdir() if p.is_dir())
    if args.get("name"):
        if args["name"] not in available:
            return fail(
                f"Artifact not found for name: {args['name']} "
                f"(this run has: {', '.join(available) or 'none'})"
            )
        chosen, single = [args["name"]], True
    else:
        pattern = args.get("pattern") or "*"
        chosen, single = [n for n in available if fnmatch.fnmatchcase(n, pattern)], False
    merge = truthy(args.get("merge-multiple", "false"))
    for name in chosen:
        target = dest if single or merge else dest / name
        shutil.copytree(root / name, target, dirs_exist_ok=True)
    record("actions/download-artifact", {"inputs": args, "artifacts": chosen, "path": str(dest)})
    set_output(**{"download-path": str(dest)})
    print(f"stand-in download-artifact: {', '.join(chosen) or 'nothing'} -> {dest}")
    return 0


# ----------------------------------------------------------------------------- small ones


def cache() -> int:
    args = inputs()
    if not args.get("key") or not args.get("path"):
        return fail("inputs 'path' and 'key' are required")
    record("actions/cache", {"inputs": args, "key": args["key"]})
    set_output(**{"cache-hit": "false", "cache-primary-key": args["key"], "cache-matched-key": ""})
    print(f"stand-in cache: key {args['key']} recorded; nothing restored or saved")
    return 0


def codecov() -> int:
    args = inputs()
    # Explicit files, else the reports the CLI's search would find under `directory`.
    root = Path(args.get("directory") or ".")
    files = lines_of(args.get("files", "")) or sorted(str(p) for p in root.rglob("coverage*.xml"))
    missing = [f for f in files if not Path(f).is_file()]
    record(
        "codecov/codecov-action",
        {"inputs": {**args, "token": "***" if args.get("token") else ""}, "files": files, "missing": missing},
    )
    if missing or not files:
        message = f"coverage report(s) not found: {', '.join(missing) or '(none found)'}"
        if truthy(args.get("fail_ci_if_error", "false")):
            return fail(message)
        print(f"::warning::stand-in codecov: {message}")
        return 0
    print(f"stand-in codecov: would upload {', '.join(files)} (flags {args.get('flags')}); records only")
    return 0


def _names(value: str) -> set[str]:
    value = value.strip()
    if value.startswith("["):
        return {str(v) for v in json.loads(value)}
    return set(lines_of(value))


def alls_green() -> int:
    """re-actors/alls-green's rule: every needed job succeeded, or is allowed to fail/skip."""
    args = inputs()
    try:
        jobs = json.loads(args.get("jobs") or "")
    except json.JSONDecodeError as error:
        return fail(f"jobs is not JSON: {error}")
    if not isinstance(jobs, dict) or not jobs:
        return fail("jobs must be toJSON(needs), a non-empty object")
    allowed_failures = _names(args.get("allowed-failures", ""))
    allowed_skips = _names(args.get("allowed-skips", ""))
    unknown = (allowed_failures | allowed_skips) - set(jobs)
    if unknown:
        print(f"::warning::stand-in alls-green: allowed jobs not in needs: {', '.join(sorted(unknown))}")
    bad = {}
    for name, value in jobs.items():
        result = value.get("result") if isinstance(value, dict) else None
        if result == "success":
            continue
        if result in {"failure", "cancelled"} and name in allowed_failures:
            continue
        if result == "skipped" and (name in allowed_skips or name in allowed_failures):
            continue
        bad[name] = result
    record("re-actors/alls-green", {"inputs": args, "failed": bad})
    for name, value in jobs.items():
        print(f"  {name}: {value.get('result') if isinstance(value, dict) else value}")
    set_output(
        failure=str(bool(bad)).lower(), result="failure" if bad else "success", success=str(not bad).lower()
    )
    if bad:
        return fail("some required jobs did not succeed: " + ", ".join(f"{k}={v}" for k, v in bad.items()))
    print("All of the required dependency jobs succeeded.")
    return 0


def _local_url(url: str) -> urllib.parse.SplitResult:
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname not in LOCAL_HOSTS:
        raise SystemExit(fail(f"refusing to contact {parsed.hostname!r}: rehearsals talk to 127.0.0.1 only"))
    return parsed


def slack() -> int:
    args = inputs()
    webhook_type = args.get("webhook-type", "")
    if args.get("method") or args.get("token"):
        record(
            "slackapi/slack-github-action",
            {"inputs": {k: v for k, v in args.items() if k != "token"}, "sent": False},
        )
        return fail("the Slack API technique (method/token) has no local stand-in; use a webhook")
    if webhook_type not in {"incoming-webhook", "webhook-trigger"}:
        return fail(f"webhook-type must be incoming-webhook or webhook-trigger, not {webhook_type!r}")
    if not args.get("webhook"):
        return fail("webhook is empty")
    if args.get("payload-file-path"):
        body = Path(args["payload-file-path"]).read_text(encoding="utf-8")
    else:
        body = args.get("payload", "")
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        return fail(f"payload is not JSON (YAML payloads are not stood in for): {error}")
    _local_url(args["webhook"])
    request = urllib.request.Request(
        args["webhook"], data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, answer = error.code, error.read().decode()
    record(
        "slackapi/slack-github-action",
        {"inputs": {**args, "webhook": "***"}, "status": status, "answer": answer, "sent": True},
    )
    set_output(ok=str(status == 200).lower(), response=answer, time="0")
    if status != 200:
        message = f"Slack answered {status} {answer}"
        if truthy(args.get("errors", "false")):
            return fail(message)
        print(f"::warning::stand-in slack: {message}")
        return 1
    print("stand-in slack: delivered to the local receiver")
    return 0


def send_mail() -> int:
    """dawidd6/action-send-mail, delivered to the local SMTP server on 127.0.0.1.

    The real action opens implicit TLS when secure is true (port 465). The local server speaks
    plain SMTP on a free port, so this stand-in connects plainly to REHEARSAL_SMTP_PORT when set
    (else server_port) and records the port and secure flag the workflow asked for.
    """
    args = inputs()
    for required in ("subject", "from"):
        if not args.get(required):
            return fail(f"input {required!r} is required")
    host = args.get("server_address", "")
    if args.get("connection_url"):
        host = urllib.parse.urlsplit(args["connection_url"]).hostname or ""
    if host not in LOCAL_HOSTS:
        return fail(f"refusing to send mail via {host!r}: rehearsals talk to 127.0.0.1 only")
    port = int(os.environ.get("REHEARSAL_SMTP_PORT") or args.get("server_port") or "465")
    body = args.get("body", "")
    if body.startswith("file://"):
        body = Path(body.removeprefix("file://")).read_text(encoding="utf-8")
    message = EmailMessage()
    message["Subject"] = args["subject"]
    message["From"] = args["from"]
    message["To"] = args.get("to", "")
    if args.get("cc"):
        message["Cc"] = args["cc"]
    message.set_content(body)
    recipients = [
        *lines_of(args.get("to", "")),
        *lines_of(args.get("cc", "")),
        *lines_of(args.get("bcc", "")),
    ]
    if not recipients:
        return fail("no recipients (to, cc, bcc are empty)")
    with smtplib.SMTP(host, port, timeout=10) as client:
        if args.get("username") and args.get("password"):
            client.login(args["username"], args["password"])
        client.send_message(message, to_addrs=recipients)
    record(
        "dawidd6/action-send-mail",
        {
            "inputs": {**args, "password": "***" if args.get("password") else ""},
            "requested_port": args.get("server_port"),
            "secure": args.get("secure"),
            "delivered_port": port,
        },
    )
    print(f"stand-in send-mail: delivered to {', '.join(recipients)} via {host}:{port}")
    return 0


def record_only(action: str) -> int:
    args = inputs()
    secretish = {"token", "repo-token", "github-token", "external-repo-token", "password", "branch-token"}
    record(action, {"inputs": {k: ("***" if k in secretish and v else v) for k, v in args.items()}})
    print(f"stand-in {action}: invocation recorded; the real service cannot be reached from here")
    return 0


def _person(value: str, default: str) -> tuple[str, str]:
    """'Name <email>' as the action's author/committer inputs take it."""
    name, _, email = (value or default).rpartition(" <")
    return name.strip(), email.rstrip(">").strip()


def create_pull_request() -> int:
    """peter-evans/create-pull-request, as far as it can go without GitHub.

    Like the real action it commits every change in the checkout (tracked and untracked files and
    deletions, ignored files left out; or only `add-paths`) on `branch`, on top of the commit
    checked out, and force-pushes that branch to the repository: here the rehearsal's committed
    copy, which the checkout stand-in clones from. It cannot open a pull request: it records the
    one it would open or update (branch, title, body, labels, a SHA-256 fingerprint of the token,
    never the token). With nothing to commit it pushes nothing, as the real action does.
    """
    args = inputs()
    if not args.get("token"):
        return fail("input 'token' is empty")
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    repo = (workspace / args.get("path", "")).resolve()
    branch = args.get("branch") or "create-pull-request/patch"
    body = args.get("body", "")
    if args.get("body-path"):
        body_file = Path(args["body-path"])
        if not body_file.is_file():
            return fail(f"body-path {args['body-path']} does not exist")
        body = body_file.read_text(encoding="utf-8")
    actor = os.environ.get("GITHUB_ACTOR", "rehearsal")
    author = _person(args.get("author", ""), f"{actor} <{actor}@users.noreply.github.com>")
    committer = _person(
        args.get("committer", ""),
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
    )
    git = ["git", "-C", str(repo), "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    base = run(*git, "rev-parse", "HEAD")
    run(*git, "add", "--all", "--", *lines_of(args.get("add-paths", "")))
    changes = run(*git, "diff", "--cached", "--name-status", "--no-renames", "HEAD")
    existed = bool(run(*git, "ls-remote", "origin", f"refs/heads/{branch}"))
    entry: dict[str, Any] = {
        "inputs": {k: ("***" if k in {"token", "branch-token"} and v else v) for k, v in args.items()},
        "token_sha256": hashlib.sha256(args["token"].encode()).hexdigest(),
        "branch": branch,
        "base": base,
        "title": args.get("title", ""),
        "body": body,
        "labels": lines_of(args.get("labels", "")),
        "pull_request": "recorded only: no pull request is opened (GitHub is out of reach)",
    }
    if not changes:
        record("peter-evans/create-pull-request", {**entry, "operation": "none", "pushed": False})
        set_output(**{"pull-request-operation": "none", "pull-request-branch": branch})
        print("stand-in create-pull-request: no changes, nothing pushed")
        return 0
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": author[0],
        "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": committer[0],
        "GIT_COMMITTER_EMAIL": committer[1],
    }
    message = args.get("commit-message") or "[create-pull-request] automated change"
    committed = subprocess.run(
        [*git, "commit", "--quiet", "--no-verify", "-m", message],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if committed.returncode != 0:
        return fail(f"git commit failed:\n{committed.stdout}{committed.stderr}")
    head = run(*git, "rev-parse", "HEAD")
    run(*git, "push", "--quiet", "--force", "origin", f"HEAD:refs/heads/{branch}")
    operation = "updated" if existed else "created"
    record(
        "peter-evans/create-pull-request",
        {
            **entry,
            "operation": operation,
            "pushed": True,
            "head": head,
            "changes": changes.splitlines(),
        },
    )
    set_output(
        **{
            "pull-request-number": "1",
            "pull-request-url": "",
            "pull-request-operation": operation,
            "pull-request-head-sha": head,
            "pull-request-branch": branch,
        }
    )
    print(
        f"stand-in create-pull-request: pushed {branch} ({head[:12]}) to the rehearsal repository; "
        f"the pull request ({operation}) is recorded only, GitHub is out of reach"
    )
    return 0


KINDS = {
    "checkout": checkout,
    "setup-uv": setup_uv,
    "upload-artifact": upload_artifact,
    "download-artifact": download_artifact,
    "cache": cache,
    "codecov": codecov,
    "alls-green": alls_green,
    "slack": slack,
    "send-mail": send_mail,
    "create-pull-request": create_pull_request,
}


def main(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "uv-python-install":
        return uv_python_install(rest)
    if kind == "record":
        return record_only(rest[0])
    return KINDS[kind]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
