"""A frame counter and a capture time, stamped into video pixels so that they survive encoding.

The synthetic camera (`sources.SyntheticCamera`) stamps every frame it makes; whoever decodes
the video (a test, a benchmark, a page through static/frame-pattern.js) reads the numbers back
to count frames and measure latency. File and device sources are not stamped.

Layout (static/frame-pattern.js implements the same reader; change both together):

- A band of square cells across the top of the frame, black (RGB 0,0,0) for a 0 bit and
  white (RGB 255,255,255) for a 1 bit, in rows of `columns` cells:

    width >= 320          40 columns x 3 rows
    160 <= width < 320    20 columns x 6 rows
    narrower              no stamp

  Cell (row, column) covers x in [column*W // columns, (column+1)*W // columns) and
  y in [row*W // columns, (row+1)*W // columns): the cell size is W/columns in both directions,
  so the layout scales with the frame (read() works after a resize that keeps the aspect ratio).
  A frame shorter than the band (3*W // 40, or 6*W // 20) carries no stamp.
- The 120 cells, row by row, hold 120 bits, most significant bit first:

    bits   0..15   sync word 0xE4B1 (eight ones, eight zeros)
    bits  16..39   counter mod 2**24
    bits  40..87   timestamp, ms since the Unix epoch, mod 2**48
    bits 88..119   CRC-32 (zlib's, IEEE 802.3) of counter and timestamp as 9 big-endian bytes

Reading: for each grid (the one for the frame's width first, then the other; a grid only if its
cells are at least 4 px wide and its band fits in the frame), a cell's level is
the mean of (R+G+B)/3 over its centre, x in [(4*column+1)*W // (4*columns), (4*column+3)*W //
(4*columns)) and the same for y (at least one pixel), which keeps clear of codec ringing at the
cell edges. The sync word's white and black cells must differ by at least 64 levels; halfway
between their means is the threshold; the sync word and the CRC must match exactly. A frame that
fails every grid has no stamp (None).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SYNC_WORD = 0xE4B1
SYNC_BITS = 16
COUNTER_BITS = 24
TIMESTAMP_BITS = 48
CRC_BITS = 32
CELL_COUNT = SYNC_BITS + COUNTER_BITS + TIMESTAMP_BITS + CRC_BITS  # 120
MIN_CONTRAST = 64

RgbFrame = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Stamp:
    counter: int
    timestamp_ms: int


@dataclass(frozen=True)
class _Grid:
    columns: int
    rows: int


WIDE_GRID = _Grid(columns=40, rows=3)
NARROW_GRID = _Grid(columns=20, rows=6)
WIDE_MIN_WIDTH = 320
NARROW_MIN_WIDTH = 160
# A received frame may have been scaled down by the sender; read() still tries a grid whose
# cells are this small.
MIN_READABLE_CELL = 4


def stamp(rgb: RgbFrame, counter: int, timestamp_ms: int) -> None:
    """Draw the pattern into `rgb` (H, W, 3) in place; frames too small for it are left alone."""
    if counter < 0 or timestamp_ms < 0:
        raise ValueError("counter and timestamp_ms must not be negative")
    height, width = rgb.shape[:2]
    grid = _grid_for_width(width)
    if grid is None or _band_height(grid, width) > height:
        return
    cells = np.array(_bits(counter, timestamp_ms), dtype=np.uint8).reshape(grid.rows, grid.columns) * 255
    column_of_x = np.arange(width) * grid.columns // width
    # Whole pixel rows, each copied down its cell row: much faster than broadcasting per channel.
    pixel_rows = np.repeat(cells[:, column_of_x], 3, axis=1).reshape(grid.rows, width, 3)
    for row in range(grid.rows):
        rgb[row * width // grid.columns : (row + 1) * width // grid.columns] = pixel_rows[row]


def read(rgb: RgbFrame) -> Stamp | None:
    """The stamp in `rgb` (H, W, 3 or 4; extra channels ignored), or None if none reads cleanly."""
    height, width = rgb.shape[:2]
    preferred = _grid_for_width(width)
    for grid in (preferred, *(g for g in (WIDE_GRID, NARROW_GRID) if g is not preferred)):
        if grid is None or width < grid.columns * MIN_READABLE_CELL or _band_height(grid, width) > height:
            continue
        found = _read_grid(rgb, grid)
        if found is not None:
            return found
    return None


def _grid_for_width(width: int) -> _Grid | None:
    if width >= WIDE_MIN_WIDTH:
        return WIDE_GRID
    if width >= NARROW_MIN_WIDTH:
        return NARROW_GRID
    return None


def _band_height(grid: _Grid, width: int) -> int:
    return grid.rows * width // grid.columns


def _bits(counter: int, timestamp_ms: int) -> list[int]:
    counter %= 1 << COUNTER_BITS
    timestamp_ms %= 1 << TIMESTAMP_BITS
    payload = (counter << TIMESTAMP_BITS) | timestamp_ms
    crc = zlib.crc32(payload.to_bytes(9, "big"))
    word = (((SYNC_WORD << (COUNTER_BITS + TIMESTAMP_BITS)) | payload) << CRC_BITS) | crc
    return [(word >> (CELL_COUNT - 1 - index)) & 1 for index in range(CELL_COUNT)]


def _read_grid(rgb: RgbFrame, grid: _Grid) -> Stamp | None:
    width = rgb.shape[1]
    quarters = 4 * grid.columns

    def centre(index: int) -> slice:
        start = (4 * index + 1) * width // quarters
        return slice(start, max(start + 1, (4 * index + 3) * width // quarters))

    levels = [
        float(rgb[centre(index // grid.columns), centre(index % grid.columns), :3].mean())
        for index in range(CELL_COUNT)
    ]
    sync = [(SYNC_WORD >> (SYNC_BITS - 1 - index)) & 1 for index in range(SYNC_BITS)]
    white = [level for level, bit in zip(levels[:SYNC_BITS], sync, strict=True) if bit]
    black = [level for level, bit in zip(levels[:SYNC_BITS], sync, strict=True) if not bit]
    white_level, black_level = sum(white) / len(white), sum(black) / len(black)
    if white_level - black_level < MIN_CONTRAST:
        return None
    threshold = (white_level + black_level) / 2
    word = 0
    for level in levels:
        word = (word << 1) | (level > threshold)
    crc = word & ((1 << CRC_BITS) - 1)
    payload = (word >> CRC_BITS) & ((1 << (COUNTER_BITS + TIMESTAMP_BITS)) - 1)
    if word >> (CELL_COUNT - SYNC_BITS) != SYNC_WORD or zlib.crc32(payload.to_bytes(9, "big")) != crc:
        return None
    return Stamp(counter=payload >> TIMESTAMP_BITS, timestamp_ms=payload & ((1 << TIMESTAMP_BITS) - 1))
