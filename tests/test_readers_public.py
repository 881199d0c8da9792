"""CBIS-DDSM, VinDr-Mammo, INbreast and plain DICOM folders open as catalogs."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from _reader_fixtures import write_cbis, write_dicom_folder, write_inbreast, write_vindr
from mammostudio.core.readers import detect_format, open_dataset
from mammostudio.core.readers.dicom_folder import side_view_from_name
from mammostudio.core.readers.vindr import finding_categories


def _box(cat, uid):
    les = cat.lesions.set_index("lesion_uid").loc[uid]
    return (les.row_min, les.col_min, les.row_max, les.col_max)


def test_plain_dicom_folder_ids_are_sop_uids_even_when_file_names_repeat(tmp_path):
    facts = write_dicom_folder(tmp_path)
    assert detect_format(tmp_path) == "dicom_folder"
    cat = open_dataset(tmp_path)
    assert set(cat.images.image_id) == facts["ids"] and cat.n_lesions == 0
    dup = [p for p in cat.problems if p.path == str(facts["copy"])]
    assert len(dup) == 1 and dup[0].severity == "error" and "second image" in dup[0].message


def test_a_patch_dataset_kept_inside_a_dicom_folder_is_not_read_as_images(tmp_path):
    import numpy as np

    from mammostudio.core.patches.store import write_store

    facts = write_dicom_folder(tmp_path)
    write_store(tmp_path / "patches" / "patches" / "x.npz", [("x_tissue00", np.zeros((8, 8), np.uint8))])
    (tmp_path / "patches" / "index.csv").write_text("patch_id,kind,file\nx_tissue00,tissue,patches/x.npz\n")
    cat = open_dataset(tmp_path)
    assert set(cat.images.image_id) == facts["ids"]
    assert not [p for p in cat.problems if "patches" in p.path]


def test_plain_dicom_view_comes_from_the_view_code_sequence(tmp_path):
    facts = write_dicom_folder(tmp_path)
    image_id, view = facts["coded"]
    assert open_dataset(tmp_path).image(image_id).view == view


def test_plain_dicom_file_name_fallback_is_reported_naming_the_file(tmp_path):
    facts = write_dicom_folder(tmp_path)
    cat = open_dataset(tmp_path)
    image_id, side, view = facts["bare"]
    assert (cat.image(image_id).laterality, cat.image(image_id).view) == (side, view)
    said = [p for p in cat.problems if p.path == str(facts["bare_path"])]
    assert said and "taken from the name" in said[0].message and said[0].severity == "warning"


@pytest.mark.parametrize("text, expected", [("22614236_MG_R_CC_ANON.dcm", ("R", "CC")),
                                            ("Mass-Training_P_00001_LEFT_MLO", ("L", "MLO")),
                                            ("LMLO.dcm", ("L", "MLO")), ("IM0001", ("", ""))])
def test_side_and_view_are_read_from_common_file_names(text, expected):
    assert side_view_from_name(text) == expected


def test_cbis_boxes_come_from_the_masks_not_the_crops(tmp_path):
    facts = write_cbis(tmp_path)
    assert detect_format(tmp_path) == "cbis_ddsm"
    cat = open_dataset(tmp_path)
    m, c = "Mass-Training_P_00001_LEFT_CC", "Calc-Test_P_00038_RIGHT_MLO"
    assert _box(cat, f"{m}:1") == facts["boxes"]["1"]  # crop and mask in one series, crop first
    assert _box(cat, f"{m}:2") == facts["boxes"]["2"]  # separate series, trailing newline in the path
    assert _box(cat, f"{c}:1") == facts["boxes"]["calc"]  # no SeriesDescription in the files


def test_cbis_descriptors_become_catalog_columns(tmp_path):
    write_cbis(tmp_path)
    cat = open_dataset(tmp_path)
    les = cat.lesions.set_index("lesion_uid")
    first = les.loc["Mass-Training_P_00001_LEFT_CC:1"]
    assert (first.pathology, first.birads, first.subtlety, first.mass_margins) == ("malignant", "4", "4", "SPICULATED")
    second = les.loc["Mass-Training_P_00001_LEFT_CC:2"]
    assert (second.pathology, second.finding) == ("benign", "BENIGN_WITHOUT_CALLBACK")
    calc = les.loc["Calc-Test_P_00038_RIGHT_MLO:1"]
    assert (calc.lesion_type, calc.calc_type, calc.calc_distribution) == ("calcification", "PLEOMORPHIC", "CLUSTERED")


def test_cbis_images_carry_side_view_density_split_and_highest_assessment(tmp_path):
    facts = write_cbis(tmp_path)
    cat = open_dataset(tmp_path)
    for image_id, (side, view, density, birads) in facts["images"].items():
        img = cat.image(image_id)
        assert (img.laterality, img.view, img.density, img.birads) == (side, view, density, birads)
    assert cat.image("Calc-Test_P_00038_RIGHT_MLO").split == "test"


def test_cbis_duplicated_csv_row_is_one_box_and_a_warning(tmp_path):
    write_cbis(tmp_path)
    cat = open_dataset(tmp_path)
    assert len(cat.lesions_of("Mass-Training_P_00001_LEFT_CC")) == 2
    dup = [p for p in cat.problems if "duplicated row" in p.message]
    assert len(dup) == 1 and "row 4" in dup[0].path and dup[0].severity == "warning"


def test_vindr_findings_become_boxes_with_finding_birads(tmp_path):
    facts = write_vindr(tmp_path)
    assert detect_format(tmp_path) == "vindr"
    cat = open_dataset(tmp_path)
    assert cat.n_images == facts["images"] and cat.n_lesions == 2 and not cat.problems
    assert _box(cat, "i11:1") == facts["mass_box"]
    two = cat.lesions.set_index("lesion_uid").loc["i11:2"]
    assert (two.lesion_type, two.birads) == ("calcification+mass", "3")
    img = cat.image("i11")
    assert (img.laterality, img.view, img.birads, img.density, img.split) == ("L", "CC", "4", "C", "training")


def test_vindr_category_lists_are_parsed():
    assert finding_categories("['Suspicious Calcification', 'Mass']") == ["Suspicious Calcification", "Mass"]
    assert finding_categories("['No Finding']") == ["No Finding"]


def test_inbreast_rois_sheet_and_file_names_fill_the_catalog(tmp_path):
    facts = write_inbreast(tmp_path)
    assert detect_format(tmp_path) == "inbreast"
    cat = open_dataset(tmp_path)
    assert cat.n_images == facts["images"]
    assert _box(cat, "22678622:1") == facts["mass_box"]
    assert _box(cat, "22678622:2") == facts["speck_box"]  # a single-point calcification, padded
    img = cat.image("22678646")
    assert (img.patient_id, img.laterality, img.view, img.density, img.birads) == (
        "aaaa000000000001", "R", "MLO", "B", "4C")
    assert [p.severity for p in cat.problems] == ["warning"] and "Point 1" in cat.problems[0].path


def test_cbis_missing_mask_is_an_error_and_the_image_stays(tmp_path):
    write_cbis(tmp_path)
    for path in (tmp_path / "CBIS-DDSM" / "Calc-Test_P_00038_RIGHT_MLO_1").rglob("1-1.dcm"):
        path.unlink()  # leaves only the crop
    cat = open_dataset(tmp_path)
    assert cat.n_images == 2 and len(cat.lesions_of("Calc-Test_P_00038_RIGHT_MLO")) == 0
    errors = [p for p in cat.problems if p.severity == "error"]
    assert len(errors) == 1 and "calc_case_description_test_set.csv row 2" in errors[0].path
    assert "no ROI mask" in errors[0].message


def test_vindr_absent_image_is_an_error_naming_the_csv_row(tmp_path):
    write_vindr(tmp_path)
    (tmp_path / "images" / "s2" / "i22.dicom").unlink()
    cat = open_dataset(tmp_path)
    assert cat.n_images == 3
    assert any("i22" in p.message and "row" in p.path and p.severity == "error" for p in cat.problems)


def test_inbreast_corrupt_xml_is_an_error_naming_the_file(tmp_path):
    write_inbreast(tmp_path)
    bad = tmp_path / "AllXML" / "22678646.xml"
    bad.write_text("<plist>not really")
    cat = open_dataset(tmp_path)
    assert len(cat.lesions_of("22678646")) == 0 and len(cat.lesions_of("22678622")) == 2
    assert any(p.path == str(bad) and p.severity == "error" for p in cat.problems)


def test_nbia_metadata_csv_beside_plain_dicoms_is_not_taken_for_a_workbook(tmp_path):
    write_dicom_folder(tmp_path)
    (tmp_path / "metadata.csv").write_text("Series UID,Collection,Subject ID,Study UID,Manufacturer,File Location\n"
                                           "1.2.3,CMMD,D1-0001,1.2,GE,./CMMD/D1-0001\n")
    assert detect_format(tmp_path) == "dicom_folder"
    cat = open_dataset(tmp_path)
    assert any(p.path == str(tmp_path / "metadata.csv") and p.severity == "warning" for p in cat.problems)


def test_every_cid_4014_view_code_maps_to_a_view():
    """pydicom's own table of CID 4014 (View for Mammography) is the outside reference."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    from pydicom.sr._cid_dict import cid_concepts
    from pydicom.sr.codedict import codes

    from mammostudio.core.dicom import header_of

    for name in cid_concepts[4014]["SCT"]:
        code = getattr(codes.SCT, name)
        if code.value == "127457009":  # tissue specimen from breast: not a view of a breast
            continue
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = code.value, "SCT", code.meaning
        ds = Dataset()
        ds.ViewCodeSequence = Sequence([item])
        assert header_of(ds)["view"], (name, code.value)


def test_inbreast_sheet_flag_without_an_roi_is_a_warning(tmp_path):
    write_inbreast(tmp_path)
    sheet = tmp_path / "INbreast.csv"
    lines = sheet.read_text().splitlines()
    lines = [lines[0] + ";Mass;Micros"] + [ln + (";X;" if "20586908" in ln else ";X;X") for ln in lines[1:]]
    sheet.write_text("\n".join(lines) + "\n")
    cat = open_dataset(tmp_path)
    flagged = sorted((p.path.rsplit(" row ", 1)[1], p.message.split("'")[1]) for p in cat.problems
                     if "the sheet marks" in p.message)
    assert flagged == [("3", "mass"), ("4", "mass")]  # 22678646 (a Cluster only), 20586908 (no XML)


def test_vindr_image_listed_twice_in_the_breast_file_is_a_warning(tmp_path):
    write_vindr(tmp_path)
    path = tmp_path / "breast-level_annotations.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    cat = open_dataset(tmp_path)
    assert cat.n_images == 4
    assert [p.severity for p in cat.problems] == ["warning"] and "row 6" in cat.problems[0].path


def test_inbreast_release_xls_sheet_reads_like_the_csv(tmp_path):
    """tests/data/INbreast.xls: the fixture's rows as an Excel 97 file (File Name and ACR numeric,
    as in the release), written once with xlwt."""
    import shutil

    write_inbreast(tmp_path)
    from_csv = open_dataset(tmp_path, cache=False)
    (tmp_path / "INbreast.csv").unlink()
    shutil.copy(Path(__file__).parent / "data" / "INbreast.xls", tmp_path / "INbreast.xls")
    from_xls = open_dataset(tmp_path, cache=False)
    cols = ["image_id", "laterality", "view", "density", "birads"]
    pd.testing.assert_frame_equal(from_xls.images[cols], from_csv.images[cols])
    assert not [p for p in from_xls.problems if "metadata sheet" in p.message]
