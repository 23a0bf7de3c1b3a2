"""Read a conclusion spec from YAML or JSON and explain every problem in Vietnamese, field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dondoc.yaml_text import load_yaml
from models.spec import ConclusionSpec

_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được hỗ trợ",
    "string_too_short": "không được để trống",
    "too_short": "cần ít nhất một phần tử",
    "string_pattern_mismatch": "chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ: ly-son)",
    "date_from_datetime_parsing": "không đọc được ngày (định dạng YYYY-MM-DD)",
    "date_parsing": "không đọc được ngày (định dạng YYYY-MM-DD)",
    "date_type": "không đọc được ngày (định dạng YYYY-MM-DD)",
    "datetime_parsing": "không đọc được ngày giờ (ISO 8601)",
    "datetime_from_date_parsing": "không đọc được ngày hoặc ngày giờ (YYYY-MM-DD hoặc ISO 8601)",
    "time_delta_parsing": "không đọc được khoảng thời gian ISO 8601 (ví dụ -P7D, P1D, PT15S)",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "int_parsing_size": "số quá lớn",
    "float_parsing": "phải là số",
    "float_type": "phải là số",
    "finite_number": "phải là số hữu hạn",
    "json_invalid": "không đọc được JSON (sai cú pháp)",
    "json_type": "phải là JSON",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là một danh sách",
    "model_type": "phải là một nhóm trường (mapping)",
    "string_type": "phải là chuỗi ký tự",
}


class SpecError(ValueError):
    """A spec that cannot be registered, with one Vietnamese line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Hồ sơ kết luận không hợp lệ:\n" + "\n".join(f"  - {p}" for p in problems))


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("date", "datetime", "function-after[_one_due()]") or "[" in str(part):
            continue  # union branch names say nothing to a user
        else:
            out += f".{part}" if out else str(part)
    return out


def describe(item: Mapping[str, Any]) -> str:
    """One pydantic error (as in `ValidationError.errors()`) in Vietnamese, without its location."""
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "value_error":
        if str(item["msg"]).startswith("value is not a valid email"):
            return f"'{item.get('input')}' không phải địa chỉ email hợp lệ"
        return str(ctx.get("error", item["msg"]))
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace(" or ", ", ")
        return f"giá trị '{item.get('input')}' không tồn tại; chọn một trong: {expected}"
    if kind in ("less_than_equal", "less_than"):
        return f"không được lớn hơn {ctx.get('le', ctx.get('lt'))}"
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return "không được âm"
    if kind in ("greater_than_equal", "greater_than"):
        return f"không được nhỏ hơn {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("string_too_long", "too_long"):
        return f"quá dài (tối đa {ctx.get('max_length')})"
    return _MESSAGES.get(kind, str(item["msg"]))


def explain(error: ValidationError) -> list[str]:
    """Every problem as 'field: message', in Vietnamese, one per field."""
    problems: list[str] = []
    for item in error.errors():
        where = _location(item["loc"])
        message = describe(item)
        if item["type"] == "value_error" and message.startswith(("units", "actions", "received_on")):
            problems.extend(message.split("; "))  # whole-spec checks already name their fields
            continue
        if where and any(p.startswith(f"{where}: ") for p in problems):
            continue  # one message per field: union branches (date | datetime) repeat the same problem
        problems.append(f"{where}: {message}" if where else message)
    return problems


def complete_units(data: Any, directory: Mapping[str, Mapping[str, Any]]) -> Any:
    """A spec's raw data with each unit's missing name, contacts, head and supervisor taken from the directory entry of
    the same code. What the spec says itself always wins; anything not a unit mapping is left for validation."""
    if not isinstance(data, dict) or not isinstance(data.get("units"), list) or not directory:
        return data
    units = []
    for unit in data["units"]:
        code = unit.get("code") if isinstance(unit, dict) else None
        entry = directory.get(code) if isinstance(code, str) else None
        if entry is None:
            units.append(unit)
            continue
        filled = dict(unit)
        for name in ("name", "contacts", "head", "supervisor"):
            if filled.get(name) in (None, "", []) and entry.get(name) not in (None, "", []):
                filled[name] = entry[name]
        units.append(filled)
    return {**data, "units": units}


def parse_spec(data: Any, directory: Mapping[str, Mapping[str, Any]] | None = None) -> ConclusionSpec:
    """A spec from parsed YAML/JSON; units named by code alone take their details from `directory`."""
    data = complete_units(data, directory or {})
    if not isinstance(data, dict):
        raise SpecError(["tệp phải chứa một nhóm trường (number, issued_on, units, actions …)"])
    try:
        return ConclusionSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(explain(error)) from None


def load_spec(path: Path, directory: Mapping[str, Mapping[str, Any]] | None = None) -> ConclusionSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([f"không tìm thấy tệp {path}"]) from None
    except UnicodeDecodeError:
        raise SpecError([f"tệp {path} không phải văn bản UTF-8"]) from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else load_yaml(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise SpecError([f"không đọc được cú pháp YAML/JSON: {error}"]) from None
    return parse_spec(data, directory)
