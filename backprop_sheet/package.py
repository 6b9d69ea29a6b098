"""The saved .xlsx package, finished: cached values, the streamed iteration rows, chart caches, the zip.

openpyxl writes every formula with an empty cached value and every chart range without its cached
points, so a viewer that never recalculates (a file preview, Excel's Protected View, pandas) would show
blanks. This module fills both in from the numpy reference, appends the bulk iteration rows to each
rate sheet, and writes the zip itself: zip64 records only for a part that can pass 4 GiB, the format's
real limit (Python's zipfile switches at 2 GiB and then writes a local header that differs from the
central directory, which Excel has been reported to ask to repair).
"""

import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.sax.saxutils import escape, unescape

LIMIT_32 = 0xFFFFFFFF  # sizes and offsets at or above this need zip64 records
LEVEL = 1  # deflate level: the rows are mostly digits, and level 6 costs twice the time for 10 % less size


@dataclass
class Sheet:
    """What a worksheet part gets: cached values for its formula cells, and rows to append."""
    values: dict[str, float | str]  # cell reference → cached value
    constants: dict[str, float] = field(default_factory=dict)  # numbers to write exactly (openpyxl: 16 digits)
    rows: Iterable[bytes] = ()  # XML of rows to append to <sheetData>
    rows_bound: int = 0  # an upper bound on the bytes of `rows`
    dimension: str = ""  # e.g. "A1:AB118", when rows are appended


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>')
_CHART_REF = re.compile(rb"<((?:\w+:)?)(numRef|strRef)><(?:\w+:)?f>([^<]*)</(?:\w+:)?f>")  # any prefix


def cached(value: float | str) -> str:
    """The `<v>` text of a value: repr, the shortest text that reads back as the same double."""
    if isinstance(value, str):
        return escape(value)
    return repr(value) if isinstance(value, int) else repr(float(value))  # float(): no np.float64(…)


def _fill_cells(xml: bytes, values: dict[str, float | str]) -> bytes:
    def fill(m: re.Match) -> bytes:
        ref = m[1].decode()
        if ref not in values:
            raise KeyError(f"no cached value for formula cell {ref}")
        value = values[ref]
        kind = b' t="str"' if isinstance(value, str) else b""
        return (b'<c r="' + m[1] + b'"' + m[2] + kind + b"><f>" + m[3] + b"</f><v>"
                + cached(value).encode() + b"</v></c>")
    return _FORMULA_CELL.sub(fill, xml)


_NUMBER_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><v>([^<]*)</v></c>')


def _exact_constants(xml: bytes, constants: dict[str, float]) -> bytes:
    """Rewrite numeric constants with repr: openpyxl writes 16 significant digits, one short of a double."""
    def exact(m: re.Match) -> bytes:
        value = constants.get(m[1].decode())
        if value is None or b't="' in m[2] and b't="n"' not in m[2]:
            return m[0]
        return b'<c r="' + m[1] + b'"' + m[2] + b"><v>" + cached(value).encode() + b"</v></c>"
    return _NUMBER_CELL.sub(exact, xml) if constants else xml


def _fill_chart(xml: bytes, caches: dict[str, list]) -> bytes:
    """Insert each range's cached points after its formula (numCache or strCache)."""
    def fill(m: re.Match) -> bytes:
        values = caches.get(unescape(m[3].decode(), {"&apos;": "'", "&quot;": '"'}))
        if values is None:
            return m[0]
        c = m[1].decode()  # the chart namespace's prefix, "" where it is the default namespace
        points = "".join(f'<{c}pt idx="{i}"><{c}v>{cached(v)}</{c}v></{c}pt>' for i, v in enumerate(values))
        count = f'<{c}ptCount val="{len(values)}"/>'
        if m[2] == b"numRef":
            cache = f"<{c}numCache><{c}formatCode>General</{c}formatCode>{count}{points}</{c}numCache>"
        else:
            cache = f"<{c}strCache>{count}{points}</{c}strCache>"
        return m[0] + cache.encode()
    return _CHART_REF.sub(fill, xml)


# The order of a font's properties in the schema (CT_Font), which openpyxl does not keep.
_FONT_ORDER = (b"b", b"i", b"strike", b"condense", b"extend", b"outline", b"shadow", b"u", b"vertAlign",
               b"sz", b"color", b"name", b"family", b"charset", b"scheme")


def _order_fonts(xml: bytes) -> bytes:
    def order(m: re.Match) -> bytes:
        children = re.findall(rb"<(\w+)[^>]*/>", m[1])
        if len(children) != len(re.findall(rb"<", m[1])):  # not a flat list of empty elements: leave it
            return m[0]
        elements = re.findall(rb"<\w+[^>]*/>", m[1])
        ranked = sorted(zip(children, elements), key=lambda ce: _FONT_ORDER.index(ce[0])
                        if ce[0] in _FONT_ORDER else len(_FONT_ORDER))
        return b"<font>" + b"".join(e for _, e in ranked) + b"</font>"
    return re.sub(rb"<font>(.*?)</font>", order, xml)


def _hoist_namespaces(xml: bytes) -> bytes:
    """Declare every prefix on the root element: Gnumeric skips elements whose prefix is declared lower."""
    declared = dict(re.findall(rb' xmlns:(\w+)="([^"]*)"', xml))
    body = re.sub(rb' xmlns:\w+="[^"]*"', b"", xml)
    root = re.search(rb"<(?!\?)[^>]*?(?=/?>)", body).end()
    return body[:root] + b"".join(b' xmlns:%s="%s"' % item for item in declared.items()) + body[root:]


def finish(package: BinaryIO, file: BinaryIO, sheets: dict[str, Sheet], chart_caches: dict[str, list]) -> None:
    """Copy openpyxl's package to `file` with every sheet and chart part completed."""
    with zipfile.ZipFile(package) as src:
        out = ZipWriter(file)
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/styles.xml":
                data = _order_fonts(data)
            sheet = sheets.get(info.filename)
            if info.filename.startswith("xl/charts/chart"):
                data = _fill_chart(data, chart_caches)
            if info.filename.startswith(("xl/charts/chart", "xl/drawings/drawing")):
                data = _hoist_namespaces(data)
            if sheet is None:
                out.write(info.filename, [data], len(data))
                continue
            data = _exact_constants(_fill_cells(data, sheet.values), sheet.constants)
            head, tail = data.split(b"</sheetData>")
            if sheet.dimension:
                head = re.sub(rb"<dimension [^>]*/>", f'<dimension ref="{sheet.dimension}"/>'.encode(), head, count=1)
            tail = b"</sheetData>" + tail
            out.write(info.filename, [head, *sheet.rows, tail], len(head) + sheet.rows_bound + len(tail))
        out.close()


class ZipWriter:
    """A deflate zip written in one pass, with zip64 records only where a size or offset needs them."""

    def __init__(self, file: BinaryIO):
        self.file = file
        self.start = file.tell()
        self.entries = []  # (name, crc, compressed, size, offset, zip64)

    def write(self, name: str, chunks: Iterable[bytes], size_bound: int) -> None:
        """Deflate `chunks` into a part; `size_bound` (bytes before compression) decides zip64 up front."""
        # Deflate can grow incompressible data by a few bytes per 16 KiB block.
        zip64 = size_bound + size_bound // 16_000 * 5 + 1024 >= LIMIT_32
        offset = self.file.tell() - self.start
        encoded = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, 0, 0) if zip64 else b""
        self.file.write(self._local(encoded, 0, 0, 0, extra, zip64))
        crc, size, compressed = 0, 0, 0
        deflate = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            data = deflate.compress(chunk)
            compressed += len(data)
            self.file.write(data)
        data = deflate.flush()
        compressed += len(data)
        self.file.write(data)
        if not zip64 and max(size, compressed) >= LIMIT_32:
            raise RuntimeError(f"{name}: {size:,} bytes, more than its bound of {size_bound:,}")
        end = self.file.tell()
        self.file.seek(self.start + offset)
        extra = struct.pack("<HHQQ", 1, 16, size, compressed) if zip64 else b""
        self.file.write(self._local(encoded, crc, compressed, size, extra, zip64))
        self.file.seek(end)
        self.entries.append((encoded, crc, compressed, size, offset, zip64))

    @staticmethod
    def _local(name: bytes, crc: int, compressed: int, size: int, extra: bytes, zip64: bool) -> bytes:
        sizes = (LIMIT_32, LIMIT_32) if zip64 else (compressed, size)
        # version 4.5 for zip64, else 2.0; no flags; deflate; 1980-01-01 00:00 (repeatable files)
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0, 8, 0, 0x21, crc, *sizes,
                           len(name), len(extra)) + name + extra

    def close(self) -> None:
        directory = self.file.tell() - self.start
        for name, crc, compressed, size, offset, zip64 in self.entries:
            fields = [size, compressed] if zip64 else []  # the same records as the local header
            if offset >= LIMIT_32:
                fields.append(offset)
            extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
            sizes = (LIMIT_32, LIMIT_32) if zip64 else (compressed, size)
            version = 45 if extra else 20
            self.file.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, 8, 0, 0x21, crc,
                                        *sizes, len(name), len(extra), 0, 0, 0, 0, min(offset, LIMIT_32))
                            + name + extra)
        end = self.file.tell() - self.start
        count, length = len(self.entries), end - directory
        if count >= 0xFFFF or length >= LIMIT_32 or directory >= LIMIT_32:
            self.file.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, length, directory))
            self.file.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
            count, length, directory = min(count, 0xFFFF), min(length, LIMIT_32), min(directory, LIMIT_32)
        self.file.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, length, directory, 0))
