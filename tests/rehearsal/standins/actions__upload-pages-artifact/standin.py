"""actions/upload-pages-artifact, rehearsed: pack the site as the real action does and keep it as
this run's artifact (see action.yml)."""

from __future__ import annotations

import hashlib
import os
import sys
import tarfile
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
# act runs a copy of this folder alone; the shared code is found where the rehearsal says.
sys.path.insert(0, str(Path(os.environ.get("REHEARSAL_STANDINS", HERE.parent)) / "_lib"))

import node_action  # noqa: E402

RECORD = "actions__upload-pages-artifact.jsonl"
# What a reviewer and the deployment need from a site: checked by the tests, recorded here.
SITE_FILES = ("index.html", "api.html", "searchindex.js")


def fail(message: str) -> NoReturn:
    node_action.fail("upload-pages-artifact stand-in", message)


def packed(source: Path, hidden: bool) -> list[Path]:
    """The files the real action's tar takes: links followed, no .git or .github, and no name
    starting with a dot unless include-hidden-files."""
    files = []
    for path in sorted(source.rglob("*")):
        parts = path.relative_to(source).parts
        if parts[0] in {".git", ".github"} or (not hidden and any(p.startswith(".") for p in parts)):
            continue
        if path.is_file():
            files.append(path)
    return files


def main() -> int:
    inputs = node_action.read_inputs(HERE, "actions/upload-pages-artifact", "upload-pages-artifact stand-in")
    workspace = Path(os.environ.get("GITHUB_WORKSPACE", "."))
    source = workspace / inputs["path"]
    if not source.is_dir():
        fail(f"tar: {inputs['path']}: Cannot open: No such file or directory")
    name = inputs["name"] or "github-pages"
    target = Path(os.environ["REHEARSAL_ARTIFACTS"]) / name
    if target.exists():
        # upload-artifact v4 and later refuse a second artifact of one name in a run.
        fail(f"an artifact named {name!r} already exists in this run")
    files = packed(source, inputs["include-hidden-files"] == "true")
    if not files:
        fail(f"{inputs['path']} holds no file to publish")
    target.mkdir(parents=True)
    archive = target / "artifact.tar"
    with tarfile.open(archive, "w", dereference=True) as tar:
        for path in files:
            tar.add(path, arcname="./" + path.relative_to(source).as_posix(), recursive=False)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    relative = [path.relative_to(source).as_posix() for path in files]
    record = {
        "job": os.environ.get("GITHUB_JOB", ""),
        "event": os.environ.get("GITHUB_EVENT_NAME", ""),
        "ref": os.environ.get("GITHUB_REF", ""),
        "name": name,
        "path": inputs["path"],
        "retention_days": inputs["retention-days"],
        "files": len(relative),
        "sha256": digest,
        "site": {page: page in relative for page in SITE_FILES},
    }
    node_action.append_record(RECORD, record)
    print(
        f"stand-in upload-pages-artifact: {name}: {len(relative)} files from {inputs['path']},"
        f" sha256 {digest}"
    )
    node_action.set_outputs(artifact_id=str(int(digest[:8], 16)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
