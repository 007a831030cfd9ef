"""Small-cell suppression for published versions (DOMAIN §f item 6; CTDC uses k = 11).

Primary: a count cell with 0 < value < k is shown as "<k". Secondary: wherever a line of cells adds up
to a shown total (a column and its total row; in person tables also a row and its "Total" column), a
line with exactly one hidden cell would give it away by subtraction, so the smallest other non-zero cell
of that line is hidden too (shown "x"), or the total when there is none; amounts in a row whose counts
are hidden are hidden ("x"). Repeated until nothing changes. Zeros are shown: an empty cell identifies
nobody.
"""

from __future__ import annotations

from typing import Any

SECONDARY = "x"


def suppress_section(section: dict[str, Any], k: int, *, row_total_column: int | None) -> None:
    """Rewrite `section` in place: hidden cells become "<k" (primary) or "x" (secondary)."""
    columns = section["columns"]
    matrix = [list(r["values"]) for r in section["rows"]] + [list(section["total"])]
    n_rows, n_cols = len(matrix), len(columns)
    counts = [j for j, c in enumerate(columns) if c["kind"] == "count"]
    amounts = [j for j, c in enumerate(columns) if c["kind"] != "count"]
    primary = {(i, j) for i in range(n_rows) for j in counts if 0 < matrix[i][j] < k}
    hidden = set(primary)

    def hide_one(line: list[tuple[int, int]], total: tuple[int, int]) -> bool:
        if total in hidden:
            return False
        inside = [cell for cell in line if cell in hidden]
        if len(inside) != 1:
            return False
        others = [cell for cell in line if cell not in hidden and matrix[cell[0]][cell[1]] > 0]
        hidden.add(min(others, key=lambda c: (matrix[c[0]][c[1]], c)) if others else total)
        return True

    changed = True
    while changed:
        changed = False
        for i in range(n_rows):  # a row with a hidden count hides its amounts
            if any((i, j) in hidden for j in counts):
                for j in amounts:
                    if (i, j) not in hidden:
                        hidden.add((i, j))
                        changed = True
        for j in range(n_cols):  # columns: body rows add up to the total row
            changed |= hide_one([(i, j) for i in range(n_rows - 1)], (n_rows - 1, j))
        if row_total_column is not None:  # person tables: categories add up to the Total column
            for i in range(n_rows):
                line = [(i, j) for j in counts if j != row_total_column]
                changed |= hide_one(line, (i, row_total_column))

    def shown(i: int, j: int) -> Any:
        if (i, j) in primary:
            return f"<{k}"
        return SECONDARY if (i, j) in hidden else matrix[i][j]

    for i, row in enumerate(section["rows"]):
        row["values"] = [shown(i, j) for j in range(n_cols)]
    section["total"] = [shown(n_rows - 1, j) for j in range(n_cols)]
    section["suppressed_cells"] = len(hidden)
