"""The patch PNG encoder: any reader gets the exact pixels back."""
import io
import zlib

import numpy as np
import pytest
from PIL import Image

from mammostudio.core.images import encode_png, read_png, write_png


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (7, 1), (128, 128), (37, 211)])
def test_encoded_png_decodes_to_the_same_pixels(dtype, shape):
    img = np.random.default_rng(sum(shape)).integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)
    with Image.open(io.BytesIO(encode_png(img))) as im:
        assert im.size == (shape[1], shape[0])
        back = np.asarray(im)
    assert np.array_equal(back.astype(dtype), img)


def test_encoded_png_is_a_valid_greyscale_png_with_intact_checksums():
    data = encode_png(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        assert int.from_bytes(data[pos + 8 + n : pos + 12 + n], "big") == zlib.crc32(kind + body)
        kinds.append(kind)
        pos += 12 + n
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


def test_write_png_round_trips_through_read_png_and_refuses_bad_arrays(tmp_path):
    img = np.random.default_rng(3).integers(0, 256, (64, 48), dtype=np.uint8)
    write_png(tmp_path / "p.png", img)
    assert np.array_equal(read_png(tmp_path / "p.png"), img)
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]  # no temporary left
    with pytest.raises(ValueError, match="2-D"):
        encode_png(np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="dtype"):
        encode_png(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="empty"):
        encode_png(np.zeros((0, 5), np.uint8))
