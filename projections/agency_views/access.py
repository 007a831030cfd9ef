"""Who may read which agency view: services/data/view_access.toml, loaded and validated at start.

Rules are data (ARCHITECTURE rule 9). Each [[views]] row names a view, the columns it serves, the
filters it accepts, whether it carries personal data and which agency types may open it; each of its
[[views.readers]] rows names an agency type, its scope (own_commune | own_province | national |
addressee_only) and the DOMAIN.md §a mandate it rests on. A row that names an unknown view, agency
type, scope or column stops the process with an error naming the row.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lienthong.agencies import AGENCY_TYPES
from lienthong.projections.agency_views._common import SCOPES, ViewSpec

FILE = "view_access.toml"
_VIEW_KEYS = {
    "name",
    "title_vi",
    "title_en",
    "source",
    "columns",
    "filters",
    "personal_data",
    "personal_data_readers",
    "readers",
}
_READER_KEYS = {"agency_type", "scope", "source"}


class ViewAccessError(ValueError):
    """view_access.toml is invalid; the message names the file, the row and the field."""


@dataclass(frozen=True)
class Reader:
    agency_type: str
    scope: str
    source: str


@dataclass(frozen=True)
class ViewAccess:
    name: str
    title_vi: str
    title_en: str
    source: str
    columns: tuple[str, ...]
    filters: tuple[str, ...]
    personal_data: bool
    personal_data_readers: frozenset[str]
    readers: Mapping[str, Reader]
    spec: ViewSpec

    def reader(self, agency_type: str) -> Reader | None:
        return self.readers.get(agency_type)

    def may_open_personal_data(self, agency_type: str) -> bool:
        return self.personal_data and agency_type in self.personal_data_readers


def load(path: Path | None = None, specs: Mapping[str, ViewSpec] | None = None) -> dict[str, ViewAccess]:
    """Read and validate the access rules; every view of `specs` must have exactly one row."""
    if specs is None:
        from lienthong.projections.agency_views import SPECS

        specs = SPECS
    where_file = str(path) if path else f"services/data/{FILE}"
    text = (
        path.read_text("utf-8")
        if path
        else resources.files("lienthong").joinpath(f"data/{FILE}").read_text("utf-8")
    )
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ViewAccessError(f"{where_file}: not valid TOML: {err}") from None
    extra = set(doc) - {"views"}
    if extra:
        raise ViewAccessError(f"{where_file}: unknown top-level key(s) {sorted(extra)}; only [[views]] rows")
    found: dict[str, ViewAccess] = {}
    for i, raw in enumerate(doc.get("views", [])):
        access = _view(raw, f"{where_file}: views[{i}]", specs)
        if access.name in found:
            raise ViewAccessError(f"{where_file}: views[{i}] ({access.name}): a second row for this view")
        found[access.name] = access
    missing = sorted(set(specs) - set(found))
    if missing:
        raise ViewAccessError(f"{where_file}: no row for view(s) {missing}: nobody could read them")
    return found


@cache
def default_access() -> dict[str, ViewAccess]:
    return load()


def _view(raw: Any, where: str, specs: Mapping[str, ViewSpec]) -> ViewAccess:
    if not isinstance(raw, dict):
        raise ViewAccessError(f"{where}: must be a table")
    name = raw.get("name")
    if name not in specs:
        raise ViewAccessError(f"{where}: name {name!r} is not a view (known: {', '.join(sorted(specs))})")
    where = f"{where} ({name})"
    spec = specs[name]
    unknown = set(raw) - _VIEW_KEYS
    if unknown:
        raise ViewAccessError(f"{where}: unknown field(s) {sorted(unknown)}")
    for field in ("title_vi", "title_en", "source"):
        _text(raw, field, where)
    columns = _names(raw, "columns", where)
    table_columns = set(spec.table.columns.keys())
    for column in columns:
        if column not in table_columns:
            raise ViewAccessError(
                f"{where}: columns: {column!r} is not a column of view {name} "
                f"(known: {', '.join(sorted(table_columns))})"
            )
        if column == spec.sealed_column:
            raise ViewAccessError(
                f"{where}: columns: {column!r} holds sealed personal data; it is opened through "
                "personal_data_readers, never listed"
            )
        if column == spec.visible:
            raise ViewAccessError(f"{where}: columns: {column!r} is internal to the view, never served")
    if spec.key not in columns:
        raise ViewAccessError(f"{where}: columns must include the view's key {spec.key!r}")
    filters = _names(raw, "filters", where, required=False)
    for column in filters:
        if column not in columns:
            raise ViewAccessError(f"{where}: filters: {column!r} is not one of the view's columns")
    readers: dict[str, Reader] = {}
    raw_readers = raw.get("readers")
    if not isinstance(raw_readers, list) or not raw_readers:
        raise ViewAccessError(f"{where}: readers: at least one [[views.readers]] row is required")
    for j, row in enumerate(raw_readers):
        reader = _reader(row, f"{where}: readers[{j}]", spec)
        if reader.agency_type in readers:
            raise ViewAccessError(f"{where}: readers[{j}]: agency type {reader.agency_type!r} listed twice")
        readers[reader.agency_type] = reader
    personal = raw.get("personal_data", False)
    if not isinstance(personal, bool):
        raise ViewAccessError(f"{where}: personal_data must be true or false")
    pd_readers = _names(raw, "personal_data_readers", where, required=False)
    if personal:
        if spec.sealed_column is None:
            raise ViewAccessError(
                f"{where}: personal_data = true but view {name} keeps no sealed personal data"
            )
        if not pd_readers:
            raise ViewAccessError(f"{where}: personal_data = true needs personal_data_readers")
    elif pd_readers:
        raise ViewAccessError(f"{where}: personal_data_readers given but personal_data is not true")
    for agency_type in pd_readers:
        if agency_type not in AGENCY_TYPES:
            raise ViewAccessError(f"{where}: personal_data_readers: {agency_type!r} is not an agency type")
        if agency_type not in readers:
            raise ViewAccessError(
                f"{where}: personal_data_readers: {agency_type!r} is not among the view's readers"
            )
    return ViewAccess(
        name=name,
        title_vi=raw["title_vi"],
        title_en=raw["title_en"],
        source=raw["source"],
        columns=tuple(columns),
        filters=tuple(filters),
        personal_data=personal,
        personal_data_readers=frozenset(pd_readers),
        readers=readers,
        spec=spec,
    )


def _reader(raw: Any, where: str, spec: ViewSpec) -> Reader:
    if not isinstance(raw, dict):
        raise ViewAccessError(f"{where}: must be a table")
    unknown = set(raw) - _READER_KEYS
    if unknown:
        raise ViewAccessError(f"{where}: unknown field(s) {sorted(unknown)}")
    agency_type = raw.get("agency_type")
    if agency_type not in AGENCY_TYPES:
        raise ViewAccessError(f"{where}: agency_type {agency_type!r} is not an agency type")
    scope = raw.get("scope")
    if scope not in SCOPES:
        raise ViewAccessError(f"{where}: scope {scope!r} is not one of {', '.join(SCOPES)}")
    if not spec.supports(scope):
        raise ViewAccessError(
            f"{where}: scope {scope!r} cannot be enforced on view {spec.name} "
            f"(it keys rows by {', '.join(sorted(spec.scopes)) or 'nothing'}; national always works)"
        )
    _text(raw, "source", where)
    return Reader(agency_type, scope, raw["source"])


def _text(raw: dict, field: str, where: str) -> None:
    value = raw.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ViewAccessError(f"{where}: {field} is required (a non-empty string)")


def _names(raw: dict, field: str, where: str, *, required: bool = True) -> list[str]:
    value = raw.get(field, [] if not required else None)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ViewAccessError(f"{where}: {field} must be a list of names")
    if required and not value:
        raise ViewAccessError(f"{where}: {field} must not be empty")
    if len(set(value)) != len(value):
        raise ViewAccessError(f"{where}: {field} lists a name twice")
    return list(value)
