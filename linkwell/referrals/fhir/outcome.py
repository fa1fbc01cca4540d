"""OperationOutcome: how the FHIR endpoint says precisely what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

import pydantic
from fhir.resources.R4B.operationoutcome import OperationOutcome


@dataclass(frozen=True)
class Issue:
    """One problem: a FHIR IssueType code, words for people, and the FHIRPath of the element."""

    code: str
    diagnostics: str
    expression: str | None = None
    severity: str = "error"


class FhirError(Exception):
    """Answer the request with an OperationOutcome of these issues and this HTTP status."""

    def __init__(self, status: int, issues: list[Issue] | Issue, headers: dict | None = None):
        self.status = status
        self.issues = [issues] if isinstance(issues, Issue) else list(issues)
        self.headers = headers or {}
        super().__init__("; ".join(i.diagnostics for i in self.issues))


def operation_outcome(issues: list[Issue]) -> dict:
    resource = OperationOutcome.model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": issue.severity,
                    "code": issue.code,
                    "diagnostics": issue.diagnostics,
                    **({"expression": [issue.expression]} if issue.expression else {}),
                }
                for issue in issues
            ],
        }
    )
    return resource.model_dump(mode="json", by_alias=True, exclude_none=True)


def _element_name(name: str) -> str:
    """Python field names back to FHIR names: for_fhir -> for, status__ext -> _status."""
    if name == "resource_type":
        return "resourceType"
    if name.endswith("__ext"):
        return "_" + _element_name(name[: -len("__ext")])
    if name.endswith("_fhir"):
        return name[: -len("_fhir")]
    return name


def fhirpath(root: str, loc: tuple | list) -> str:
    """('contained', 0, 'name', 0, 'family') -> 'ServiceRequest.contained[0].name[0].family'."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += "." + _element_name(str(part))
    return path


_REQUIRED = {"missing", "model_field_validation.missing"}
_UNKNOWN = {"extra_forbidden"}


def issues_from_pydantic(error: pydantic.ValidationError, root: str) -> list[Issue]:
    issues = []
    for detail in error.errors():
        kind = detail.get("type", "")
        expression = fhirpath(root, detail.get("loc", ()))
        if kind in _REQUIRED:
            code, words = "required", f"{expression} is required."
        elif kind in _UNKNOWN:
            code, words = "structure", f"{expression} is not an element of {root}."
        else:
            message = str(detail.get("msg", "")).removeprefix("Value error, ")
            code, words = "value", f"{expression}: {message}"
        issues.append(Issue(code, words, expression))
    return issues
