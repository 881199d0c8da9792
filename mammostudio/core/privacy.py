"""Pseudonymous exports: one place that decides what leaves a dataset.

Everything mammostudio writes for sharing (the patch index, problem lists,
annotation workbooks, derived DICOM files) is pseudonymous by default:

* patient and study ids become salted hashes (``P-<12 hex>``, ``S-<12 hex>``);
  the same dataset always gives the same pseudonyms (patient-grouped folds
  and resumed runs stay consistent), another dataset or another salt does not;
* source paths are written relative to the dataset root, with any path part
  that holds a patient id replaced by the pseudonym (patient folders are
  often named by id);
* derived DICOM files lose names, birth dates, accession numbers and the
  other identifying attributes of :data:`IDENTIFYING_KEYWORDS`.

The mapping (salt and pseudonym -> original id) is a *private* file (mode
0600) beside the dataset, ``<dataset>/mammostudio-pseudonyms.json``; when the
dataset folder cannot be written it goes to the user data folder,
``<user data>/pseudonyms/<hash of the dataset path>.json``, and
:attr:`Pseudonymiser.notice` says where it went. Never share that file.
``keep_identifiers=True`` (the commands' ``--keep-identifiers``) writes the
original values and says so.

Usage::

    p = Pseudonymiser.for_dataset(catalog.root)      # keep_identifiers=False
    row["patient_id"] = p.patient(row["patient_id"])
    row["source_path"] = p.path(row["path"])
    deidentify_dicom(ds, p)                           # before writing a derived DICOM
    p.save()                                          # the private mapping
    print(p.notice)
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path, PurePosixPath

from .atomic import write_text

__all__ = ["MAPPING_NAME", "IDENTIFYING_KEYWORDS", "Pseudonymiser", "deidentify_dicom"]

MAPPING_NAME = "mammostudio-pseudonyms.json"
_MIN_SUBSTRING = 4  # shorter ids are replaced only as whole path parts ("1" is in too many names)

# Attributes removed from derived DICOM files (DICOM PS3.15 Annex E basic
# profile, the person- and institution-identifying part). PatientID is
# replaced by the pseudonym, not removed: readers need a patient.
IDENTIFYING_KEYWORDS = (
    "PatientName", "PatientBirthDate", "PatientBirthTime", "PatientBirthName", "PatientMotherBirthName",
    "OtherPatientIDs", "OtherPatientIDsSequence", "OtherPatientNames", "IssuerOfPatientID",
    "PatientAddress", "PatientTelephoneNumbers", "PatientTelecomInformation", "MedicalRecordLocator",
    "MilitaryRank", "BranchOfService", "EthnicGroup", "Occupation", "PatientReligiousPreference",
    "AdditionalPatientHistory", "PatientComments", "ResponsiblePerson", "PatientInsurancePlanCodeSequence",
    "AccessionNumber", "StudyID", "ReferringPhysicianName", "ReferringPhysicianAddress",
    "ReferringPhysicianTelephoneNumbers", "PhysiciansOfRecord", "PerformingPhysicianName",
    "NameOfPhysiciansReadingStudy", "RequestingPhysician", "OperatorsName", "InstitutionName",
    "InstitutionAddress", "InstitutionalDepartmentName", "StationName", "DeviceSerialNumber",
    "RequestAttributesSequence", "RequestedProcedureID", "ScheduledProcedureStepID", "PerformedProcedureStepID",
    "ImageComments", "StudyComments", "DerivationDescription",
)


def _fallback_path(root: Path) -> Path:
    key = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:16]
    from .paths import user_data_dir

    return user_data_dir("pseudonyms", f"{key}.json")


def _writable(folder: Path) -> bool:
    """Can the mapping go here? A folder without write bits counts as read-only even for root."""
    try:
        if not folder.stat().st_mode & 0o222:
            return False
    except OSError:
        return False
    probe = folder / f".{MAPPING_NAME}.{os.getpid()}.probe"
    try:
        with open(probe, "wb"):
            pass
        probe.unlink()
        return True
    except OSError:
        return False


def _read_mapping(path: Path) -> tuple[str, dict]:
    """(salt, {'patient': raw -> pseudonym, 'study': ...}) of a mapping file; ValueError naming it."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        salt = str(doc["salt"])
        bytes.fromhex(salt)
        maps = {kind: {str(v): str(k) for k, v in dict(doc.get(kind, {})).items()} for kind in ("patient", "study")}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: unreadable pseudonym mapping ({exc}); restore it from a "
                         "backup, or move it away to start new pseudonyms") from exc
    return salt, maps


class Pseudonymiser:
    """Turns identifiers of one dataset into pseudonyms (or keeps them, when asked).

    Parameters
    ----------
    root : path-like
        The dataset folder (source paths are made relative to it).
    keep_identifiers : bool
        Write original values (nothing is hashed, no mapping is written).
    salt : str, optional
        Hex secret; default: the one saved for this dataset, else a new random one.
    mapping_path : path-like, optional
        Where the mapping is (or will be) saved; default: beside the dataset,
        or the user data folder when the dataset cannot be written.
    """

    def __init__(self, root, *, keep_identifiers: bool = False, salt: str | None = None,
                 mapping_path=None) -> None:
        self.root = Path(root).resolve()
        self.keep = bool(keep_identifiers)
        self.mapping_path = None if mapping_path is None else Path(mapping_path)
        self.salt = salt or secrets.token_hex(32)
        self._map: dict[str, dict[str, str]] = {"patient": {}, "study": {}}  # raw -> pseudonym
        self._dirty = False
        self._lengths: list[int] = []
        self._lengths_of = -1  # how many patient ids _lengths describes

    @classmethod
    def for_dataset(cls, root, *, keep_identifiers: bool = False) -> "Pseudonymiser":
        """The pseudonymiser of ``root``: its saved salt and mapping, or a new salt saved at once.

        A new salt is written before any pseudonym is handed out, with an
        exclusive create: two processes starting on one dataset at the same
        time agree on one salt.

        Raises
        ------
        ValueError
            A mapping file exists but is unreadable (the message names it;
            a new salt would silently give other pseudonyms).
        """
        root = Path(root).resolve()
        if keep_identifiers:
            return cls(root, keep_identifiers=True)
        for path in (root / MAPPING_NAME, _fallback_path(root)):
            if path.is_file():
                return cls._from_file(root, path)
        self = cls(root)
        path = root / MAPPING_NAME if _writable(root) else _fallback_path(root)
        try:
            self._claim(path)
        except FileExistsError:
            return cls._from_file(root, path)  # another process created it first: use its salt
        except OSError:
            pass  # nowhere to save yet: save() will say why
        return self

    @classmethod
    def _from_file(cls, root: Path, path: Path) -> "Pseudonymiser":
        salt, maps = _read_mapping(path)
        self = cls(root, salt=salt, mapping_path=path)
        self._map = maps
        return self

    def _doc(self) -> str:
        doc = {"about": "PRIVATE: maps mammostudio pseudonyms back to patient and study ids. Do not share.",
               "dataset": str(self.root), "salt": self.salt,
               "patient": {v: k for k, v in sorted(self._map["patient"].items())},
               "study": {v: k for k, v in sorted(self._map["study"].items())}}
        return json.dumps(doc, indent=1) + "\n"

    def _claim(self, path: Path) -> None:
        """Create ``path`` holding this salt, failing with FileExistsError if it exists (atomic)."""
        fresh = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
        write_text(fresh, self._doc(), mode=0o600)
        try:
            os.link(fresh, path)  # an exclusive, atomic create of a complete file
        finally:
            fresh.unlink(missing_ok=True)
        self.mapping_path = path

    # -- identifiers ---------------------------------------------------------
    def _hash(self, kind: str, raw: str) -> str:
        digest = hmac.new(bytes.fromhex(self.salt), f"{kind}\0{raw}".encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{kind[0].upper()}-{digest[:12]}"

    def _pseudo(self, kind: str, raw) -> str:
        raw = "" if raw is None else str(raw)
        if self.keep or raw.strip() in ("", "nan", "<NA>", "None"):
            return raw if self.keep else ""
        known = self._map[kind].get(raw)
        if known is None:
            known = self._map[kind][raw] = self._hash(kind, raw)
            self._dirty = True
        return known

    def patient(self, raw) -> str:
        """The pseudonym of a patient id ('' stays '')."""
        return self._pseudo("patient", raw)

    def study(self, raw) -> str:
        """The pseudonym of a study id (StudyInstanceUID or the archive's study key)."""
        return self._pseudo("study", raw)

    # -- paths and free text -------------------------------------------------
    def _id_lengths(self) -> list[int]:
        """Distinct lengths (longest first) of the patient ids long enough to be found inside text."""
        ids = self._map["patient"]
        if self._lengths_of != len(ids):  # ids are only ever added: their count says when to recount
            self._lengths = sorted({len(raw) for raw in ids if len(raw) >= _MIN_SUBSTRING}, reverse=True)
            self._lengths_of = len(ids)
        return self._lengths

    def _replace_ids(self, text: str) -> str:
        """``text`` with every patient id in it replaced by its pseudonym, leftmost and longest first.

        Each position is looked up once per distinct id length, so the cost
        does not grow with the number of patients (comparing every id with
        every path made a 100,000-image archive with 30,000 patients take
        minutes); an id inside a longer one ("P001" in "P0011") is not
        replaced piecemeal, and a pseudonym just written is not searched again.
        """
        ids, lengths = self._map["patient"], self._id_lengths()
        if not lengths:
            return text
        out, start, i, n = [], 0, 0, len(text)
        while i <= n - lengths[-1]:
            for length in lengths:
                pseudo = ids.get(text[i:i + length]) if i + length <= n else None
                if pseudo is not None:
                    out += [text[start:i], pseudo]
                    i = start = i + length
                    break
            else:
                i += 1
        out.append(text[start:])
        return "".join(out)

    def _swap_parts(self, parts) -> list[str]:
        ids = self._map["patient"]
        return [ids[part] if part in ids else self._replace_ids(part) for part in parts]

    def path(self, path) -> str:
        """``path`` as exported: relative to the dataset root (POSIX), patient ids replaced.

        With ``keep_identifiers`` the absolute path is returned unchanged. A
        path outside the root keeps only its file name.
        """
        if path is None or str(path) == "":
            return ""
        if self.keep:
            return str(path)
        p = Path(path)
        try:
            rel = p.resolve().relative_to(self.root).parts if p.is_absolute() else p.parts
        except ValueError:
            rel = (p.name,)
        return str(PurePosixPath(*self._swap_parts(rel))) if rel else "."

    def text(self, text) -> str:
        """Free text (a problem message) with the dataset root dropped and patient ids replaced."""
        text = "" if text is None else str(text)
        if self.keep:
            return text
        for prefix in (str(self.root) + os.sep, str(self.root)):
            text = text.replace(prefix, "")
        return self._replace_ids(text)

    # -- the private mapping -------------------------------------------------
    def save(self) -> Path | None:
        """Write the mapping (mode 0600) if anything new was pseudonymised; return where it is.

        Beside the dataset when that folder is writable, else in the user data
        folder (see :attr:`notice`). Returns None with ``keep_identifiers``.
        """
        if self.keep:
            return None
        if self.mapping_path is None:
            beside = self.root / MAPPING_NAME
            self.mapping_path = beside if _writable(self.root) else _fallback_path(self.root)
        if self._dirty or not self.mapping_path.is_file():
            if self.mapping_path.is_file():  # keep what other runs on this dataset added meanwhile
                with contextlib.suppress(ValueError):
                    salt, maps = _read_mapping(self.mapping_path)
                    if salt == self.salt:
                        for kind in maps:
                            self._map[kind] = {**maps[kind], **self._map[kind]}
            write_text(self.mapping_path, self._doc(), mode=0o600)
            self._dirty = False
        return self.mapping_path

    @property
    def notice(self) -> str:
        """One line for the user saying what was done with identifiers, and where the mapping is."""
        if self.keep:
            return ("identifiers KEPT (--keep-identifiers): outputs hold the original patient/study ids "
                    "and absolute source paths; do not share them outside the data agreement")
        where = self.mapping_path or "(not saved yet)"
        return (f"patient and study ids pseudonymised, source paths relative to the dataset; "
                f"private mapping in {where} (do not share it)")

    @property
    def mode(self) -> str:
        """'kept' or 'pseudonymised' (recorded with outputs so a resumed run does not mix them)."""
        return "kept" if self.keep else "pseudonymised"


def deidentify_dicom(ds, pseudo: Pseudonymiser):
    """Strip a pydicom Dataset for sharing (in place; returns it).

    Removes :data:`IDENTIFYING_KEYWORDS` (also inside sequences), replaces
    PatientID by its pseudonym and StudyInstanceUID-based StudyID, sets
    PatientIdentityRemoved / DeidentificationMethod. Does nothing with
    ``keep_identifiers``.
    """
    if pseudo.keep:
        return ds
    raw_patient = str(ds.get("PatientID", "") or "")

    def strip(item) -> None:
        for keyword in IDENTIFYING_KEYWORDS:
            if keyword in item:
                delattr(item, keyword)
        for elem in item:
            if elem.VR == "SQ":
                for sub in elem.value:
                    strip(sub)

    strip(ds)
    ds.PatientID = pseudo.patient(raw_patient)
    ds.PatientName = ds.PatientID  # type 2: present; the pseudonym, not a name
    ds.PatientBirthDate = ""  # type 2: present and empty
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = "mammostudio: PS3.15 basic profile, hashed PatientID"  # LO: 64 chars
    return ds
