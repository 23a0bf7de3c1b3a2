"""Read a conclusion spec from YAML or JSON and explain every problem in Vietnamese, field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dondoc.yaml_text import load_yaml
from models.labels import grouped
from models.spec import NEW_INPUT, ConclusionSpec

_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường không được hỗ trợ",
    "date_from_datetime_parsing": "không đọc được ngày (định dạng YYYY-MM-DD)",
    "date_parsing": "không đọc được ngày (định dạng YYYY-MM-DD)",
    "date_type": "không đọc được ngày (định dạng YYYY-MM-DD)",
    "datetime_parsing": "không đọc được ngày giờ (ISO 8601)",
    "datetime_from_date_parsing": "không đọc được ngày hoặc ngày giờ (YYYY-MM-DD hoặc ISO 8601)",
    "time_delta_parsing": "không đọc được khoảng thời gian ISO 8601 (ví dụ -P7D, P1D, PT15S)",
    "time_delta_type": "phải là khoảng thời gian ISO 8601 (ví dụ -P7D, P1D, PT15S)",
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
    "dict_type": "phải là một nhóm trường (mapping)",
    "string_type": "phải là chuỗi ký tự",
}
_PATTERNS = {  # the pattern of models.spec.Slug
    r"^[a-z0-9][a-z0-9-]*$": "chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (ví dụ: ly-son)",
}


class SpecError(ValueError):
    """A spec that cannot be registered, with one Vietnamese line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Hồ sơ kết luận không hợp lệ:\n" + "\n".join(f"  - {p}" for p in problems))


_YAML_PROBLEMS = (  # (what PyYAML's problem starts with, what it means), the first that fits
    ("expected the node content, but found '<stream end>'", "văn bản kết thúc khi còn dấu [ hoặc { chưa đóng"),
    ("expected the node content", "thiếu giá trị ở chỗ này"),
    ("expected ',' or ']', but got '<stream end>'", "thiếu dấu ] đóng danh sách"),
    ("expected ',' or ']'", "thiếu dấu phẩy giữa các phần tử hoặc dấu ] đóng danh sách"),
    ("expected ',' or '}', but got '<stream end>'", "thiếu dấu } đóng nhóm trường"),
    ("expected ',' or '}'", "thiếu dấu phẩy giữa các trường hoặc dấu } đóng nhóm trường"),
    ("expected <block end>", "thụt lề không khớp với các dòng phía trên, hoặc có nội dung thừa sau giá trị"),
    (
        "mapping values are not allowed here",
        "dấu hai chấm không đúng chỗ: thụt lề sai, dòng trên thiếu dấu hai chấm, hoặc giá trị chứa «: » chưa đặt "
        "trong dấu nháy",
    ),
    ("found character '\\t'", "có ký tự tab; YAML chỉ thụt lề bằng dấu cách"),
    ("found character", "giá trị bắt đầu bằng ký tự đặc biệt; đặt giá trị trong dấu nháy"),
    ("found unexpected end of stream", "thiếu dấu nháy đóng chuỗi"),
    ("found unknown escape character", "ký tự thoát sau dấu \\ không hợp lệ trong chuỗi dấu nháy kép"),
    ("found undefined alias", "tham chiếu * tới một neo & chưa được định nghĩa"),
    ("second occurrence", "một neo & được định nghĩa hai lần"),
    ("but found another document", "chỉ được có một tài liệu (bỏ dòng ---)"),
    ("could not determine a constructor", "thẻ ! không được hỗ trợ"),
    ("found unhashable key", "tên trường phải là một giá trị đơn, không phải danh sách hay nhóm trường"),
)
_JSON_PROBLEMS = (
    ("Expecting value", "thiếu giá trị hoặc giá trị không hợp lệ"),
    ("Expecting ',' delimiter", "thiếu dấu phẩy"),
    ("Expecting ':' delimiter", "thiếu dấu hai chấm sau tên trường"),
    ("Expecting property name", "tên trường phải đặt trong dấu nháy kép (hoặc thừa dấu phẩy trước dấu })"),
    ("Unterminated string", "thiếu dấu nháy kép đóng chuỗi"),
    ("Extra data", "có nội dung thừa sau phần JSON"),
    ("Invalid control character", "có ký tự điều khiển trong chuỗi"),
    ("Invalid \\", "ký tự thoát sau dấu \\ không hợp lệ"),
    ("Illegal trailing comma", "thừa dấu phẩy trước dấu đóng ngoặc"),
)


def syntax_problem(error: yaml.YAMLError | json.JSONDecodeError) -> str:
    """A YAML or JSON syntax error in Vietnamese, where it is (line and column, from 1) and what it likely means,
    without the parser's English: 'sai cú pháp YAML ở dòng 1, cột 9: …'. The caller names what was read."""
    if isinstance(error, json.JSONDecodeError):
        meaning = next((vi for en, vi in _JSON_PROBLEMS if error.msg.startswith(en)), None)
        where = f"ở dòng {error.lineno}, cột {error.colno}"
        return f"sai cú pháp JSON {where}: {meaning or 'kiểm tra dấu ngoặc, dấu phẩy và dấu nháy kép'}"
    if isinstance(error, yaml.reader.ReaderError):  # no line: only the offset of the character in the text
        code = f" (mã U+{error.character:04X})" if isinstance(error.character, int) else ""
        return f"sai cú pháp YAML: có ký tự điều khiển không được phép{code} ở ký tự thứ {error.position + 1}"
    mark = problem = None
    if isinstance(error, yaml.MarkedYAMLError):
        mark, problem = error.problem_mark or error.context_mark, error.problem or ""
    where = f" ở dòng {mark.line + 1}, cột {mark.column + 1}" if mark is not None else ""
    meaning = next((vi for en, vi in _YAML_PROBLEMS if problem and problem.startswith(en)), None)
    return f"sai cú pháp YAML{where}: {meaning or 'kiểm tra thụt lề, dấu hai chấm, dấu ngoặc và dấu nháy'}"


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
    if kind == "less_than_equal":
        return f"không được lớn hơn {ctx.get('le')}"
    if kind == "less_than":
        return f"phải nhỏ hơn {ctx.get('lt')}"
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return "không được âm"
    if kind == "greater_than_equal":
        return f"không được nhỏ hơn {ctx.get('ge')}"
    if kind == "greater_than":
        return f"phải lớn hơn {ctx.get('gt')}"
    if kind == "string_too_short":
        typed = item.get("input")
        if ctx.get("min_length", 1) <= 1 or not isinstance(typed, str) or not typed.strip():
            return "không được để trống"
        return f"quá ngắn (tối thiểu {ctx.get('min_length')} ký tự)"
    if kind == "too_short":
        least = ctx.get("min_length", 1)
        return "cần ít nhất một phần tử" if least <= 1 else f"cần ít nhất {least} phần tử"
    if kind == "string_too_long":
        most = ctx.get("max_length")
        return f"quá dài (tối đa {grouped(most) if isinstance(most, int) else most} ký tự)"
    if kind == "too_long":
        return f"quá nhiều phần tử (tối đa {ctx.get('max_length')})"
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(ctx.get("pattern")), "không đúng định dạng")
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
        return ConclusionSpec.model_validate(data, context=NEW_INPUT)
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
        raise SpecError([f"tệp {syntax_problem(error)}"]) from None
    return parse_spec(data, directory)
