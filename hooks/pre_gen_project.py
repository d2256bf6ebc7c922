"""Refuse bad answers before cookiecutter writes anything.

Every check returns one line naming the field, the value and what is accepted. On the first
failure the hook prints that line and exits 1; cookiecutter then removes the half-made output
directory. The hook only reads its answers: it is safe to replay under ``cruft update``.
"""

from __future__ import annotations

import json
import keyword
import re
import shlex
import sys
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The only Jinja in this file. tojson escapes every quote character, so the raw string cannot end early.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""

# CPython lines with upstream support on the template's release date; 3.10 reached end of life in
# October 2026. Extend this when a new CPython is released and uv can install it.
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14", "3.15")


# At most 40 characters: long enough for real names, short enough that generated code that
# spells the name stays inside the formatter's 88 columns.
MAX_NAME = 40
# Every pattern below is spelled with explicit ASCII classes, never \d, \w or \s: those match any
# Unicode digit, letter or space, which TOML, YAML and e-mail headers do not accept where these go.
SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
# A dot-atom address (RFC 5322) without quote characters, backticks or braces, and a domain of DNS
# labels: it is written unquoted into TOML strings and into the Author-email header of the metadata.
EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&*+/=?^_|~-]+(?:\.[A-Za-z0-9!#$%&*+/=?^_|~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})"
)
MAX_EMAIL_LOCAL = 64
# GitHub's own rule: 1-39 characters, alphanumerics or single hyphens, not at either end.
GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
# Canonical PEP 440 public versions only, so a release tag `v<version>` matches the project version
# byte for byte (1.0.0rc1, not 1.0.0-RC1).
VERSION = re.compile(
    r"(?:[1-9][0-9]*!)?(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*"
    r"(?:(?:a|b|rc)(?:0|[1-9][0-9]*))?(?:\.post(?:0|[1-9][0-9]*))?(?:\.dev(?:0|[1-9][0-9]*))?"
)
PYTHON = re.compile(r"3\.(0|[1-9][0-9]*)")
# Written bare into TOML (`fail_under = 85`), where a leading zero is invalid.
THRESHOLD = re.compile(r"0|[1-9][0-9]?|100")
# Names a package must not take because the baked project already uses them as folders.
RESERVED_PACKAGES = frozenset({"src", "tests", "docs", "benchmarks"})
# Device names Windows will not create as a file or folder, whatever the extension.
WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10)}
)
WINDOWS_ACCEPTED = "a name Windows can create as a folder (not con, prn, aux, nul, com1-9 or lpt1-9)"
# Every name `sys.stdlib_module_names` lists on CPython 3.10 to 3.15 (3.10 to 3.13 read from the
# interpreters themselves, 3.14 from the stdlib-list project, 3.15 adds `profiling`). The hook runs
# under whatever Python the user runs cookiecutter with, and modules removed in 3.12 and 3.13
# (distutils, imp, asynchat, cgi...) vanish from newer interpreters' own sets, yet still exist on the
# oldest Python a project supports. A test checks this stays a superset of every local interpreter's.
_STDLIB_WORDS = """
    __future__ __main__ _abc _aix_support _android_support _apple_support _ast _ast_unparse _asyncio
    _bisect _blake2 _bootsubprocess _bz2 _codecs _codecs_cn _codecs_hk _codecs_iso2022 _codecs_jp
    _codecs_kr _codecs_tw _collections _collections_abc _colorize _compat_pickle _compression
    _contextvars _crypt _csv _ctypes _curses _curses_panel _datetime _dbm _decimal _elementtree
    _frozen_importlib _frozen_importlib_external _functools _gdbm _hashlib _heapq _hmac _imp
    _interpchannels _interpqueues _interpreters _io _ios_support _json _locale _lsprof _lzma
    _markupbase _md5 _msi _multibytecodec _multiprocessing _opcode _opcode_metadata _operator
    _osx_support _overlapped _pickle _posixshmem _posixsubprocess _py_abc _py_warnings _pydatetime
    _pydecimal _pyio _pylong _pyrepl _queue _random _remote_debugging _scproxy _sha1 _sha2 _sha256
    _sha3 _sha512 _signal _sitebuiltins _socket _sqlite3 _sre _ssl _stat _statistics _string
    _strptime _struct _suggestions _symtable _sysconfig _thread _threading_local _tkinter _tokenize
    _tracemalloc _types _typing _uuid _warnings _weakref _weakrefset _winapi _wmi _zoneinfo _zstd
    abc aifc annotationlib antigravity argparse array ast asynchat asyncio asyncore atexit audioop
    base64 bdb binascii binhex bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code
    codecs codeop collections colorsys compileall compression concurrent configparser contextlib
    contextvars copy copyreg crypt csv ctypes curses dataclasses datetime dbm decimal difflib dis
    distutils doctest email encodings ensurepip enum errno faulthandler fcntl filecmp fileinput
    fnmatch fractions ftplib functools gc genericpath getopt getpass gettext glob graphlib grp gzip
    hashlib heapq hmac html http idlelib imaplib imghdr imp importlib inspect io ipaddress itertools
    json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal math mimetypes mmap
    modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers opcode
    operator optparse os ossaudiodev pathlib pdb pickle pickletools pipes pkgutil platform plistlib
    poplib posix posixpath pprint profile profiling pstats pty pwd py_compile pyclbr pydoc
    pydoc_data pyexpat queue quopri random re readline reprlib resource rlcompleter runpy sched
    secrets select selectors shelve shlex shutil signal site smtpd smtplib sndhdr socket
    socketserver spwd sqlite3 sre_compile sre_constants sre_parse ssl stat statistics string
    stringprep struct subprocess sunau symtable sys sysconfig syslog tabnanny tarfile telnetlib
    tempfile termios textwrap this threading time timeit tkinter token tokenize tomllib trace
    traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib uu uuid
    venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile
    zipimport zlib zoneinfo
    """
# One block of words rather than a list literal: 330 names one per line would bury the hook.
STDLIB_MODULES = frozenset(_STDLIB_WORDS.split())
# Shipped with CPython but left out of `sys.stdlib_module_names`: the test package and the test-only
# extension modules, the modules `site` imports at every start-up when present, and what ensurepip
# installs into every new virtual environment.
_SHIPPED_UNLISTED_WORDS = """
    test __hello__ __phello__ _ctypes_test _testbuffer _testcapi _testclinic _testclinic_limited
    _testexternalinspection _testimportmultiple _testinternalcapi _testlimitedcapi _testmultiphase
    _testsinglephase _xxinterpchannels _xxsubinterpreters _xxtestfuzz xxlimited xxlimited_35 xxsubtype
    sitecustomize usercustomize pip setuptools _distutils_hack pkg_resources
    """
SHIPPED_UNLISTED = frozenset(_SHIPPED_UNLISTED_WORDS.split())
# Top-level modules the baked project's own `uv sync` installs beside it, with the distribution that
# brings each: a package of the same name would be shadowed by the installed one on sys.path, and the
# bake's first pytest run would fail. Read from a synced all-options bake; a project-tier test lists
# the .venv of real bakes and fails when a dependency adds a name missing here. colorama is
# installed only on Windows (pytest's dependency there), so no Linux .venv shows it.
TOOL_MODULES = {
    "_pytest": "pytest",
    "_yaml": "pyyaml",
    "cfgv": "cfgv",
    "colorama": "colorama",
    "coverage": "coverage",
    "distlib": "distlib",
    "filelock": "filelock",
    "identify": "identify",
    "iniconfig": "iniconfig",
    "nodeenv": "nodeenv",
    "packaging": "packaging",
    "platformdirs": "platformdirs",
    "pluggy": "pluggy",
    "pre_commit": "pre-commit",
    "py": "pytest",
    "pygments": "pygments",
    "pytest": "pytest",
    "pytest_cov": "pytest-cov",
    "python_discovery": "python-discovery",
    "ruff": "ruff",
    "ty": "ty",
    "virtualenv": "virtualenv",
    "yaml": "pyyaml",
}
# What `cli=typer` adds: typer and its dependencies.
TYPER_MODULES = {
    "annotated_doc": "annotated-doc",
    "annotated_types": "annotated-types",
    "markdown_it": "markdown-it-py",
    "mdurl": "mdurl",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic-core",
    "rich": "rich",
    "shellingham": "shellingham",
    "typer": "typer",
    "typing_extensions": "typing-extensions",
    "typing_inspection": "typing-inspection",
}
# What `kind=service` adds: FastAPI, uvicorn, pydantic-settings, structlog, httpx2 (tests) and
# their dependencies. httpx2-jsfetch is httpx2's transport under Pyodide only (like colorama).
SERVICE_MODULES = {
    "annotated_doc": "annotated-doc",
    "annotated_types": "annotated-types",
    "anyio": "anyio",
    "click": "click",
    "dotenv": "python-dotenv",
    "fastapi": "fastapi",
    "h11": "h11",
    "httpcore2": "httpcore2",
    "httpx2": "httpx2",
    "httpx2_jsfetch": "httpx2-jsfetch",
    "idna": "idna",
    "opentelemetry": "opentelemetry-api",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic-core",
    "pydantic_settings": "pydantic-settings",
    "starlette": "starlette",
    "structlog": "structlog",
    "truststore": "truststore",
    "typing_extensions": "typing-extensions",
    "typing_inspection": "typing-inspection",
    "uvicorn": "uvicorn",
}
# What `database=postgresql` adds: psycopg 3 (with its binary build), Alembic, SQLAlchemy and
# their dependencies. tzdata is psycopg's dependency on Windows only (like colorama).
DATABASE_MODULES = {
    "alembic": "alembic",
    "mako": "mako",
    "markupsafe": "markupsafe",
    "psycopg": "psycopg",
    "psycopg_binary": "psycopg-binary",
    "sqlalchemy": "sqlalchemy",
    "typing_extensions": "typing-extensions",
    "tzdata": "tzdata",
}

# What `docs=github-pages` adds with its `docs` group (`uv sync --group docs`): Sphinx, MyST,
# furo and their dependencies.
DOCS_MODULES = {
    "a11y_pygments": "accessible-pygments",
    "alabaster": "alabaster",
    "babel": "babel",
    "bs4": "beautifulsoup4",
    "certifi": "certifi",
    "charset_normalizer": "charset-normalizer",
    "docutils": "docutils",
    "furo": "furo",
    "idna": "idna",
    "imagesize": "imagesize",
    "jinja2": "jinja2",
    "markdown_it": "markdown-it-py",
    "markupsafe": "markupsafe",
    "mdit_py_plugins": "mdit-py-plugins",
    "mdurl": "mdurl",
    "myst_parser": "myst-parser",
    "requests": "requests",
    "roman_numerals": "roman-numerals",
    "snowballstemmer": "snowballstemmer",
    "soupsieve": "soupsieve",
    "sphinx": "sphinx",
    "sphinx_basic_ng": "sphinx-basic-ng",
    "sphinxcontrib": "sphinxcontrib-applehelp",
    "typing_extensions": "typing-extensions",
    "urllib3": "urllib3",
}

# Answers whose default cookiecutter.json derives from an earlier answer: (that answer, the private
# variable holding the default it derived). A refusal of the default names the answer it came from.
DERIVED_FROM = {
    "project_slug": ("project_name", "__project_slug_default"),
    "package_name": ("project_slug", "__package_name_default"),
}
# RFC 5322 specials a display name cannot hold unquoted. uv_build writes `Author-email: NAME <email>`
# without quoting, so any of these makes the header mean something else or nothing; the comma also
# separates addresses there (PEP 621). The period is left out: RFC 5322 keeps it in display names as
# obsolete syntax every parser must read (`J. R. R. Tolkien`), though no name starts with one:
# Python's own header parser fails on `.NET Team <you@example.com>`.
NAME_SPECIALS = '()<>[]:;@\\,"'

# The answers a user types, as opposed to choices and flags.
TEXT_FIELDS = (
    "project_name",
    "project_slug",
    "package_name",
    "description",
    "author_name",
    "author_email",
    "github_owner",
    "version",
    "python_min",
    "python_max",
)
# Cookiecutter renders every answer as Jinja, and cruft stores the rendered answer in .cruft.json and
# renders it again on every update, so an answer that still holds Jinja syntax would bake a different
# project on replay. Built from pieces because this file is itself rendered as Jinja.
JINJA_OPENERS = ("{" + "{", "{" + "%", "{" + "#")
# Unicode categories no answer may hold: control characters (TOML and YAML refuse most of them),
# surrogates (cannot be written as UTF-8) and the line and paragraph separators (a line break to YAML
# and to str.splitlines). A tab is allowed inside free text: TOML, YAML and Markdown take it as is.
REFUSED_CATEGORIES = {
    "Cc": "control character",
    "Cs": "surrogate",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}


class AnswerError(ValueError):
    """An answer that cannot bake a working project."""

    def __init__(self, field: str, value: object, accepted: str) -> None:
        super().__init__(f"{field}={value!r} is not accepted: {accepted}")
        self.field, self.value, self.accepted = field, value, accepted


def _text(answers: Mapping[str, Any], field: str) -> str:
    value = answers.get(field)
    if not isinstance(value, str):
        raise AnswerError(field, value, "a text answer is required")
    return value


def check_single_line(answers: Mapping[str, Any], field: str) -> None:
    value = _text(answers, field)
    accepted = "one line of text that is not empty, without spaces at either end"
    if not value.strip() or value != value.strip():
        raise AnswerError(field, value, accepted)
    for character in value:
        kind = REFUSED_CATEGORIES.get(unicodedata.category(character))
        if kind and character != "\t":
            raise AnswerError(field, value, f"{accepted}, without the {kind} U+{ord(character):04X}")


def check_no_jinja(answers: Mapping[str, Any]) -> None:
    for field in TEXT_FIELDS:
        value = answers.get(field)
        if isinstance(value, str) and any(opener in value for opener in JINJA_OPENERS):
            raise AnswerError(
                field,
                value,
                f"text without {', '.join(JINJA_OPENERS)} "
                "(cruft renders the stored answers as Jinja again on every update)",
            )


def check_author_name(answers: Mapping[str, Any]) -> None:
    check_single_line(answers, "author_name")
    name = answers["author_name"]
    accepted = f"a name without {' '.join(NAME_SPECIALS)} (the Author-email header holds it unquoted)"
    for character in name:
        if character in NAME_SPECIALS:
            raise AnswerError("author_name", name, f"{accepted}; it holds {character!r}")
    if name.startswith("."):
        raise AnswerError("author_name", name, "a name that does not start with a period (Author-email)")
    if "=?" in name:
        raise AnswerError(
            "author_name", name, "a name without '=?' (mail readers decode =?...?= as an encoded word)"
        )


def check_pattern(
    answers: Mapping[str, Any],
    field: str,
    pattern: re.Pattern[str],
    accepted: str,
    max_length: int = 254,
) -> None:
    value = _text(answers, field)
    if len(value) > max_length or not pattern.fullmatch(value):
        raise AnswerError(field, value, accepted)


def check_package_name(answers: Mapping[str, Any]) -> None:
    name = _text(answers, "package_name")
    accepted = f"a lowercase Python identifier of at most {MAX_NAME} characters, e.g. 'my_package'"
    if len(name) > MAX_NAME or not PACKAGE.fullmatch(name):
        raise AnswerError("package_name", name, accepted)
    if keyword.iskeyword(name) or name == "_":
        raise AnswerError("package_name", name, f"a name that is not a Python keyword, such as '{name}_'")
    if name in STDLIB_MODULES or name in SHIPPED_UNLISTED or name in sys.stdlib_module_names:
        raise AnswerError("package_name", name, "a name that does not shadow a module CPython ships")
    if name in WINDOWS_DEVICES:
        raise AnswerError("package_name", name, WINDOWS_ACCEPTED)
    if name in RESERVED_PACKAGES:
        raise AnswerError("package_name", name, f"a name other than {', '.join(sorted(RESERVED_PACKAGES))}")
    if distribution := tool_modules(answers).get(name):
        raise AnswerError(
            "package_name",
            name,
            f"a name the project's own tools install ({distribution}); importing it would load theirs, "
            "not yours",
        )


def tool_modules(answers: Mapping[str, Any]) -> dict[str, str]:
    """Top-level modules the baked project's environment installs, and the distribution of each."""
    typer = TYPER_MODULES if answers.get("cli") == "typer" else {}
    service = SERVICE_MODULES if answers.get("kind") == "service" else {}
    database = DATABASE_MODULES if answers.get("database") == "postgresql" else {}
    docs = DOCS_MODULES if answers.get("docs", "none") != "none" else {}
    return TOOL_MODULES | typer | service | database | docs


def check_slug(answers: Mapping[str, Any]) -> None:
    check_pattern(
        answers,
        "project_slug",
        SLUG,
        f"at most {MAX_NAME} lowercase letters, digits and single hyphens, starting with a letter, "
        "e.g. 'my-tool'",
        MAX_NAME,
    )
    slug = answers["project_slug"]
    if slug in WINDOWS_DEVICES:
        raise AnswerError("project_slug", slug, WINDOWS_ACCEPTED)
    # A project named like a distribution it installs depends on itself: uv cannot resolve it.
    distributions = {_normalized(name): name for name in tool_modules(answers).values()}
    if distribution := distributions.get(_normalized(slug)):
        raise AnswerError(
            "project_slug",
            slug,
            f"a name other than the project's own tools ({distribution}); uv cannot install a project "
            "named like one of its dependencies",
        )


def _normalized(distribution: str) -> str:
    """A distribution name as package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def check_email(answers: Mapping[str, Any]) -> None:
    check_pattern(
        answers,
        "author_email",
        EMAIL,
        "an ASCII email address like name@example.com, without quotes",
    )
    if len(answers["author_email"].partition("@")[0]) > MAX_EMAIL_LOCAL:
        raise AnswerError(
            "author_email", answers["author_email"], f"at most {MAX_EMAIL_LOCAL} characters before the @"
        )


def _minor(answers: Mapping[str, Any], field: str) -> int:
    value = _text(answers, field)
    accepted = f"one of {', '.join(SUPPORTED_PYTHONS)}"
    match = PYTHON.fullmatch(value)
    if not match:
        raise AnswerError(field, value, f"a Python version written 3.X, {accepted}")
    minor = int(match.group(1))
    if value not in SUPPORTED_PYTHONS:
        # Both bounds come from SUPPORTED_PYTHONS, so moving the floor there changes the message too.
        supported = [int(version.split(".")[1]) for version in SUPPORTED_PYTHONS]
        if minor < min(supported):
            when = "reached end of life"
        elif minor > max(supported):
            when = "is not released yet"
        else:
            when = "is not supported"
        raise AnswerError(field, value, f"Python {value} {when}; {accepted}")
    return minor


def check_python_range(answers: Mapping[str, Any]) -> None:
    oldest, newest = _minor(answers, "python_min"), _minor(answers, "python_max")
    if oldest > newest:
        raise AnswerError(
            "python_max",
            answers["python_max"],
            f"a version no older than python_min={answers['python_min']!r}",
        )


def check_threshold(answers: Mapping[str, Any]) -> None:
    value = answers.get("coverage_threshold")
    if isinstance(value, bool) or not THRESHOLD.fullmatch(str(value)):
        raise AnswerError("coverage_threshold", value, "a whole number from 0 to 100")


def manifest(answers: Mapping[str, Any]) -> Mapping[str, Any]:
    """`_options` from cookiecutter.json: the choices, flags and refused combinations."""
    options = answers.get("_options")
    if not isinstance(options, dict):
        raise AnswerError(
            "_options", None, "the template's option manifest (bake from the template, not an old replay)"
        )
    return options


STALE_MANIFEST = (
    "the option manifest of this template (the replay file was written by another version of "
    "the template, or edited: bake without --replay)"
)


def check_manifest_is_the_templates(answers: Mapping[str, Any]) -> None:
    """A cookiecutter --replay file brings its own `_options`, which may be another version's.

    Cookiecutter names the template's folder in `_repo_dir` (cruft does not, and cruft always
    takes `_options` from the template it bakes): there, `_options` must be the one in its
    cookiecutter.json, or the post-gen hook would keep or remove the wrong files and jobs.
    """
    repo_dir = answers.get("_repo_dir")
    if not isinstance(repo_dir, str) or not repo_dir:
        return
    try:
        template = json.loads(Path(repo_dir, "cookiecutter.json").read_text(encoding="utf-8")).get("_options")
    except (OSError, ValueError):
        return  # not a template folder this hook can read: nothing to compare with
    if json.dumps(template, sort_keys=True) != json.dumps(manifest(answers), sort_keys=True):
        raise AnswerError("_options", "(from the replay file)", STALE_MANIFEST)


def check_choices(answers: Mapping[str, Any]) -> None:
    for field, option in manifest(answers).items():
        if "choices" in option:
            # A list of [value, label] pairs: the answers reach this hook with keys sorted, so
            # the order the prompt shows is kept in a list.
            accepted = [value for value, _ in option["choices"]]
            if answers.get(field) not in accepted:
                raise AnswerError(field, answers.get(field), f"one of {', '.join(accepted)}")
        elif isinstance(option.get("default"), bool) and not isinstance(answers.get(field), bool):
            raise AnswerError(field, answers.get(field), "yes or no")


def refused_by(rule: Mapping[str, Any], field: str, answers: Mapping[str, Any]) -> bool:
    """Whether `rule` (one of `field`'s `refuses`) refuses these answers."""
    return answers.get(field) in rule["when"] and all(
        answers.get(other) in values for other, values in rule["with"].items()
    )


def check_combinations(answers: Mapping[str, Any]) -> None:
    """The combinations `_options` refuses, each with its reason.

    A rule's `with` names one or more other answers; the rule refuses when every one of them
    holds one of its listed values (several values of one answer are alternatives).
    """
    for field, option in manifest(answers).items():
        for rule in option.get("refuses", ()):
            if not refused_by(rule, field, answers):
                continue
            values_of = [v for v, _ in option["choices"]] if "choices" in option else [True, False]
            # Only values that no rule refuses with the same other answers are worth suggesting.
            others = [
                ("yes" if value else "no") if isinstance(value, bool) else value
                for value in values_of
                if not any(
                    refused_by(other_rule, field, {**answers, field: value})
                    for other_rule in option.get("refuses", ())
                )
            ]
            given = " and ".join(f"{other}={answers.get(other)!r}" for other in rule["with"])
            raise AnswerError(
                field, answers.get(field), f"{' or '.join(others)} with {given} ({rule['reason']})"
            )


def naming_its_source(
    field: str, check: Callable[[Mapping[str, Any]], None]
) -> Callable[[Mapping[str, Any]], None]:
    """The check, with a refusal of the derived default naming the answer it was derived from.

    The user never typed a derived default (`2048-game` from project_name='2048 Game'), so a refusal
    that names only it would not say which answer to change, nor that this one can be answered too.
    """
    source, default = DERIVED_FROM[field]

    def checked(answers: Mapping[str, Any]) -> None:
        try:
            check(answers)
        except AnswerError as error:
            if error.field != field or default not in answers or answers.get(field) != answers[default]:
                raise
            raise AnswerError(
                field,
                error.value,
                f"{error.accepted} (derived from {source}={answers.get(source)!r}; "
                f"answer {field}=... to choose one)",
            ) from None

    return checked


CHECKS: tuple[Callable[[Mapping[str, Any]], None], ...] = (
    check_manifest_is_the_templates,
    check_no_jinja,
    lambda a: check_single_line(a, "project_name"),
    naming_its_source("project_slug", check_slug),
    naming_its_source("package_name", check_package_name),
    lambda a: check_single_line(a, "description"),
    check_author_name,
    check_email,
    lambda a: check_pattern(
        a,
        "github_owner",
        GITHUB_OWNER,
        "a GitHub user or organisation name (ASCII letters, digits, single hyphens)",
    ),
    lambda a: check_pattern(a, "version", VERSION, "a canonical PEP 440 version such as 0.1.0 or 1.0.0rc1"),
    check_python_range,
    check_threshold,
    check_choices,
    check_combinations,
)


def validate(answers: Mapping[str, Any]) -> None:
    """Raise AnswerError for the first answer that cannot bake a working project."""
    for check in CHECKS:
        check(answers)


def _default(answers: Mapping[str, Any], field: str, option: Mapping[str, Any]) -> Any:
    """The answer a bake would take for `field` without being told (derived ones rendered)."""
    derived = DERIVED_FROM.get(field)
    if derived:
        return answers.get(derived[1])
    if "default_by_kind" in option:
        by_kind = option["default_by_kind"]
        return by_kind.get(answers.get("kind"), next(iter(by_kind.values())))
    if "choices" in option:
        return option["choices"][0][0]
    return option.get("default")


def _as_typed(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# Written where the refused answer goes; run unchanged, the bake refuses it again by name.
PLACEHOLDER = "..."


def _template_for_humans(answers: Mapping[str, Any]) -> str:
    """The template as the user can give it again: a local folder as an absolute path (the hook
    does not run where the user typed it), a URL without any credentials it carried."""
    template = str(answers["_template"])
    parts = urllib.parse.urlsplit(template)
    if len(parts.scheme) > 1 and not parts.netloc:  # file:///path (one letter: a Windows drive)
        return template
    if len(parts.scheme) > 1:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    repo_dir = answers.get("_repo_dir")
    remote = template.startswith(("gh:", "gl:", "bb:", "git@", "git+")) or template.endswith((".git", ".zip"))
    if not remote and isinstance(repo_dir, str) and Path(repo_dir).is_absolute() and Path(repo_dir).is_dir():
        return repo_dir
    return template


@dataclass
class Rerun:
    """What to print after a refusal: commands to run again, or why there is none."""

    commands: list[tuple[str, list[str]]]
    missing: str = ""


def rerun(answers: Mapping[str, Any], refused: str) -> Rerun | None:
    """Commands that bake again with every answer kept that differs from its default, and the
    refused one left as PLACEHOLDER; None when there is nothing to offer (no template named)."""
    template = answers.get("_template")
    if not isinstance(template, str) or not template:
        return None
    try:
        options = manifest(answers)
    except AnswerError:
        return None
    if refused not in options:
        return None  # not a question (a replay's _options): no answer to correct
    kept = {
        field: _as_typed(answers[field])
        for field, option in options.items()
        if field != refused and field in answers and answers[field] != _default(answers, field, option)
    }
    # A character a terminal does not show as itself (controls, tabs, bidi marks) would be lost
    # or, worse, rewrite the line when the command is copied from the screen.
    hidden = sorted(field for field, value in kept.items() if not value.isprintable())
    if hidden:
        return Rerun([], f"{', '.join(hidden)} holds characters a terminal does not show as typed")
    kept[refused] = PLACEHOLDER
    source = _template_for_humans(answers)
    if "_commit" in answers:  # cruft: the same commit; a new project or the one being updated
        create = ["uvx", "cruft", "create", source, "--checkout", str(answers["_commit"]), "--no-input"]
        create += ["--extra-context", json.dumps(kept, ensure_ascii=False)]
        update = ["uvx", "cruft", "update", "--variables-to-update", json.dumps({refused: PLACEHOLDER})]
        return Rerun([("a new project", create), ("a project being updated, from its folder", update)])
    command = ["uvx", "cookiecutter", source]
    if answers.get("_checkout"):
        command += ["--checkout", str(answers["_checkout"])]
    if answers.get("_output_dir"):
        command += ["--output-dir", str(answers["_output_dir"])]
    command += ["--no-input", *(f"{field}={value}" for field, value in kept.items())]
    return Rerun([("", command)])


def _printable_on(stream: Any, text: str) -> bool:
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except UnicodeEncodeError:
        return False
    return True


def main(answers_json: str = ANSWERS_JSON) -> int:
    answers = json.loads(answers_json)
    try:
        validate(answers)
    except AnswerError as error:
        print(f"error: {error}", file=sys.stderr)
        offer = rerun(answers, error.field)
        if offer is None:
            return 1
        lines = [f"  {shlex.join(command)}" for _, command in offer.commands]
        if offer.missing or not all(_printable_on(sys.stderr, line) for line in lines):
            why = offer.missing or "the terminal cannot show every answer"
            print(f"No command to bake again: {why}; correct it and bake again.", file=sys.stderr)
            return 1
        # Last, so that the reason and the way back are what the terminal shows together.
        print(
            f"To bake again with your other answers, replace the {PLACEHOLDER} after {error.field} "
            "with a value named above and run (a POSIX shell: bash, zsh):",
            file=sys.stderr,
        )
        for (label, _), line in zip(offer.commands, lines, strict=True):
            if label:
                print(f"For {label}:", file=sys.stderr)
            print(line, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
