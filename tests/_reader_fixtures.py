"""Tiny datasets in the public layouts, written from each set's published documentation.

The real sets cannot be downloaded here; these keep their folder names, CSV
headers, value spellings and known traps (CBIS-DDSM's CSV paths that do not
match the download, a crop and a mask in one 'ROI mask images' series, the calc
files' 'breast density' header; INbreast's ';' sheet and OsiriX plist ROIs;
VinDr's list-as-text finding categories). Every builder returns the root and
the facts the tests check.
"""
from __future__ import annotations

import plistlib
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from mammostudio.core.dicom import write_dicom

ROWS, COLS = 96, 80


def breast(seed: int, rows: int = ROWS, cols: int = COLS) -> np.ndarray:
    """A (rows, cols) uint16 half-ellipse 'breast' of random texture on a zero background."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:rows, 0:cols]
    inside = ((rr - rows / 2) / (rows / 2)) ** 2 + (cc / (cols * 0.9)) ** 2 < 1
    return np.where(inside, rng.integers(300, 3000, (rows, cols)), 0).astype(np.uint16)


def _edit(path: Path, **changes) -> None:
    """Change or (value None) delete header elements of a written test file."""
    ds = pydicom.dcmread(path)
    for key, value in changes.items():
        if value is None:
            if key in ds:
                delattr(ds, key)
        else:
            setattr(ds, key, value)
    ds.save_as(path)


def _view_code(value: str, scheme: str, meaning: str) -> Sequence:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return Sequence([item])


def write_dicom_folder(root: Path) -> dict:
    """A PACS-like export: reused file names, a view only in the View Code Sequence,
    one file with neither laterality nor view tags, a copied file, a text file."""
    base = dict(patient_id="PAT1", study_id="1.2.840.99.1", for_presentation=True, pixel_spacing_mm=0.1)
    a = write_dicom(root / "PAT1" / "STUDY1" / "SER1" / "IM0001", breast(1),
                    {**base, "image_id": "1.2.840.99.1.1.1", "series_id": "1.2.840.99.1.1", "laterality": "R",
                     "view": "CC"})
    write_dicom(root / "PAT1" / "STUDY1" / "SER2" / "IM0001", breast(2),
                {**base, "image_id": "1.2.840.99.1.2.1", "series_id": "1.2.840.99.1.2", "laterality": "L",
                 "view": "MLO"})
    coded = write_dicom(root / "PAT1" / "STUDY1" / "SER3" / "IM0001", breast(3),
                        {**base, "image_id": "1.2.840.99.1.3.1", "series_id": "1.2.840.99.1.3", "laterality": "L"})
    _edit(coded, ViewPosition=None, ViewCodeSequence=_view_code("R-10224", "SRT", "medio-lateral"))
    bare = write_dicom(root / "PAT2" / "scan_R_MLO.dcm", breast(4),
                       {**base, "patient_id": "PAT2", "study_id": "1.2.840.99.2", "image_id": "1.2.840.99.2.1.1"})
    _edit(bare, ImageLaterality=None, Laterality=None, ViewPosition=None, ViewCodeSequence=None)
    copy = root / "PAT1" / "copy" / "IM0001.dcm"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(Path(a).read_bytes())
    (root / "PAT1" / "README.txt").write_text("exported by a PACS\n")
    return {"images": 4, "ids": {"1.2.840.99.1.1.1", "1.2.840.99.1.2.1", "1.2.840.99.1.3.1", "1.2.840.99.2.1.1"},
            "coded": ("1.2.840.99.1.3.1", "ML"), "bare": ("1.2.840.99.2.1.1", "R", "MLO"), "copy": copy,
            "bare_path": bare}


_MASS_HEAD = ("patient_id,breast_density,left or right breast,image view,abnormality id,abnormality type,"
              "mass shape,mass margins,assessment,pathology,subtlety,image file path,cropped image file path,"
              "ROI mask file path")
_CALC_HEAD = ("patient_id,breast density,left or right breast,image view,abnormality id,abnormality type,"
              "calc type,calc distribution,assessment,pathology,subtlety,image file path,cropped image file path,"
              "ROI mask file path")


def _uid_path(case: str, n: int, name: str = "000000.dcm") -> str:
    return f"{case}/1.3.6.1.4.1.9590.100.1.2.{n}1/1.3.6.1.4.1.9590.100.1.2.{n}2/{name}"


def _mask(box) -> np.ndarray:
    r0, c0, r1, c1 = box
    out = np.zeros((ROWS, COLS), np.uint16)
    out[r0:r1 + 1, c0:c1 + 1] = 255
    return out


def write_cbis(root: Path) -> dict:
    """Two mass abnormalities on one image (crop and mask sharing one series named 'ROI mask
    images' with the crop first; then two series) and one calcification in the test set."""
    data = root / "CBIS-DDSM"
    full = data / "Mass-Training_P_00001_LEFT_CC" / "07-20-2016-DDSM-74994" / "1.000000-full mammogram images-24515"
    write_dicom(full / "1-1.dcm", breast(10), {"series_description": "full mammogram images", "patient_id":
                                               "Mass-Training_P_00001_LEFT_CC"})
    boxes = {"1": (20, 10, 40, 30), "2": (50, 30, 60, 45), "calc": (30, 20, 44, 36)}
    roi1 = data / "Mass-Training_P_00001_LEFT_CC_1" / "07-21-2016-DDSM-93921" / "1.000000-ROI mask images-12345"
    write_dicom(roi1 / "1-1.dcm", breast(11, 21, 21), {"series_description": "ROI mask images"})  # the crop
    write_dicom(roi1 / "1-2.dcm", _mask(boxes["1"]), {"series_description": "ROI mask images"})
    roi2 = data / "Mass-Training_P_00001_LEFT_CC_2" / "07-21-2016-DDSM-93922"
    write_dicom(roi2 / "1.000000-cropped images-2222" / "1-1.dcm", breast(12, 11, 16),
                {"series_description": "cropped images"})
    write_dicom(roi2 / "1.000000-ROI mask images-3333" / "1-1.dcm", _mask(boxes["2"]),
                {"series_description": "ROI mask images"})
    calc = data / "Calc-Test_P_00038_RIGHT_MLO" / "08-29-2017-DDSM-96009" / "1.000000-full mammogram images-1111"
    write_dicom(calc / "1-1.dcm", breast(13), {})  # no SeriesDescription: metadata.csv says it
    croi = data / "Calc-Test_P_00038_RIGHT_MLO_1" / "08-29-2017-DDSM-96010" / "1.000000-ROI mask images-4444"
    write_dicom(croi / "1-1.dcm", _mask(boxes["calc"]), {})
    write_dicom(croi / "1-2.dcm", breast(14, 15, 17), {})
    m = "Mass-Training_P_00001_LEFT_CC"
    rows = [f"P_00001,3,LEFT,CC,1,mass,IRREGULAR-ARCHITECTURAL_DISTORTION,SPICULATED,4,MALIGNANT,4,"
            f"{_uid_path(m, 1)},{_uid_path(m + '_1', 2)},{_uid_path(m + '_1', 2, '000001.dcm')}",
            f"P_00001,3,LEFT,CC,2,mass,OVAL,CIRCUMSCRIBED,3,BENIGN_WITHOUT_CALLBACK,2,"
            f"{_uid_path(m, 1)},{_uid_path(m + '_2', 3)},\"{_uid_path(m + '_2', 3, '000001.dcm')}\n\""]
    (root / "mass_case_description_train_set.csv").write_text("\n".join([_MASS_HEAD, *rows, rows[0]]) + "\n")
    c = "Calc-Test_P_00038_RIGHT_MLO"
    (root / "calc_case_description_test_set.csv").write_text(
        f"{_CALC_HEAD}\nP_00038,2,RIGHT,MLO,1,calcification,PLEOMORPHIC,CLUSTERED,5,MALIGNANT,3,"
        f"{_uid_path(c, 4)},{_uid_path(c + '_1', 5)},{_uid_path(c + '_1', 5, '000001.dcm')}\n")
    meta = pd.DataFrame({"Subject ID": [c, c + "_1"], "Series Description": ["full mammogram images", "ROI mask images"],
                         "File Location": [f"./CBIS-DDSM/{calc.relative_to(data)}", f"./CBIS-DDSM/{croi.relative_to(data)}"]})
    meta.to_csv(root / "metadata.csv", index=False)
    return {"images": {m: ("L", "CC", "C", "4"), c: ("R", "MLO", "B", "5")}, "boxes": boxes}


def write_vindr(root: Path) -> dict:
    """Two studies of two images; a mass, a two-category finding, 'No Finding' rows."""
    studies = {"s1": [("i11", "L", "CC"), ("i12", "L", "MLO")], "s2": [("i21", "R", "CC"), ("i22", "R", "MLO")]}
    breast_rows, finding_rows, seed = [], [], 20
    for study, imgs in studies.items():
        for image, side, view in imgs:
            seed += 1
            write_dicom(root / "images" / study / f"{image}.dicom", breast(seed), {"patient_id": f"anon-{study}"})
            common = {"study_id": study, "series_id": f"{study}-ser", "image_id": image, "laterality": side,
                      "view_position": view, "height": ROWS, "width": COLS,
                      "breast_birads": "BI-RADS 4" if image == "i11" else "BI-RADS 1",
                      "breast_density": "DENSITY C" if study == "s1" else "DENSITY B",
                      "split": "training" if study == "s1" else "test"}
            breast_rows.append(common)
            finding_rows.append({**common, "finding_categories": "['No Finding']", "finding_birads": "",
                                 "xmin": "", "ymin": "", "xmax": "", "ymax": ""})
    finding_rows[0] = {**finding_rows[0], "finding_categories": "['Mass']", "finding_birads": "BI-RADS 4",
                       "xmin": 10.5, "ymin": 20.25, "xmax": 30.0, "ymax": 45.0}
    finding_rows.append({**finding_rows[0], "finding_categories": "['Suspicious Calcification', 'Mass']",
                         "finding_birads": "BI-RADS 3", "xmin": 40, "ymin": 50, "xmax": 60, "ymax": 70})
    pd.DataFrame(breast_rows).to_csv(root / "breast-level_annotations.csv", index=False)
    pd.DataFrame(finding_rows).to_csv(root / "finding_annotations.csv", index=False)
    return {"images": 4, "mass_box": (20, 10, 45, 30)}


def _plist(path: Path, rois) -> None:
    doc = {"Images": [{"ImageIndex": 0, "NumberOfROIs": len(rois), "ROIs": [
        {"Name": name, "NumberOfPoints": len(pts), "Point_px": [f"({x:.6f}, {y:.6f})" for x, y in pts]}
        for name, pts in rois]}]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        plistlib.dump(doc, fh)


def write_inbreast(root: Path) -> dict:
    """Three images of two patients: a mass outline, calcification specks, a normal; ';' sheet."""
    cases = [("22678622", "aaaa000000000001", "R", "CC", "2", "4c"), ("22678646", "aaaa000000000001", "R", "ML", "2", "4c"),
             ("20586908", "bbbb000000000002", "L", "CC", "1", "1")]
    lines = ["Patient ID;Patient age;Laterality;View;Acquisition date;File Name;ACR;Bi-Rads"]
    for seed, (fid, patient, side, view, acr, birads) in enumerate(cases, start=30):
        write_dicom(root / "AllDICOMs" / f"{fid}_{patient}_MG_{side}_{view}_ANON.dcm", breast(seed), {})
        lines.append(f"removed;removed;{side};{'MLO' if view == 'ML' else view};201001;{fid};{acr};{birads}")
    (root / "INbreast.csv").write_text("\n".join(lines) + "\n")
    _plist(root / "AllXML" / "22678622.xml", [("Mass", [(10, 20), (30, 22), (28, 40), (12, 38)]),
                                              ("Calcification", [(50.0, 60.0)])])
    _plist(root / "AllXML" / "22678646.xml", [("Cluster", [(20, 30), (40, 30), (40, 50)]), ("Point 1", [(5, 5)])])
    return {"images": 3, "mass_box": (20, 10, 40, 30), "speck_box": (56, 46, 64, 54)}
