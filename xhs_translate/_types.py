"""The parameter shapes the public API accepts, named once (as ``httpx._types`` does) so that signatures, docs and
users' type checkers agree. Imports nothing at run time: the aliases are strings resolved by type checkers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from pathlib import Path

    from .cache.base import CacheBackend
    from .glossary import Glossary

#: A file or folder path (``os.PathLike`` objects other than ``Path`` are not accepted).
PathArg: TypeAlias = "str | Path"

#: ``cache=``: False for none, None or True for the default SQLite file, a SQLite path, a ``redis://``,
#: ``rediss://`` or ``unix://`` address, or a backend object (``xhs_translate.cache.open_cache``).
CacheArg: TypeAlias = "bool | PathArg | CacheBackend | None"

#: ``glossary=``: a ``Glossary``, a TSV/CSV file, or a ``{zh term: en term}`` mapping.
GlossaryArg: TypeAlias = "Glossary | PathArg | Mapping[str, str] | None"

#: ``models=``: one model name for every direction, ``{"zh-en": name, "*": name}``, or (direction, name) pairs.
ModelsArg: TypeAlias = "str | Mapping[str, str] | tuple[tuple[str, str], ...] | None"

#: One comment as parsed from an export: its text field, an id, and replies nested under ``replies`` or
#: ``sub_comments``. Read, never mutated.
Comment: TypeAlias = Mapping[str, Any]

#: One output record: the comment's fields with the translation fields added.
Record: TypeAlias = dict[str, Any]
