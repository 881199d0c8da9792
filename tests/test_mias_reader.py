import numpy as np

from mammostudio.core.images import load_pixels, read_pgm, ImageReadError
from mammostudio.core.readers import open_dataset, detect_format, DatasetError


def test_mias_folder_is_detected_and_counted(mias_dir):
    assert detect_format(mias_dir) == "mias"
    cat = open_dataset(mias_dir)
    s = cat.summary()
    assert s["images"] == 135
    # 115 abnormal images; mdb059 has no coordinates and mdb216/233/245 say *NOTE 3*.
    assert s["images_with_lesion"] == 111
    assert set(cat.images["image_id"]) >= {"mdb001", "mdb006"}
    assert len(cat.lesions_of("mdb005")) == 2


def test_mias_box_uses_bottom_left_origin(mias_dir):
    cat = open_dataset(mias_dir)
    box = cat.boxes_of("mdb001")[0]
    # Info.txt: mdb001 G CIRC B 535 425 197 -> centre row 1024-425 = 599, col 535.
    assert (box[0] + box[2]) // 2 == 599 and (box[1] + box[3]) // 2 == 535


def test_mias_lesion_is_brighter_than_its_surroundings(mias_dir):
    """The box lands on the mass: its centre is denser than the breast around it."""
    cat = open_dataset(mias_dir)
    img = load_pixels(cat.image("mdb002")).astype(float)
    r0, c0, r1, c1 = cat.boxes_of("mdb002")[0]
    rc, cc = (r0 + r1) // 2, (c0 + c1) // 2
    centre = img[rc - 10 : rc + 10, cc - 10 : cc + 10].mean()
    breast = img[img > 30].mean()
    assert centre > breast


def test_truncated_pgm_names_the_file(tmp_path):
    bad = tmp_path / "mdb999.pgm"
    bad.write_bytes(b"P5\n1024 1024\n255\n" + b"\0" * 100)
    try:
        read_pgm(bad)
    except ImageReadError as exc:
        assert "mdb999.pgm" in str(exc) and "truncated" in str(exc)
    else:
        raise AssertionError("truncated PGM was accepted")


def test_empty_folder_is_a_clear_error(tmp_path):
    try:
        open_dataset(tmp_path)
    except DatasetError as exc:
        assert "empty" in str(exc) and str(tmp_path) in str(exc)
    else:
        raise AssertionError


def test_png_round_trip_keeps_16_bit_values(tmp_path):
    from mammostudio.core.images import read_png, write_png

    img = (np.arange(64 * 32).reshape(64, 32) * 31).astype(np.uint16)
    write_png(tmp_path / "x.png", img)
    back = read_png(tmp_path / "x.png")
    assert back.dtype == np.uint16 and np.array_equal(back, img)
