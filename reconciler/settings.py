"""Settings: defaults, then reconciler.yaml, then the environment, then flags."""

from __future__ import annotations

import difflib
import logging
import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import phonenumbers

from reconciler import contract, yamlfile
from reconciler.errors import Location, Problem, ProjectFileError, SettingsError

log = logging.getLogger(__name__)

PROJECT_FILE_NAMES = ("reconciler.yaml", "reconciler.yml")

# Settings the environment may give, above reconciler.yaml and below flags.
ENVIRONMENT = {
    "RECONCILER_REGION": "region",
    "RECONCILER_TIMEZONE": "timezone",
}
REGION_HINT = "use an ISO 3166-1 alpha-2 code such as 'IN', 'US' or 'GB'"
TIMEZONE_HINT = "use an IANA name such as 'Asia/Kolkata' or 'UTC'"
KINDS = ("dnc", "sticky_agents", "account_managers", "contacts", "blacklist")


@dataclass(frozen=True)
class Credentials:
    """Either ``ssid`` or ``user_id`` + ``token``; never both on the wire."""

    user_id: str | None = None
    token: str | None = None
    ssid: str | None = None

    def body_fields(self) -> dict[str, str]:
        if self.user_id and self.token:
            return {"userId": self.user_id, "token": self.token}
        if self.ssid:
            return {"ssid": self.ssid}
        return {}

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.ssid) if s)

    def __repr__(self) -> str:
        # Keep secrets out of tracebacks and debug output.
        return f"Credentials(user_id={self.user_id!r}, token=***, ssid=***)"

    @classmethod
    def sandbox_default(cls) -> Credentials:
        return cls(user_id=contract.SANDBOX_USER_ID, token=contract.SANDBOX_TOKEN)


@dataclass(frozen=True)
class Threshold:
    max_change_percent: float = 30.0
    min_entries: int = 10


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know besides the declarations."""

    root: Path = Path(".")
    region: str = contract.DEFAULT_REGION
    timezone: str = "Asia/Kolkata"
    base_url: str | None = None
    credentials: Credentials = field(default_factory=Credentials)
    wire_number_format: str = contract.WIRE_NUMBER_FORMAT
    state_path: Path = Path(".reconciler/state.json")
    ledger_path: Path = Path(".reconciler/ledger.jsonl")
    thresholds: Mapping[str, Threshold] = field(default_factory=dict)
    parallelism: int = 16
    rate: float | None = None
    timeout: float = 10.0
    sandbox_seed: Path | None = None
    # Reference data the API cannot list (see reconciler.reference); None
    # leaves caller lines and account managers unchecked.
    caller_lines: tuple[str, ...] | None = None
    manager_ids: tuple[str, ...] | None = None
    managers_are_agents: bool = False
    # DEEPCALL_BASE_URL was set, but to nothing: see endpoint.open_endpoint.
    base_url_blank: bool = False

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def embedded(self) -> bool:
        """True when no endpoint is configured: the embedded sandbox is used."""
        return not self.base_url

    def threshold(self, kind: str) -> Threshold:
        return self.thresholds.get(kind, Threshold())

    def resolve(self, path: Path) -> Path:
        return path if path.is_absolute() else self.root / path


def declarations_root(paths: list[Path]) -> Path:
    """The folder that holds the project file, state and embedded sandbox."""
    if not paths:
        return Path(".")
    first = paths[0]
    return first if first.is_dir() else first.parent


def load(root: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, overlaid by ``root/reconciler.yaml``, overlaid by ``environ``."""
    environ = os.environ if environ is None else environ
    settings = Settings(root=root)
    settings = _apply_project_file(settings, root)
    settings = _apply_environment(settings, environ)
    return _checked(settings)


def override(settings: Settings, **flags: Any) -> Settings:
    """Apply command-line flags; ``None`` means the flag was not given."""
    given = {k: v for k, v in flags.items() if v is not None}
    return _checked(replace(settings, **given))


def region_code(value: str) -> str:
    """``value`` as the upper-case region code phonenumbers knows (``in``: IN).

    Raises SettingsError for a code that names no region.
    """
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingsError(f"unknown region {value!r}", REGION_HINT)
    return code


def timezone_name(value: str) -> str:
    """``value`` if it names an IANA time zone; SettingsError otherwise."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"unknown time zone {value!r}", _timezone_hint(value)
        ) from None
    return value


def _timezone_hint(value: str) -> str:
    # Names are case-sensitive on most systems: `asia/kolkata` is not found.
    names = {name.lower(): name for name in zoneinfo.available_timezones()}
    close = difflib.get_close_matches(value.lower(), list(names), n=1)
    if close:
        return f"did you mean {names[close[0]]!r}?"
    return TIMEZONE_HINT


# Settings whose values a schema cannot check: the names must exist.
_VALUE_CHECKS: dict[str, Callable[[str], str]] = {
    "region": region_code,
    "timezone": timezone_name,
}


def find_project_file(root: Path) -> Path | None:
    for name in PROJECT_FILE_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    return None


def _apply_project_file(settings: Settings, root: Path) -> Settings:
    path = find_project_file(root)
    if path is None:
        return settings
    data = _read_project_file(path)
    if data is None:
        return settings
    log.debug("settings from %s", path)
    return _merge_project_data(settings, data)


def _read_project_file(path: Path) -> yamlfile.LocatedMap | None:
    """The project file's settings; ProjectFileError lists all that is wrong."""
    # The same safe, located reader as the declarations: duplicate keys,
    # alias bombs and bad bytes are refused with their place.
    try:
        data = yamlfile.load(path)
    except yamlfile.YamlFileError as exc:
        raise ProjectFileError([exc.problem]) from None
    if data is None:
        return None
    if not isinstance(data, yamlfile.LocatedMap):
        raise ProjectFileError([_not_a_mapping(path, data)])

    from reconciler import schemas  # jsonschema only when there is a file

    # A region or zone that phonenumbers or zoneinfo refuse is explained
    # better than by the schema's pattern, so those come first at a place.
    problems = _value_problems(str(path), data)
    problems += schemas.project_problems(str(path), data)
    if problems:
        raise ProjectFileError(_one_per_place(problems))
    return data


def _not_a_mapping(path: Path, data: Any) -> Problem:
    line, column = getattr(data, "position", None) or _first_value(path)
    return Problem(
        Location(str(path), line, column),
        "the project file must be a mapping of settings, not "
        + yamlfile.describe(data),
        "write one `name: value` line per setting, such as `region: IN`",
    )


def _first_value(path: Path) -> tuple[int, int]:
    """Where a document that is a single scalar starts (YAML keeps no place)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text and not text.startswith(("#", "%", "---")):
            return number, len(line) - len(line.lstrip()) + 1
    return 1, 1


def _value_problems(display: str, data: yamlfile.LocatedMap) -> list[Problem]:
    problems = []
    for key, check in _VALUE_CHECKS.items():
        value = data.get(key)
        if not isinstance(value, str):
            continue  # the schema says what it should be
        try:
            check(value)
        except SettingsError as exc:
            where = Location(display, *data.value_positions[key])
            problems.append(Problem(where, exc.message, exc.hint))
    return problems


def _one_per_place(problems: list[Problem]) -> list[Problem]:
    kept: dict[Location, Problem] = {}
    for problem in problems:
        kept.setdefault(problem.location, problem)
    return list(kept.values())


def _merge_project_data(settings: Settings, data: dict[str, Any]) -> Settings:
    changes: dict[str, Any] = {}
    simple = {
        "region": "region",
        "timezone": "timezone",
        "wire_number_format": "wire_number_format",
        "parallelism": "parallelism",
        "rate": "rate",
        "timeout": "timeout",
    }
    for key, attr in simple.items():
        if key in data:
            changes[attr] = data[key]

    if "endpoint" in data and data["endpoint"].get("base_url"):
        changes["base_url"] = data["endpoint"]["base_url"]
    if "state" in data and "path" in data["state"]:
        changes["state_path"] = Path(data["state"]["path"])
    if "ledger" in data and "path" in data["ledger"]:
        changes["ledger_path"] = Path(data["ledger"]["path"])
    if "sandbox" in data and "seed" in data["sandbox"]:
        changes["sandbox_seed"] = Path(data["sandbox"]["seed"])
    if "reference" in data:
        changes.update(_reference_settings(data["reference"]))
    if "thresholds" in data:
        changes["thresholds"] = {
            kind: Threshold(**values) for kind, values in data["thresholds"].items()
        }
    return replace(settings, **changes)


def _reference_settings(data: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "caller_lines" in data:
        changes["caller_lines"] = tuple(str(line) for line in data["caller_lines"])
    managers = data.get("managers")
    if managers == "agents":
        changes["managers_are_agents"] = True
    elif managers is not None:
        changes["manager_ids"] = tuple(str(m) for m in managers)
    return changes


def _apply_environment(settings: Settings, environ: Mapping[str, str]) -> Settings:
    changes: dict[str, Any] = {}
    base_url = environ.get(contract.ENV_BASE_URL, "").strip()
    if base_url:
        if not base_url.startswith(("http://", "https://")):
            raise SettingsError(
                f"{contract.ENV_BASE_URL}: {base_url!r} is not an http(s) URL "
                f"(such as {contract.DEFAULT_BASE_URL}); unset it to use the "
                "embedded sandbox"
            )
        changes["base_url"] = base_url
    elif contract.ENV_BASE_URL in environ:
        changes["base_url_blank"] = True
    for variable, attr in ENVIRONMENT.items():
        value = environ.get(variable, "").strip()
        if value:
            changes[attr] = _environment_value(variable, attr, value)

    creds = Credentials(
        user_id=environ.get(contract.ENV_USER_ID) or None,
        token=environ.get(contract.ENV_TOKEN) or None,
        ssid=environ.get(contract.ENV_SSID) or None,
    )
    changes["credentials"] = creds
    return replace(settings, **changes)


def _environment_value(variable: str, attr: str, value: str) -> str:
    check = _VALUE_CHECKS[attr]
    try:
        return check(value)
    except SettingsError as exc:
        raise SettingsError(f"{variable}: {exc.message}", exc.hint) from None


def _checked(settings: Settings) -> Settings:
    """``settings`` with the region upper-cased; SettingsError if any is invalid."""
    region = region_code(settings.region)
    timezone_name(settings.timezone)
    if settings.parallelism < 1:
        raise SettingsError("parallelism must be at least 1")
    if settings.rate is not None and settings.rate <= 0:
        raise SettingsError("rate must be a positive number of requests per second")
    if settings.wire_number_format not in ("digits", "e164"):
        raise SettingsError("wire_number_format must be 'digits' or 'e164'")
    return replace(settings, region=region)
