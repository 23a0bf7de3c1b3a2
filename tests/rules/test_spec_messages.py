"""What a user reads when a spec, a ladder or a form value is refused: Vietnamese that says what is wrong and where,
true for the value typed (a short value is not called empty), never the English of pydantic or of the parsers."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import pytest
import yaml
from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from dondoc.spec_loader import SpecError, describe, load_spec, parse_spec, syntax_problem
from dondoc.yaml_text import load_yaml
from models.commands import LetterNumber
from tests.rules.factories import spec_dict

ENGLISH = re.compile(r"\b(?:expected|found|while|parsing|Expecting|should|Input|valid)\b")


def problems_of(data: Any) -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    return caught.value.problems


def message_of(kind: Any, value: Any) -> str:
    """The Vietnamese of the one error pydantic gives for `value` as `kind`."""
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    (error,) = caught.value.errors()
    return describe(error)


# ---------------------------------------------------------------- field values


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("ab", "number: quá ngắn (tối thiểu 3 ký tự)"),
        ("", "number: không được để trống"),
        ("   ", "number: không được để trống"),
    ],
)
def test_a_short_value_is_called_short_and_only_an_empty_one_empty(number: str, problem: str) -> None:
    assert problems_of(spec_dict(number=number)) == [problem]


def test_an_offset_that_is_not_a_duration_is_named_in_vietnamese() -> None:
    steps = [{"step": "reminder", "offset": [7], "to": ["contacts"]}]
    assert problems_of(spec_dict(policy={"steps": steps})) == [
        "policy.steps[0].offset: phải là khoảng thời gian ISO 8601 (ví dụ -P7D, P1D, PT15S)"
    ]


Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (Short, "ab", "quá ngắn (tối thiểu 3 ký tự)"),
        (Short, "  ", "không được để trống"),
        (LetterNumber, " \u200b ", "không được để trống"),  # nothing visible: the API's letter number
        (Annotated[str, StringConstraints(pattern=r"^\d+$")], "x", "không đúng định dạng"),
        (Annotated[list[int], Field(min_length=1)], [], "cần ít nhất một phần tử"),
        (Annotated[list[int], Field(min_length=2)], [1], "cần ít nhất 2 phần tử"),
        (Annotated[list[int], Field(max_length=2)], [1, 2, 3], "quá nhiều phần tử (tối đa 2)"),
        (Annotated[int, Field(gt=0)], 0, "phải lớn hơn 0"),
        (Annotated[int, Field(lt=10)], 10, "phải nhỏ hơn 10"),
        (Annotated[int, Field(ge=1)], 0, "không được nhỏ hơn 1"),
        (Annotated[int, Field(le=9)], 10, "không được lớn hơn 9"),
        (timedelta, [1], "phải là khoảng thời gian ISO 8601 (ví dụ -P7D, P1D, PT15S)"),
        (dict[str, int], [1], "phải là một nhóm trường (mapping)"),
    ],
)
def test_each_constraint_is_explained_truly_for_the_value_given(kind: Any, value: Any, message: str) -> None:
    assert message_of(kind, value) == message


# ---------------------------------------------------------------- YAML and JSON that cannot be read


def yaml_error(text: str) -> yaml.YAMLError:
    with pytest.raises(yaml.YAMLError) as caught:
        load_yaml(text)
    return caught.value


def json_error(text: str) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("steps: [", "sai cú pháp YAML ở dòng 1, cột 9: văn bản kết thúc khi còn dấu [ hoặc { chưa đóng"),
        ("number: 1\nunits: [a, b\nactions: []", "sai cú pháp YAML ở dòng 3, cột 8: thiếu dấu phẩy giữa các phần tử"),
        ("title: 'Thanh tra", "sai cú pháp YAML ở dòng 1, cột 18: thiếu dấu nháy đóng chuỗi"),
        ("units:\n\t- a", "sai cú pháp YAML ở dòng 2, cột 1: có ký tự tab; YAML chỉ thụt lề bằng dấu cách"),
        ("title: Kết luận: số 15", "sai cú pháp YAML ở dòng 1, cột 16: dấu hai chấm không đúng chỗ"),
        ("units:\n  - a\n b: 1", "sai cú pháp YAML ở dòng 3, cột 2: thụt lề không khớp với các dòng phía trên"),
        ("a: 1\n---\nb: 2", "sai cú pháp YAML ở dòng 2, cột 1: chỉ được có một tài liệu (bỏ dòng ---)"),
        ("a: !!binary x", "sai cú pháp YAML ở dòng 1, cột 4: kiểm tra thụt lề, dấu hai chấm, dấu ngoặc và dấu nháy"),
        ("a: \x00", "sai cú pháp YAML: có ký tự điều khiển không được phép (mã U+0000) ở ký tự thứ 4"),
    ],
)
def test_broken_yaml_says_where_and_what_in_vietnamese(text: str, problem: str) -> None:
    said = syntax_problem(yaml_error(text))
    assert said.startswith(problem)
    assert not ENGLISH.search(said), said


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"number": "15/KL-TTr",', "sai cú pháp JSON ở dòng 1, cột 24: tên trường phải đặt trong dấu nháy kép"),
        ('{"number" "15"}', "sai cú pháp JSON ở dòng 1, cột 11: thiếu dấu hai chấm sau tên trường"),
        ('{\n  "units": [1 2]\n}', "sai cú pháp JSON ở dòng 2, cột 15: thiếu dấu phẩy"),
        ('{"title": "Thanh tra', "sai cú pháp JSON ở dòng 1, cột 11: thiếu dấu nháy kép đóng chuỗi"),
        ("", "sai cú pháp JSON ở dòng 1, cột 1: thiếu giá trị"),
    ],
)
def test_broken_json_says_where_and_what_in_vietnamese(text: str, problem: str) -> None:
    said = syntax_problem(json_error(text))
    assert said.startswith(problem)
    assert not ENGLISH.search(said), said


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "kl.yaml",
            "number: [\n",
            "tệp sai cú pháp YAML ở dòng 2, cột 1: văn bản kết thúc khi còn dấu [ hoặc { chưa đóng",
        ),
        (
            "kl.json",
            '{"number": "15/KL-TTr",',
            "tệp sai cú pháp JSON ở dòng 1, cột 24: tên trường phải đặt trong dấu nháy kép (hoặc thừa dấu phẩy trước "
            "dấu })",
        ),
    ],
)
def test_a_spec_file_that_cannot_be_read_is_one_problem_naming_the_line(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.problems == [problem]
