"""YAML reading that leaves dates as text, so pydantic parses them and can name the field that is wrong."""

from __future__ import annotations

from typing import Any

import yaml


class DatesAsTextLoader(yaml.SafeLoader):
    """SafeLoader without the implicit timestamp type (a bad date would otherwise raise deep inside PyYAML)."""


DatesAsTextLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=DatesAsTextLoader)
