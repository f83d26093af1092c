"""Every exception reconciler raises, in one place.

    ReconcilerError
    ├── DeclarationError        invalid declarations; carries every Problem
    ├── SettingsError           an invalid setting or project file
    │   └── ProjectFileError    an invalid reconciler.yaml; carries every Problem
    ├── StateError              the state file cannot be read, written or locked
    ├── PlanFileError           a saved plan that is unreadable or tampered with
    │   ├── StalePlanError      a saved plan whose numbers changed since
    │   └── OutdatedPlanError   a saved plan whose declarations or state changed
    ├── UnsafePlanError         a plan refused by a safety rule
    └── ApiError                the DeepCall API failed a request
        ├── ApiResponseError    the API answered with an error envelope
        └── TransportError      no usable answer: timeout, connection, HTTP status

    KeyboardInterrupt
    └── Terminated              SIGTERM, as a CI runner sends when a job is
                                cancelled: stops the command as Ctrl-C does

API errors carry the action, the number and the API code; never the
credentials, which are stripped before any request is logged or raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.contract import TRANSIENT_CODES


class ReconcilerError(Exception):
    """Base of every error reconciler reports to the user."""

    exit_code = 1


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM).

    A KeyboardInterrupt, so that everything that stops cleanly on Ctrl-C (an
    apply in flight, the processes that share a read) stops the same way.
    """

    exit_code = 143  # 128 + SIGTERM, as a shell reports it


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a declaration file: 1-based line and column."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding about the declarations: an error or a warning."""

    location: Location
    message: str
    hint: str = ""
    severity: str = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.described()}"

    def described(self) -> str:
        """The message and its hint, without the place and severity."""
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.message)


# How much of a value a message quotes: a whole file read as one string
# would otherwise be printed back.
QUOTED_LIMIT = 80


def quoted(value: object) -> str:
    """``value`` as Python writes it, cut in the middle when it is long."""
    length = len(value) if isinstance(value, str) else None
    return shortened(repr(value), length)


def shortened(text: str, length: int | None = None) -> str:
    """``text`` cut in the middle when it is long, saying how long it was."""
    if len(text) <= QUOTED_LIMIT:
        return text
    half = QUOTED_LIMIT // 2
    return f"{text[:half]}…{text[-half:]} ({length or len(text):,} characters)"


class DeclarationError(ReconcilerError):
    """The declarations are invalid; ``problems`` lists every finding."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        errors = [p for p in self.problems if p.is_error]
        super().__init__(f"{len(errors)} error(s) in the declarations")


class SettingsError(ReconcilerError):
    """A setting is invalid: in reconciler.yaml, the environment or a flag.

    ``message`` says what is wrong and ``hint``, when there is one, how to fix
    it, so that a caller can place them where the setting was written.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class ProjectFileError(SettingsError):
    """reconciler.yaml is invalid; ``problems`` lists every finding, located."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("; ".join(str(p) for p in self.problems))


class StateError(ReconcilerError):
    """The state file cannot be read, written or locked."""


class SandboxError(ReconcilerError):
    """The sandbox cannot start: its database is not one it can use."""


class PlanFileError(ReconcilerError):
    """A saved plan cannot be used as it is."""


class StalePlanError(PlanFileError):
    """Numbers of a saved plan changed live since the plan was computed."""

    exit_code = 4

    def __init__(self, numbers: Sequence[str], lapsed: Sequence[str] = ()) -> None:
        self.numbers = list(numbers)
        self.lapsed = list(lapsed)
        reasons = []
        if self.numbers:
            reasons.append(f"changed live since: {', '.join(self.numbers)}")
        if self.lapsed:
            reasons.append(
                f"an expiry it would set has passed: {', '.join(self.lapsed)}"
            )
        super().__init__(f"the saved plan is stale; {'; '.join(reasons)}. Plan again")


class OutdatedPlanError(PlanFileError):
    """The declarations or the state differ from those a saved plan was made from."""

    exit_code = 4


class UnsafePlanError(ReconcilerError):
    """A plan refused by a safety rule; ``reasons`` says which."""

    exit_code = 3

    def __init__(self, reasons: Sequence[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


class ApiError(ReconcilerError):
    """A request to the DeepCall API failed."""

    def __init__(
        self,
        message: str,
        *,
        action: str,
        number: str | None = None,
        code: int | None = None,
    ) -> None:
        self.action = action
        self.number = number
        self.code = code
        self.detail = message
        super().__init__(self._describe())

    @property
    def transient(self) -> bool:
        return False

    def _describe(self) -> str:
        where = self.action if self.number is None else f"{self.action} {self.number}"
        code = "" if self.code is None else f" (code {self.code})"
        return f"{where}: {self.detail}{code}"


class ApiResponseError(ApiError):
    """The API answered with ``status: error`` and an application code."""

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_CODES


class TransportError(ApiError):
    """No usable answer: a timeout, a broken connection or an HTTP error status.

    ``ambiguous`` is true when the request may have reached the server, so
    that a write's outcome is unknown until the number is read again.
    ``permanent`` is true for a failure that trying again cannot mend, such
    as a certificate that does not check out.
    """

    def __init__(
        self,
        message: str,
        *,
        action: str,
        number: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
        permanent: bool = False,
    ) -> None:
        self.status = status
        self.retry_after = retry_after
        self.ambiguous = ambiguous
        self.permanent = permanent
        super().__init__(message, action=action, number=number, code=status)

    @property
    def transient(self) -> bool:
        if self.permanent:
            return False
        return self.status is None or self.status == 429 or self.status >= 500
