"""Compare every table cell of two report pages (e.g. before and after a change to the report).

    python scripts/compare_reports.py BEFORE/report.html AFTER/report.html [--ignore ROW ...]

Tables are matched by section title (the <h2>), caption and place among the tables of that
section with that caption; rows by place; cells by column name. Prints, per table, the cells
that differ, the columns and tables found in one page only, and exits 1 if any common cell
differs. The report date is ignored (it is the time of writing).
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path

IGNORED_ROWS = ("report date (UTC)",)


class Tables(HTMLParser):
    """The tables of a page: (section, caption, index) → (columns, rows of text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.section = ""
        self.tables: dict[tuple[str, str, int], tuple[list[str], list[list[str]]]] = {}
        self._text: list[str] | None = None
        self._into = ""
        self._table: dict | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "h2":
            self._text, self._into = [], "h2"
        elif tag == "table":
            self._table = {"caption": "", "columns": [], "rows": []}
        elif tag == "caption" and self._table is not None:
            self._text, self._into = [], "caption"
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._text, self._into = [], tag

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text or []).strip()
        if tag == "h2" and self._into == "h2":
            self.section, self._text = text, None
        elif tag == "caption" and self._into == "caption":
            self._table["caption"], self._text = text, None
        elif tag in ("td", "th") and self._row is not None and self._into == tag:
            self._row.append(text)
            if tag == "th" and not self._table["rows"] and not self._table.get("body"):
                self._table["columns"].append(text)
            self._text = None
        elif tag == "tbody" and self._table is not None:
            pass
        elif tag == "tr" and self._row is not None:
            if self._row and self._row != self._table["columns"]:
                self._table["rows"].append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            caption = self._table["caption"]
            index = sum(1 for s, c, _ in self.tables if (s, c) == (self.section, caption))
            self.tables[(self.section, caption, index)] = (
                self._table["columns"],
                self._table["rows"],
            )
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def tables(path: Path) -> dict:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def compare(before: dict, after: dict, ignored: tuple[str, ...]) -> tuple[int, int, list[str]]:
    """(cells compared, cells differing, lines to print)."""
    compared = differing = 0
    lines = []
    for key, (cols_b, rows_b) in before.items():
        section, caption, index = key
        name = f"[{section}] {caption or '(no caption)'} #{index}"
        if key not in after:
            lines.append(f"only before: {name}")
            continue
        cols_a, rows_a = after[key]
        common = [c for c in cols_b if c in cols_a]
        for c in cols_b:
            if c not in cols_a:
                lines.append(f"{name}: column only before: {c!r}")
        for c in cols_a:
            if c not in cols_b:
                lines.append(f"{name}: column only after: {c!r}")
        if len(rows_b) != len(rows_a):
            lines.append(f"{name}: {len(rows_b)} rows before, {len(rows_a)} after")
        for i, (rb, ra) in enumerate(zip(rows_b, rows_a)):
            if rb and rb[0] in ignored:
                continue
            for c in common:
                vb, va = rb[cols_b.index(c)], ra[cols_a.index(c)]
                compared += 1
                if vb != va:
                    differing += 1
                    lines.append(f"{name} row {i} column {c!r}: {vb!r} -> {va!r}")
    for key in after:
        if key not in before:
            lines.append(f"only after: [{key[0]}] {key[1] or '(no caption)'} #{key[2]}")
    return compared, differing, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--ignore", nargs="*", default=[], help="first-column values to skip")
    args = parser.parse_args(argv)
    before, after = tables(args.before), tables(args.after)
    compared, differing, lines = compare(before, after, (*IGNORED_ROWS, *args.ignore))
    print("\n".join(lines))
    print(
        f"{len(before)} tables before, {len(after)} after; {compared} common cells compared, "
        f"{differing} differ"
    )
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
