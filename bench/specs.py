"""Wide conclusions for load: many units and actions, all due at one instant, with a one-step ladder (shared by
`make bench` and the fan-out integration test)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from models.labels import VN

ONE_STEP = {"steps": [{"step": "overdue", "offset": "PT1S", "to": ["contacts", "head"]}]}


def one_step(letter_after: timedelta) -> dict[str, Any]:
    """ONE_STEP, its letter `letter_after` the deadline (in whole seconds)."""
    return {"steps": [{**ONE_STEP["steps"][0], "offset": f"PT{int(letter_after.total_seconds())}S"}]}


def wide_spec(
    number: str, units: int, actions_per_unit: int, due: datetime, letter_after: timedelta = timedelta(seconds=1)
) -> dict[str, Any]:
    """A conclusion whose every action falls due at `due`, its one letter per unit `letter_after` it (reports due
    weeks later)."""

    return {
        "number": number,
        "issued_on": due.astimezone(VN).date().isoformat(),
        "issuer": "Thanh tra tỉnh (đo hiệu năng)",
        "title": "Kết luận đo hiệu năng",
        "tracking_body": "Thanh tra tỉnh",
        "inspectorate_head": "chanhthanhtra@bench.example.vn",
        "agency_head": "chutich@bench.example.vn",
        "units": [
            {
                "code": f"dv-{u:03d}",
                "name": f"Đơn vị số {u}",
                "contacts": [f"vanphong@dv{u:03d}.example.vn"],
                "head": f"chutich@dv{u:03d}.example.vn",
            }
            for u in range(units)
        ],
        "actions": [
            {
                "id": f"dv-{u:03d}-kn-{a:04d}",
                "unit": f"dv-{u:03d}",
                "text": f"Khắc phục tồn tại số {a} của đơn vị {u}",
                "due": due.isoformat(),
            }
            for u in range(units)
            for a in range(actions_per_unit)
        ],
        "policy": one_step(letter_after),
    }
