import { crc32, deflateSync } from 'node:zlib';

/** One line of the chart: its values (one per sample), its colour and the value its axis tops at. */
export interface Series {
  label: string;
  values: number[];
  rgb: [number, number, number];
}

const W = 800;
const PANEL_H = 140;
const MARGIN = 10;

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** Encodes RGB pixels as a PNG (8-bit truecolour, no filtering): node's zlib is all it needs. */
function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A PNG with one panel per series stacked top to bottom, each scaled from 0 to its own maximum (so a flat
 * line means a steady value), on a light grid with a line every tenth of the panel. Labels and scales are
 * in the CSV beside it: the chart shows shape, the CSV the numbers.
 */
export function lineChart(series: Series[]): Buffer {
  const height = series.length * PANEL_H;
  const px = new Uint8Array(W * height * 3).fill(255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= W || y >= height) return;
    const i = (y * W + x) * 3;
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  };
  series.forEach((s, panel) => {
    const top = panel * PANEL_H + MARGIN;
    const h = PANEL_H - 2 * MARGIN;
    for (let k = 0; k <= 10; k++)
      for (let x = MARGIN; x < W - MARGIN; x++) set(x, top + Math.round((k * h) / 10), [225, 225, 225]);
    for (let y = top; y <= top + h; y++) set(MARGIN, y, [120, 120, 120]);
    const max = Math.max(...s.values.filter(Number.isFinite), 1e-9);
    const n = s.values.length;
    const at = (i: number) => {
      const v = s.values[i] ?? 0;
      return {
        x: MARGIN + Math.round((i * (W - 2 * MARGIN)) / Math.max(1, n - 1)),
        y: top + h - Math.round(((Number.isFinite(v) ? v : 0) / max) * h),
      };
    };
    for (let i = 1; i < n; i++) {
      const a = at(i - 1);
      const b = at(i);
      const steps = Math.max(Math.abs(b.x - a.x), Math.abs(b.y - a.y), 1);
      for (let t = 0; t <= steps; t++) {
        const x = Math.round(a.x + ((b.x - a.x) * t) / steps);
        const y = Math.round(a.y + ((b.y - a.y) * t) / steps);
        set(x, y, s.rgb);
        set(x, y + 1, s.rgb);
      }
    }
  });
  return encodePng(W, height, px);
}
