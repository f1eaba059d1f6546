"""Reading and writing inventory files: XLSX (openpyxl) and CSV as German
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


def write_xlsx(headers: list[str], rows: list[list[str]], title: str = "Inventur",
               explanations: list[tuple[str, str]] | None = None,
               choices: dict[int, list[str]] | None = None) -> bytes:
    """A workbook: the inventory sheet, drop-down lists for vocabulary
    columns and a second sheet explaining each column."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = openpyxl.Workbook(write_only=False)
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "A2"
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(header) + 2))
    if explanations:
        help_ws = wb.create_sheet("Erläuterungen")
        help_ws.append(["Spalte", "Erläuterung"])
        for header, text in explanations:
            help_ws.append([header, text])
        help_ws.column_dimensions["A"].width = 40
        help_ws.column_dimensions["B"].width = 100
    if choices:
        lists = wb.create_sheet("Listen")
        for n, (col, values) in enumerate(sorted(choices.items()), start=1):
            letter = get_column_letter(n)
            for r, value in enumerate(values, start=1):
                lists.cell(row=r, column=n, value=value)
            dv = DataValidation(type="list", formula1=f"=Listen!${letter}$1:${letter}${max(1, len(values))}",
                                allow_blank=True, showErrorMessage=False)
            ws.add_data_validation(dv)
            target = get_column_letter(col + 1)
            dv.add(f"{target}2:{target}{max(1000, len(rows) + 500)}")
        lists.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
