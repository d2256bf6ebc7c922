"""GitHub's OpenAPI description as a request checker for the stand-in server.

It answers two questions for every request the stand-in receives: which documented
operation is this (method + path template), and does its JSON body satisfy that
operation's requestBody schema. Responses the stand-in sends are checked too, so the
stand-in cannot invent a field the scripts then come to rely on.

Two adjustments turn the OpenAPI 3.0 schemas into what `jsonschema` checks and what
GitHub actually enforces:

* `nullable: true` (OpenAPI only) becomes an explicit `null` alternative.
* Request bodies are closed: an object that lists its properties accepts no others,
  as GitHub answers 422 "... is not a permitted key" there. This is what catches a
  misspelt field, which an open schema would let through unnoticed.

Plus one erratum where the description and GitHub disagree; see ERRATA.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator

METHODS = ("get", "put", "post", "patch", "delete")
Schema = dict[str, Any]


@dataclass
class Operation:
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_length: int
    raw: dict[str, Any]
    _validators: dict[str, Validator] = field(default_factory=dict)

    def body_validator(self) -> Validator | None:
        schema = json_content_schema(self.raw.get("requestBody"))
        if schema is None:
            return None
        return self._validator("request", schema, close_objects)

    def response_validator(self, status: int) -> Validator | None:
        schema = json_content_schema(self.raw.get("responses", {}).get(str(status)))
        if schema is None:
            return None
        # The stand-in answers with the fields scripts read, not all 70-odd that GitHub
        # sends; what it does send must be documented and of the documented type.
        return self._validator(f"response {status}", schema, close_and_relax)

    def _validator(self, key: str, schema: Schema, shape: Callable[[Any], Any]) -> Validator:
        if key not in self._validators:
            converted = shape(from_openapi(copy.deepcopy(schema)))
            jsonschema.Draft4Validator.check_schema(converted)
            self._validators[key] = jsonschema.Draft4Validator(converted)
        return self._validators[key]


class Description:
    """Every operation of api.github.com, looked up by method and concrete path."""

    def __init__(self, document: dict[str, Any]) -> None:
        apply_errata(document)
        self.version = str(document.get("info", {}).get("version", "?"))
        self.operations: list[Operation] = []
        for template, item in document["paths"].items():
            for method in METHODS:
                if method in item:
                    self.operations.append(compile_operation(template, method, item))
        self.by_id = {operation.operation_id: operation for operation in self.operations}

    @classmethod
    def load(cls, path: Path) -> Description:
        with path.open("rb") as handle:
            return cls(json.load(handle))

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        candidates = [
            (operation, found)
            for operation in self.operations
            if operation.method == method.lower() and (found := operation.pattern.fullmatch(path)) is not None
        ]
        if not candidates:
            return None
        # "/branches/{branch}/protection" must win over "/branches/{branch}", whose
        # branch parameter may span several segments.
        operation, found = max(candidates, key=lambda pair: pair[0].literal_length)
        return operation, found.groupdict()

    def body_errors(self, operation: Operation, body: Any) -> list[str]:
        validator = operation.body_validator()
        if validator is None:
            return [] if body is None else [f"{operation.operation_id} takes no body"]
        return describe(validator, body)

    def response_errors(self, operation: Operation, status: int, body: Any) -> list[str]:
        validator = operation.response_validator(status)
        return [] if validator is None or body is None else describe(validator, body)


def compile_operation(template: str, method: str, item: dict[str, Any]) -> Operation:
    raw = item[method]
    multi_segment = {
        parameter["name"]
        for parameter in raw.get("parameters", [])
        if parameter.get("in") == "path" and parameter.get("x-multi-segment")
    }
    regex, literal_length = "", 0
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{"):
            name = piece[1:-1]
            group = re.sub(r"\W", "_", name)
            regex += f"(?P<{group}>.+)" if name in multi_segment else f"(?P<{group}>[^/]+)"
        else:
            regex += re.escape(piece)
            literal_length += len(piece)
    return Operation(
        operation_id=raw["operationId"],
        method=method,
        template=template,
        pattern=re.compile(regex),
        literal_length=literal_length,
        raw=raw,
    )


def json_content_schema(holder: dict[str, Any] | None) -> Schema | None:
    if not holder:
        return None
    schema = holder.get("content", {}).get("application/json", {}).get("schema")
    return schema if isinstance(schema, dict) else None


def from_openapi(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` spelled as JSON Schema, everywhere in the tree."""
    if isinstance(node, list):
        return [from_openapi(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: from_openapi(value) for key, value in node.items()}
    if not converted.pop("nullable", False):
        return converted
    if isinstance(converted.get("type"), str) and set(converted) <= TYPED_NULLABLE:
        converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


# Keywords that still mean the same once "null" joins the type list; anything else
# (properties, items, oneOf...) goes into an anyOf so null is not tested against it.
TYPED_NULLABLE = frozenset(
    {"type", "enum", "format", "description", "title", "default", "example", "examples"}
)


def close_objects(node: Any, *, in_all_of: bool = False) -> Any:
    if isinstance(node, list):
        return [close_objects(item, in_all_of=in_all_of) for item in node]
    if not isinstance(node, dict):
        return node
    closed = {key: close_objects(value, in_all_of=in_all_of or key == "allOf") for key, value in node.items()}
    # allOf parts each list only some properties; closing them would refuse the rest.
    if "properties" in closed and "additionalProperties" not in closed and not in_all_of:
        closed["additionalProperties"] = False
    return closed


def close_and_relax(node: Any) -> Any:
    # Without "required", the alternatives of a oneOf that differ only in what they
    # require (a public and a private user) all match, so a response needs just one.
    def relax(part: Any) -> Any:
        if isinstance(part, list):
            return [relax(item) for item in part]
        if not isinstance(part, dict):
            return part
        return {
            "anyOf" if key == "oneOf" else key: relax(value)
            for key, value in part.items()
            if key != "required"
        }

    return close_objects(relax(node))


def describe(validator: Validator, instance: Any) -> list[str]:
    problems = []
    for error in validator.iter_errors(instance):
        # The nullable anyOf wraps most objects; the useful words are further in.
        cause = best_match([error])
        where = "/".join(map(str, cause.absolute_path)) or "(body)"
        problems.append(f"{where}: {cause.message} [{cause.validator}]")
    return sorted(problems)


def _branch_protection_status_checks(document: dict[str, Any]) -> Schema:
    operation = document["paths"]["/repos/{owner}/{repo}/branches/{branch}/protection"]
    schema = operation["put"]["requestBody"]["content"]["application/json"]["schema"]
    return schema["properties"]["required_status_checks"]  # type: ignore[no-any-return]


def _checks_or_contexts(schema: Schema) -> None:
    # The description requires "contexts" (deprecated) next to "strict". GitHub itself
    # takes exactly one of "contexts" and "checks": "checks" alone succeeds, and both
    # together are refused with "More than one subschema in oneOf matched" (reported
    # in ossf/allstar#155 and google/go-github#2976). The stand-in follows GitHub.
    if sorted(schema.get("required", [])) != ["contexts", "strict"]:
        raise RuntimeError(
            "@octokit/openapi no longer requires required_status_checks.contexts: check "
            "whether GitHub's description now matches its behaviour and drop the erratum"
        )
    schema["required"] = ["strict"]
    schema["oneOf"] = [{"required": ["contexts"]}, {"required": ["checks"]}]


# Where the description is known to disagree with what GitHub enforces. Each erratum
# first checks that the description still says what it corrects, so a release that
# fixes it fails loudly instead of being corrected twice.
ERRATA: list[tuple[Callable[[dict[str, Any]], Schema], Callable[[Schema], None]]] = [
    (_branch_protection_status_checks, _checks_or_contexts),
]


def apply_errata(document: dict[str, Any]) -> None:
    for locate, correct in ERRATA:
        correct(locate(document))
