"""actions/attest-build-provenance, rehearsed: record the subjects and their digests (see action.yml)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import NoReturn

HERE = Path(__file__).resolve().parent
# act runs a copy of this folder alone; the shared code is found where the rehearsal says.
sys.path.insert(0, str(Path(os.environ.get("REHEARSAL_STANDINS", HERE.parent)) / "_lib"))

import node_action  # noqa: E402

RECORD = "actions__attest-build-provenance.jsonl"
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")


def fail(message: str) -> NoReturn:
    node_action.fail("attest-build-provenance stand-in", message)


def read_inputs() -> dict[str, str]:
    return node_action.read_inputs(
        HERE, "actions/attest-build-provenance", "attest-build-provenance stand-in"
    )


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def subjects(inputs: dict[str, str], workspace: Path) -> list[dict[str, str]]:
    given = [name for name in ("subject-path", "subject-digest", "subject-checksums") if inputs[name]]
    if len(given) != 1:
        fail(f"exactly one of subject-path, subject-digest, subject-checksums must be set, got {given}")
    if inputs["subject-digest"]:
        if not inputs["subject-name"] or not DIGEST_RE.fullmatch(inputs["subject-digest"]):
            fail("subject-digest needs subject-name and the form sha256:<64 hex digits>")
        return [{"name": inputs["subject-name"], "digest": inputs["subject-digest"]}]
    if inputs["subject-checksums"]:
        found = []
        for line in (workspace / inputs["subject-checksums"]).read_text(encoding="utf-8").splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                found.append({"name": name.lstrip("*"), "digest": f"sha256:{digest}"})
        return found
    found = []
    # Newline- or comma-separated patterns, as upstream. Path.glob's `*` matches dotfiles, as
    # @actions/glob (which actions/attest uses, without excludeHiddenFiles) does: `dist/*`
    # attests uv's dist/.gitignore too, and the rehearsal must see what GitHub would attest.
    for pattern in re.split(r"[\n,]", inputs["subject-path"]):
        if not pattern.strip():
            continue
        relative = Path(pattern.strip())
        root = Path(relative.anchor) if relative.is_absolute() else workspace
        matches = sorted(
            root.glob(str(relative.relative_to(relative.anchor) if relative.is_absolute() else relative))
        )
        files = [match for match in matches if match.is_file()]
        if not files:
            fail(f"could not find subject at path {pattern.strip()}")
        found += [{"name": path.name, "path": pattern.strip(), "digest": sha256(path)} for path in files]
    return found


def main() -> int:
    inputs = read_inputs()
    try:
        record_dir = Path(os.environ["REHEARSAL_RECORDS"])
    except KeyError:
        fail("the rehearsal must set REHEARSAL_RECORDS")
    workspace = Path(os.environ.get("GITHUB_WORKSPACE", "."))
    record = {
        "job": os.environ.get("GITHUB_JOB", ""),
        "predicate_type": inputs["predicate-type"] or "https://slsa.dev/provenance/v1",
        "subjects": subjects(inputs, workspace),
        # Recorded only: no attestation is made, so none is pushed to the image's registry.
        "push_to_registry": inputs["push-to-registry"] == "true",
    }
    for subject in record["subjects"]:
        print(f"attested {subject['name']} {subject['digest']}")
    record_dir.mkdir(parents=True, exist_ok=True)
    with (record_dir / RECORD).open("a", encoding="utf-8") as sink:
        sink.write(json.dumps(record) + "\n")
    bundle = record_dir / f"attestation-{len(record['subjects'])}-{os.getpid()}.json"
    bundle.write_text(json.dumps(record), encoding="utf-8")
    if output := os.environ.get("GITHUB_OUTPUT"):
        with Path(output).open("a", encoding="utf-8") as sink:
            sink.write(f"bundle-path={bundle}\nattestation-id=rehearsal\nattestation-url=\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
