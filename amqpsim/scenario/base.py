"""The base of every scenario model: strict, frozen, unknown keys refused."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["ScenarioModel", "derive"]


def derive(model: BaseModel, field: str, value: Any) -> None:
    """Fill a default that depends on other fields. The field stays *unset*, so a
    compact dump leaves it out and a reload derives it again."""
    object.__setattr__(model, field, value)


class ScenarioModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        """``faults:`` or ``arguments:`` with nothing after them (YAML null) means
        empty: drop nulls of list, mapping and section fields."""
        if not isinstance(data, dict) or None not in data.values():
            return data
        containers = {name for name, f in cls.model_fields.items()
                      if isinstance(f.default, list | dict | BaseModel)}
        return {k: v for k, v in data.items() if not (v is None and k in containers)}
