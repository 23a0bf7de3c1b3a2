"""Where the global ladder and the holiday overrides come from: a document an administrator saved in the database,
else the file named in the settings, else the built-in default. Planning, the deadline preview and the admin page
all read them here, so they always agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Generic, Literal, TypeVar

import yaml
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.calendar import CalendarOverrides
from dondoc.settings import Settings
from dondoc.spec_loader import explain, syntax_problem
from dondoc.yaml_text import load_yaml
from models.admin_tables import ConfigDocument
from models.policy import DEFAULT_POLICY, Policy

POLICY: Final = "policy"
HOLIDAYS: Final = "holidays"
DocumentName = Literal["policy", "holidays"]

T = TypeVar("T")


@dataclass(frozen=True)
class Effective(Generic[T]):
    value: T
    source: Literal["database", "file", "default"]
    text: str  # the YAML an administrator would edit
    document: ConfigDocument | None = None


def parse_policy(text: str, origin: str = "Chính sách đôn đốc") -> Policy:
    """A ladder from YAML text; errors name the field, in Vietnamese, after `origin`."""
    try:
        data = load_yaml(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{origin} {syntax_problem(error)}.") from None
    if not isinstance(data, dict):
        raise ValueError(f"{origin} phải có dạng 'steps: [...]' (xem docs/conclusion-spec.md, mục policy)")
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise ValueError(f"{origin} không hợp lệ: " + "; ".join(explain(error))) from None


def policy_text(policy: Policy) -> str:
    """The ladder as YAML that `parse_policy` reads back (offsets as ISO 8601 durations)."""
    steps = [
        {k: v for k, v in step.items() if v or k in ("offset", "to")}
        for step in policy.model_dump(mode="json")["steps"]
    ]
    return yaml.safe_dump({"steps": steps}, allow_unicode=True, sort_keys=False, default_flow_style=None)


def load_policy(path: Path | None) -> Policy:
    """The ladder of a file when one is configured, else the default of domain.md."""
    if path is None:
        return DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"Không đọc được tệp chính sách đôn đốc {path}: {error}") from None
    return parse_policy(text, f"Tệp chính sách đôn đốc {path}")


def stored(engine: Engine, name: DocumentName) -> ConfigDocument | None:
    with Session(engine) as session:
        return session.get(ConfigDocument, name)


def effective_policy(engine: Engine, settings: Settings) -> Effective[Policy]:
    document = stored(engine, POLICY)
    if document is not None:
        return Effective(parse_policy(document.text), "database", document.text, document)
    if settings.policy_file is not None:
        policy = load_policy(settings.policy_file)
        return Effective(policy, "file", policy_text(policy))
    return Effective(DEFAULT_POLICY, "default", policy_text(DEFAULT_POLICY))


def effective_overrides(engine: Engine, settings: Settings) -> Effective[CalendarOverrides]:
    document = stored(engine, HOLIDAYS)
    if document is not None:
        return Effective(CalendarOverrides.from_text(document.text), "database", document.text, document)
    if settings.holidays_file is not None and settings.holidays_file.exists():
        overrides = CalendarOverrides.load(settings.holidays_file)
        return Effective(overrides, "file", overrides.to_text())
    return Effective(CalendarOverrides(), "default", CalendarOverrides().to_text())


def save(engine: Engine, name: DocumentName, text: str, actor: str) -> None:
    """Store a document after checking it parses (ValueError in Vietnamese otherwise); nothing is written then."""
    if name == POLICY:
        parse_policy(text)
    else:
        CalendarOverrides.from_text(text)
    with Session(engine) as session:
        document = session.get(ConfigDocument, name) or ConfigDocument(name=name, text=text, updated_by=actor)
        document.text, document.updated_by, document.updated_at = text, actor, datetime.now(UTC)
        session.add(document)
        session.commit()


def reset(engine: Engine, name: DocumentName) -> bool:
    """Back to the file or the default; True when a stored document was removed."""
    with Session(engine) as session:
        document = session.get(ConfigDocument, name)
        if document is None:
            return False
        session.delete(document)
        session.commit()
        return True
