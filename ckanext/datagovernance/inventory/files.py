"""Reading and writing inventory files: XLSX (read: openpyxl, write:
XlsxWriter) and CSV as German
Excel writes it (UTF-8 with or without BOM, ``;`` or ``,``)."""
from __future__ import annotations

import csv
import io
from typing import Any

from .messages import Msg

MAX_ROWS = 100_000


class FileError(Exception):
    def __init__(self, msg: Msg):
        super().__init__(msg.en)
        self.msg = msg


def is_xlsx(data: bytes) -> bool:
    return data[:2] == b"PK"  # a zip container


def read_table(data: bytes, filename: str = "") -> tuple[list[str], list[list[Any]]]:
    """Header row and data rows (trailing empty rows dropped)."""
    if is_xlsx(data) or filename.lower().endswith(".xlsx"):
        headers, rows = _read_xlsx(data)
    else:
        headers, rows = _read_csv(data)
    rows = [r for r in rows if any(c not in (None, "") and str(c).strip() for c in r)]
    if len(rows) > MAX_ROWS:
        raise FileError(Msg("The file has more than {limit} rows.", limit=MAX_ROWS))
    return headers, rows


def _read_xlsx(data: bytes) -> tuple[list[str], list[list[Any]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable workbook
        raise FileError(Msg("The file is not a readable XLSX workbook ({error}).", error=str(e))) from e
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        headers = [str(h).strip() if h is not None else "" for h in next(it)]
    except StopIteration:
        raise FileError(Msg("The file is empty.")) from None
    rows = [list(r) for r in it]
    wb.close()
    return headers, rows


def _read_csv(data: bytes) -> tuple[list[str], list[list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(Msg("The CSV file is not UTF-8 encoded; save it as \"CSV UTF-8\".")) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FileError(Msg("The file is empty.")) from None
    return headers, [list(r) for r in reader]


def write_csv(headers: list[str], rows: list[list[str]]) -> bytes:
    """UTF-8 with BOM and ``;``: what German Excel opens directly (the
    suite's one CSV writer, ui/export.py)."""
    from ..ui.export import csv_bytes

    return csv_bytes(headers, rows)


def write_xlsx(headers: list[str], rows: list[list[Any]], title: str = "Inventur",
               explanations: list[tuple[str, str]] | None = None,
               choices: dict[int, list[str]] | None = None) -> bytes:
    """A workbook: the inventory sheet, drop-down lists for vocabulary
    columns and a second sheet explaining each column.

    Written with XlsxWriter in constant-memory mode (row by row): about
    twice as fast as openpyxl for a 10k-row export; openpyxl still reads."""
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet(title)
    ws.freeze_panes(1, 0)
    for i, header in enumerate(headers):
        ws.set_column(i, i, max(12, min(40, len(header) + 2)))
    ws.write_row(0, 0, headers, bold)
    if choices:
        # data validations are kept apart from the cells: fine before the rows
        for n, (col, values) in enumerate(sorted(choices.items())):
            letter = xl_col_to_name(n)
            ws.data_validation(1, col, max(1000, len(rows) + 500) - 1, col, {
                "validate": "list", "source": f"=Listen!${letter}$1:${letter}${max(1, len(values))}",
                "ignore_blank": True, "show_error": False})
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)  # never a formula or a link
            else:
                ws.write(r, c, value)
    if explanations:
        help_ws = wb.add_worksheet("Erläuterungen")
        help_ws.write_row(0, 0, ["Spalte", "Erläuterung"], bold)
        for r, (header, text) in enumerate(explanations, start=1):
            help_ws.write_string(r, 0, header)
            help_ws.write_string(r, 1, text)
        help_ws.set_column(0, 0, 40)
        help_ws.set_column(1, 1, 100)
    if choices:
        lists = wb.add_worksheet("Listen")
        for n, (_col, values) in enumerate(sorted(choices.items())):
            for r, value in enumerate(values):
                lists.write_string(r, n, str(value))
        lists.hide()
    wb.close()
    return out.getvalue()
