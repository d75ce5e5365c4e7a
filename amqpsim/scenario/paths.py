"""Paths into a scenario: walking raw data and finding the valid keys at a place.

Pydantic error locations contain parts that are not in the YAML (a union tag
such as ``exponential`` inside ``{exponential: 0.5}``, an internal field name
such as ``weights``); :func:`walk_loc` keeps only the parts that exist in the
document. :func:`allowed_keys` follows the model's type annotations to list the
keys that are valid at a location, for "did you mean" hints.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

__all__ = ["allowed_keys", "has_child", "items_at", "walk_loc"]


def items_at(data: Any, *keys: str) -> Iterator[tuple[tuple[Any, ...], dict[Any, Any]]]:
    """The mappings in the list at ``keys`` of raw scenario data, each with its YAML path
    (``("topology", "queues", 0)``); nothing where that is not a list."""
    node = data
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    for i, item in enumerate(node if isinstance(node, list) else []):
        if isinstance(item, dict):
            yield (*keys, i), item


def has_child(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def walk_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The longest document path along ``loc``; one non-matching part (a union
    tag or an internal field name) is skipped when the part after it matches."""
    parts: list[Any] = []
    node, i = data, 0
    while i < len(loc):
        if has_child(node, loc[i]):
            parts.append(loc[i])
            node = node[loc[i]]
        elif i + 1 < len(loc) and has_child(node, loc[i + 1]):
            pass
        else:
            break
        i += 1
    return tuple(parts)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _names(name: str, field: FieldInfo) -> set[str]:
    names = {name}
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        names |= {c for c in alias.choices if isinstance(c, str)}
    elif isinstance(alias, str):
        names.add(alias)
    return names


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _union_member(tp: Any, tag: Any) -> Any:
    for arg in get_args(tp):
        meta = get_args(arg)[1:] if get_origin(arg) is Annotated else ()
        if any(getattr(m, "tag", None) == tag for m in meta):
            return _unwrap(arg)
        member = _unwrap(arg)
        kind = member.model_fields.get("kind") if _is_model(member) else None
        if kind is not None and kind.default == tag:
            return member
    return None


def _step(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp)
    if _is_model(tp):
        for name, field in tp.model_fields.items():
            if part in _names(name, field):
                return field.annotation
        return None
    origin = get_origin(tp)
    if origin is list:
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    if origin in (Union, types.UnionType):
        return _union_member(tp, part)
    return None


def allowed_keys(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str] | None:
    """Keys valid in the mapping at ``loc`` (``None`` for a free-form mapping or
    an unknown place). Union tags may appear in ``loc`` as in pydantic errors."""
    tp: Any = root
    for part in loc:
        nxt = _step(tp, part)
        if nxt is None:
            # a tag-less union is entered through the tag at the next step
            return None
        tp = nxt
    tp = _unwrap(tp)
    if not _is_model(tp):
        if get_origin(tp) in (Union, types.UnionType):  # a tagged mapping: the tags
            return [t for a in get_args(tp) for t in _tags(a)]
        return None
    hidden: frozenset[str] = getattr(tp, "hidden_keys", frozenset())
    return [n for name, f in tp.model_fields.items() for n in sorted(_names(name, f))
            if n not in hidden]


def _tags(arg: Any) -> list[str]:
    member = _unwrap(arg)
    kind = member.model_fields.get("kind") if _is_model(member) else None
    return [kind.default] if kind is not None else []
