"""Fast header scans of DICOM files for catalogs of 100,000+ images, with pixel checks.

:func:`scan_file` returns the :func:`~mammostudio.core.dicom.read_header` fields
of one file plus a pixel problem ('' when the pixel data looks decodable), so a
catalog lists every image whose pixels cannot be shown *before* anything is
decoded. The common file (explicit VR little endian, plain character set) is
parsed here with :mod:`struct`, reading only the elements the catalog needs and
skipping the rest (several times faster than a full pydicom parse); every other
file, and every file this parser finds odd, goes through pydicom
(:func:`~mammostudio.core.dicom.read_dataset`), so both paths give the same fields
and the same errors. Tests compare the two on every sample file.

Import these names from :mod:`mammostudio.core.dicom`.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

__all__ = ["scan_file", "HEADER_READ_BYTES"]

HEADER_READ_BYTES = 1 << 16  # one read covers the header of almost every file
_MAX_HEADER = 1 << 24  # headers beyond 16 MB go through pydicom
_EXPLICIT_LE = "1.2.840.10008.1.2.1"
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_PIXEL_DATA = 0x7FE00010
_ITEM, _ITEM_END, _SEQ_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_VIEW_SEQ = 0x00540220
# tag -> keyword of the elements read_header and the pixel checks use
_WANTED = {
    0x00080005: "SpecificCharacterSet", 0x00080016: "SOPClassUID", 0x00080018: "SOPInstanceUID",
    0x00080068: "PresentationIntentType", 0x00080070: "Manufacturer", 0x00081090: "ManufacturerModelName",
    0x0008103E: "SeriesDescription", 0x00100020: "PatientID", 0x00181114: "EstimatedRadiographicMagnificationFactor",
    0x00181151: "XRayTubeCurrent", 0x00181164: "ImagerPixelSpacing", 0x00185101: "ViewPosition",
    0x00188151: "XRayTubeCurrentInuA", 0x00189330: "XRayTubeCurrentInmA", 0x0020000D: "StudyInstanceUID",
    0x0020000E: "SeriesInstanceUID", 0x00200060: "Laterality", 0x00200062: "ImageLaterality",
    0x00280002: "SamplesPerPixel", 0x00280004: "PhotometricInterpretation", 0x00280008: "NumberOfFrames",
    0x00280010: "Rows", 0x00280011: "Columns", 0x00280030: "PixelSpacing", 0x00280100: "BitsAllocated",
    0x00281052: "RescaleIntercept", 0x00283000: "ModalityLUTSequence",
}
_CODE_TAGS = {0x00080100: "CodeValue", 0x00080104: "CodeMeaning"}
_BINARY = {b"US": "<H", b"SS": "<h", b"UL": "<I", b"SL": "<i", b"FD": "<d", b"FL": "<f"}


class _Odd(Exception):
    """This file is not one the fast path handles; pydicom reads it instead."""


class _Fields:
    """A read-only stand-in for a pydicom Dataset holding a few parsed values."""

    def __init__(self, values: dict) -> None:
        self.values = values

    def get(self, keyword, default=None):
        return self.values.get(keyword, default)

    def __contains__(self, keyword) -> bool:
        return keyword in self.values


def _value(vr: bytes, raw: bytes, encoding: str = "latin-1"):
    if vr in _BINARY:
        fmt = _BINARY[vr]
        n = len(raw) // struct.calcsize(fmt)
        if n == 0:
            return None
        vals = struct.unpack(f"<{n}{fmt[1]}", raw[: n * struct.calcsize(fmt)])
        return vals[0]  # the first value, as the header getters take it
    text = raw.decode(encoding)
    if vr == b"UI":
        text = text.rstrip("\x00 ")
    parts = [p.strip(" \x00") for p in text.split("\\")]
    if vr in (b"DS", b"IS"):
        nums = []
        for p in parts:
            try:
                nums.append(float(p) if vr == b"DS" else int(p))
            except ValueError:
                nums.append(None)
        return nums[0] if parts != [""] else None
    return "\\".join(parts)


_HEAD = struct.Struct("<HH2sH")  # group, element, VR, short length
_U32 = struct.Struct("<I")
_KNOWN_VRS = {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN", b"SH",
              b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"} | _LONG_VRS


def _walk(buf: bytes, pos: int, end: int, out: dict, wanted: dict, depth: int) -> int:
    """Parse explicit-VR-LE elements from ``pos`` up to ``end`` (or an item/sequence
    delimiter); returns the position after the last element read. Stops at the pixel data."""
    n = len(buf)
    head, u32 = _HEAD.unpack_from, _U32.unpack_from
    long_vrs, known = _LONG_VRS, _KNOWN_VRS
    while pos < end:
        if pos + 8 > n:
            raise EOFError
        group, elem, vr, length = head(buf, pos)
        if group == 0xFFFE and elem in (0xE00D, 0xE0DD):
            return pos + 8
        tag = group << 16 | elem
        if tag == _PIXEL_DATA and depth == 0:
            out["_pixel_pos"] = pos
            return pos
        if vr in long_vrs:
            if pos + 12 > n:
                raise EOFError
            length = u32(buf, pos + 8)[0]
            pos += 12
        elif vr in known:
            pos += 8
        else:
            raise _Odd("not explicit VR")
        if vr == b"SQ":
            pos = _sequence(buf, pos, length, tag, out, depth)
            continue
        if length == 0xFFFFFFFF:
            raise _Odd("undefined length outside a sequence")
        if pos + length > n:
            raise EOFError
        key = wanted.get(tag)
        if key is not None:
            if vr == b"UN":
                raise _Odd("a wanted element of unknown VR")  # pydicom looks its VR up
            out[key] = _value(vr, buf[pos : pos + length], out.get("_encoding", "latin-1"))
            if tag == 0x00080005:  # pydicom: the default repertoire and ISO_IR 100 as Latin-1
                out["_encoding"] = "utf-8" if str(out[key]).strip() == "ISO_IR 192" else "latin-1"
        pos += length
    return pos


def _sequence(buf: bytes, pos: int, length: int, tag: int, out: dict, depth: int) -> int:
    if tag == 0x00283000:
        out["ModalityLUTSequence"] = True
    if length != 0xFFFFFFFF:
        if tag != _VIEW_SEQ:
            if pos + length > len(buf):
                raise EOFError
            return pos + length
        end = pos + length
    else:
        end = 1 << 62
    items = []
    while pos < end:
        if pos + 8 > len(buf):
            raise EOFError
        item_tag = struct.unpack_from("<HH", buf, pos)
        item_len = struct.unpack_from("<I", buf, pos + 4)[0]
        item_tag = item_tag[0] << 16 | item_tag[1]
        pos += 8
        if item_tag == _SEQ_END:
            break
        if item_tag != _ITEM:
            raise _Odd("bad sequence item")
        codes: dict = {}
        item_end = pos + item_len if item_len != 0xFFFFFFFF else 1 << 62
        pos = _walk(buf, pos, item_end, codes, _CODE_TAGS if tag == _VIEW_SEQ else {}, depth + 1)
        items.append(_Fields(codes))
    if tag == _VIEW_SEQ:
        out["ViewCodeSequence"] = items
    return pos


def _fast_fields(path: Path, head: bytes, size: int) -> tuple[dict, int]:
    """Values of the wanted elements and the offset of the pixel data element."""
    if len(head) < 144 or head[128:132] != b"DICM":
        raise _Odd("no preamble")
    meta: dict = {}
    group_len = struct.unpack_from("<HH2sHI", head, 132)
    if group_len[0] != 2 or group_len[1] != 0 or group_len[2] != b"UL":
        raise _Odd("no meta group length")
    meta_end = 144 + group_len[4]
    _walk(head, 132, meta_end, meta, {0x00020010: "TransferSyntaxUID"}, 0)
    if meta.get("TransferSyntaxUID") in (None, "1.2.840.10008.1.2", "1.2.840.10008.1.2.2",
                                         "1.2.840.10008.1.2.1.99"):
        raise _Odd("implicit VR, big endian or deflated")
    out: dict = {"TransferSyntaxUID": meta["TransferSyntaxUID"]}
    buf = head
    while True:
        try:
            _walk(buf, meta_end, 1 << 62, out, _WANTED, 0)
            break
        except EOFError:
            if len(buf) >= size or len(buf) >= _MAX_HEADER:
                raise _Odd("no pixel data in reach") from None
            with open(path, "rb") as fh:
                buf = fh.read(min(size, _MAX_HEADER))
            out = {"TransferSyntaxUID": meta["TransferSyntaxUID"]}
    charset = str(out.get("SpecificCharacterSet") or "").strip()
    if charset not in ("", "ISO_IR 6", "ISO_IR 100", "ISO_IR 192"):
        raise _Odd("character set")
    out.pop("_encoding", None)
    pos = out.pop("_pixel_pos", None)
    if pos is None:
        raise _Odd("no pixel data")
    return out, pos


def scan_file(path: str | os.PathLike, *, max_pixels: int | None = None) -> tuple[dict, str]:
    """Catalog fields of one DICOM file and the problem of its pixel data, if any.

    Parameters
    ----------
    path : path-like
        The file.
    max_pixels : int, optional
        The decode cap (rows x columns x frames); default
        :func:`~mammostudio.core.dicom.max_pixels`.

    Returns
    -------
    (dict, str)
        The fields of :func:`~mammostudio.core.dicom.read_header`, and '' when the
        pixel data passes :func:`~mammostudio.core.dicom.pixel_problem`, else the
        reason it cannot be decoded (the file is not named in it).

    Raises
    ------
    DicomError
        Not a DICOM file, missing, or a corrupt or truncated header.
    """
    from .dicom_header import header_of
    from .dicom_pixels import pixel_info, pixel_problem
    from .dicom_read import _parse

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(HEADER_READ_BYTES)
    except OSError:
        head, size = b"", 0  # pydicom's path below names the failure
    try:
        values, pos = _fast_fields(path, head, size)
    except (_Odd, EOFError, struct.error, UnicodeDecodeError, IndexError):
        ds, stop = _parse(path, True)
        info = pixel_info(ds, path, stop)
        return header_of(ds), pixel_problem(info, max_pixels=max_pixels)
    fields = _Fields(values)
    info = pixel_info(fields, path, pos, transfer_syntax=values["TransferSyntaxUID"], head=head)
    return header_of(fields), pixel_problem(info, max_pixels=max_pixels)
