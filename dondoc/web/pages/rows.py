"""Rows of the registration form made for people: action ids generated from the document's references, actions
grouped under their units, and a pasted list turned into rows (the kind and a stated deadline guessed)."""

from __future__ import annotations

from dondoc.importer.actions import deadline_of, kind_of
from dondoc.importer.outline import parse_marker
from dondoc.importer.units import slug, unique

Row = dict[str, str]
MAX_PASTED_ROWS = 200


def fill_ids(actions: list[Row]) -> None:
    """Each action row with content but no id gets one from its reference ('2.1.a' -> '2-1-a'), unique in the form,
    with its unit's code added when the same reference goes to several units."""
    taken = {a["id"] for a in actions if a.get("id")}
    refs = [a.get("ref", "") for a in actions if not a.get("id")]
    for i, action in enumerate(actions):
        if action.get("id") or not any(action.get(n) for n in ("text", "ref")):
            continue
        base = slug(action.get("ref", ""), 24) or f"kn-{i + 1}"
        if refs.count(action.get("ref", "")) > 1 and action.get("unit"):
            base = f"{base}-{action['unit']}"[:60].strip("-")
        action["id"] = unique(base, taken)


def group_by_unit(units: list[Row], actions: list[Row]) -> None:
    """Actions listed under their units, in the units' order (stable: each unit keeps its items' order)."""
    order = {u["code"]: i for i, u in enumerate(units) if u.get("code")}
    actions.sort(key=lambda a: order.get(a.get("unit", ""), len(order)))


def paste_rows(actions: list[Row], pasted: str, unit: str, max_rows: int) -> tuple[list[Row], int]:
    """The rows with one more per pasted line, a leading number ('2.1.', 'a)', '-') kept as the reference; the
    kind and a stated deadline guessed as the importer does. Returns the rows and how many were added."""
    rows = [a for a in actions if any(a.values())]
    added = 0
    counters: dict[str, int] = {}
    for line in pasted.splitlines():
        if len(rows) >= max_rows or added >= MAX_PASTED_ROWS:
            break
        kind, marker, body = parse_marker(line.strip())
        if not body.strip():
            continue
        if kind == "bullet":
            counters[marker] = counters.get(marker, 0) + 1
            ref = f"{marker}{counters[marker]}"
        else:
            ref = f"{marker})" if kind == "letter" else marker
        row: Row = {"ref": ref[:32], "unit": unit, "kind": kind_of(body).value, "text": body}
        deadline = deadline_of(body)
        if deadline is not None and deadline.due is not None:
            row["due"] = deadline.due.isoformat()
        elif deadline is not None and deadline.days is not None:
            row["due_in"] = str(deadline.days)
            row["due_in_working"] = "1" if deadline.working else ""
        rows.append(row)
        added += 1
    fill_ids(rows)
    return rows or [{}], added
