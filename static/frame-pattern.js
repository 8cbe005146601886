// Reads the frame counter and capture time that rtcshim's media sources stamp into video
// frames (server/media/frame_pattern.py documents the layout; change both together).
// window.readFramePattern(imageData): imageData is a canvas ImageData (RGBA) of the whole
// frame at its natural size; returns {counter, timestamp} (timestamp: ms since the Unix epoch),
// or null when the frame carries no stamp that reads cleanly.
(function installFramePattern(window) {
  'use strict';
  if (window.readFramePattern) return;

  const SYNC_WORD = 0xE4B1;
  const SYNC_BITS = 16;
  const CELL_COUNT = 120; // sync 16, counter 24, timestamp 48, CRC-32 32
  const MIN_CONTRAST = 64;
  const MIN_READABLE_CELL = 4;
  const WIDE_GRID = {columns: 40, rows: 3};
  const NARROW_GRID = {columns: 20, rows: 6};

  const CRC_TABLE = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    CRC_TABLE[n] = c >>> 0;
  }

  function crc32(bytes) {
    let crc = 0xFFFFFFFF;
    for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >>> 8);
    return (crc ^ 0xFFFFFFFF) >>> 0;
  }

  function gridForWidth(width) {
    if (width >= 320) return WIDE_GRID;
    if (width >= 160) return NARROW_GRID;
    return null;
  }

  function readGrid(imageData, grid) {
    const {width, data} = imageData;
    const quarters = 4 * grid.columns;
    // The centre half of a cell, clear of codec ringing at its edges (at least one pixel).
    const centre = (index) => {
      const start = Math.floor((4 * index + 1) * width / quarters);
      return [start, Math.max(start + 1, Math.floor((4 * index + 3) * width / quarters))];
    };
    const levels = [];
    for (let index = 0; index < CELL_COUNT; index++) {
      const [x0, x1] = centre(index % grid.columns);
      const [y0, y1] = centre(Math.floor(index / grid.columns));
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const offset = (y * width + x) * 4;
          sum += data[offset] + data[offset + 1] + data[offset + 2];
        }
      }
      levels.push(sum / (3 * (x1 - x0) * (y1 - y0)));
    }
    let white = 0, black = 0;
    for (let index = 0; index < SYNC_BITS; index++) {
      if ((SYNC_WORD >> (SYNC_BITS - 1 - index)) & 1) white += levels[index];
      else black += levels[index];
    }
    white /= 8; // the sync word has eight ones and eight zeros
    black /= 8;
    if (white - black < MIN_CONTRAST) return null;
    const threshold = (white + black) / 2;
    const bits = levels.map((level) => (level > threshold ? 1 : 0));
    const field = (start, count) => bits.slice(start, start + count).reduce((value, bit) => value * 2 + bit, 0);
    if (field(0, SYNC_BITS) !== SYNC_WORD) return null;
    // Bits 16..87 (counter and timestamp) as 9 bytes; numbers stay below 2**53.
    const payload = [];
    for (let byte = 0; byte < 9; byte++) payload.push(field(16 + 8 * byte, 8));
    if (crc32(payload) !== field(88, 32)) return null;
    return {counter: field(16, 24), timestamp: field(40, 48)};
  }

  window.readFramePattern = function readFramePattern(imageData) {
    const {width, height} = imageData;
    const preferred = gridForWidth(width);
    const grids = [preferred, ...[WIDE_GRID, NARROW_GRID].filter((grid) => grid !== preferred)];
    for (const grid of grids) {
      if (!grid || width < grid.columns * MIN_READABLE_CELL) continue;
      if (Math.floor(grid.rows * width / grid.columns) > height) continue;
      const found = readGrid(imageData, grid);
      if (found) return found;
    }
    return null;
  };
})(window);
