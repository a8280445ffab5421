"""Fuzz every operation of an app's OpenAPI document with schemathesis, in process, and count.

Each operation gets bounded, repeatable examples (valid data, then data the schema forbids); every
response must be no 5xx, have a documented status and content type, and match its schema, and
invalid data must be refused. The app runs in schemathesis's own event loop, lifespan included, so
its store and broker clients live in the loop that serves the requests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]


# Every report of the run, for the summary at the end of pytest's output (see conftest.py).
REPORTS: list[FuzzReport] = []


@dataclass
class FuzzReport:
    target: str
    operations: int = 0
    examples: int = 0
    failures: list[str] = field(default_factory=list)
    # Statuses answered, per operation label: shows the fuzzer got past the login and the validation.
    statuses: dict[str, Counter[int]] = field(default_factory=dict)

    def line(self) -> str:
        answered = sum((counts for counts in self.statuses.values()), Counter[int]())
        spread = ", ".join(f"{status}: {n}" for status, n in sorted(answered.items()))
        return (
            f"[fuzz] {self.target}: {self.operations} operations, {self.examples} examples, "
            f"{len(self.failures)} failures (statuses {spread})"
        )


def fuzz(
    schema: BaseSchema,
    target: str,
    *,
    max_examples: int,
    session: Any = None,
    headers: dict[str, str] | None = None,
    last: Iterable[str] = (),
    pinned: dict[str, str] | None = None,
) -> FuzzReport:
    """Run every operation; `last` names operations (e.g. "POST /api/auth/logout") run at the end,
    because they end the session the others use. With `pinned` path parameters (e.g. an existing
    case id), only the operations that take one of them run, with that value, so the fuzzer works
    on real records instead of ids that do not exist."""
    report = FuzzReport(target)
    REPORTS.append(report)
    operations = _operations(schema)
    if pinned:
        operations = [op for op in operations if any(f"{{{name}" in op.path for name in pinned)]
    at_end = set(last)
    operations.sort(key=lambda op: op.label in at_end)
    for operation in operations:
        report.operations += 1
        for mode in MODES:
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=_pins(operation, pinned))
            _fuzz_operation(operation, mode, strategy, max_examples, report, session=session, headers=headers)
    print(report.line())
    return report


def _operations(schema: BaseSchema) -> list[Operation]:
    found = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(
                f"the OpenAPI document has an operation schemathesis cannot use: {result.err()}"
            )
        found.append(result.ok())
    return found


def _pins(operation: Operation, pinned: dict[str, str] | None) -> dict[str, str] | None:
    found = {name: value for name, value in (pinned or {}).items() if f"{{{name}" in operation.path}
    return found or None


def _fuzz_operation(
    operation: Operation,
    mode: GenerationMode,
    strategy: SearchStrategy[AnyCase],
    max_examples: int,
    report: FuzzReport,
    **call: Any,
) -> None:
    tried: list[AnyCase] = []
    statuses = report.statuses.setdefault(operation.label, Counter())

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the report shows the failing request
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: AnyCase) -> None:
        tried.append(case)
        report.examples += 1
        statuses[case.call_and_validate(checks=CHECKS, **call).status_code] += 1

    try:
        run()
    except Unsatisfiable:
        pass  # nothing invalid can be said to an operation without parameters
    except (Exception, FailureGroup) as exc:  # a failed check, or an exception the app let out
        report.failures.append(_describe(operation, mode, tried[-1] if tried else None, exc))


def _describe(operation: Operation, mode: GenerationMode, case: AnyCase | None, exc: BaseException) -> str:
    if isinstance(exc, FailureGroup):
        what = "; ".join(
            f"{failure.title}: {' '.join(failure.message.split())}" for failure in exc.exceptions
        )
    else:
        what = f"{type(exc).__name__}: {exc}"
    request = case.as_curl_command() if case is not None else "(no request)"
    return f"{operation.label} [{mode.value}]: {what[:600]}\n    {request[:600]}"


def assert_clean(report: FuzzReport) -> None:
    assert not report.failures, report.line() + "\n" + "\n".join(report.failures)
