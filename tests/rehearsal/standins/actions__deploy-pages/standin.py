"""actions/deploy-pages, rehearsed: check and unpack this run's Pages artifact; nothing is
published (see action.yml)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
# act runs a copy of this folder alone; the shared code is found where the rehearsal says.
sys.path.insert(0, str(Path(os.environ.get("REHEARSAL_STANDINS", HERE.parent)) / "_lib"))

import node_action  # noqa: E402

RECORD = "actions__deploy-pages.jsonl"
UPLOADS = "actions__upload-pages-artifact.jsonl"


def fail(message: str) -> NoReturn:
    node_action.fail("deploy-pages stand-in", message)


def main() -> int:
    inputs = node_action.read_inputs(HERE, "actions/deploy-pages", "deploy-pages stand-in")
    records = Path(os.environ["REHEARSAL_RECORDS"])
    name = inputs["artifact_name"] or "github-pages"
    archive = Path(os.environ["REHEARSAL_ARTIFACTS"]) / name / "artifact.tar"
    if not archive.is_file():
        # The real action's words when the run has no such artifact.
        fail(
            "No uploaded artifact was found! Please check if there are any errors at build step, "
            f"or uploaded artifact name is correct. (artifact_name: {name})"
        )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    uploads = records / UPLOADS
    uploaded = (
        [json.loads(line) for line in uploads.read_text(encoding="utf-8").splitlines()]
        if uploads.is_file()
        else []
    )
    if not any(entry["name"] == name and entry["sha256"] == digest for entry in uploaded):
        fail(f"artifact {name!r} (sha256 {digest}) is not what upload-pages-artifact recorded in this run")
    site = records / "pages"
    shutil.rmtree(site, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(site, filter="data")
    owner, _, repository = os.environ.get("GITHUB_REPOSITORY", "owner/repository").partition("/")
    page_url = f"https://{owner.lower()}.github.io/{repository}/"
    record = {
        "job": os.environ.get("GITHUB_JOB", ""),
        "event": os.environ.get("GITHUB_EVENT_NAME", ""),
        "ref": os.environ.get("GITHUB_REF", ""),
        "artifact_name": name,
        "sha256": digest,
        "unpacked": str(site),
        "page_url": page_url,
        "preview": inputs["preview"],
    }
    node_action.append_record(RECORD, record)
    print(
        f"stand-in deploy-pages: artifact {name} (sha256 {digest}) checked and unpacked into {site}; "
        "GitHub Pages is out of reach, so nothing was published"
    )
    node_action.set_outputs(page_url=page_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
