import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/** A PNG's pixels (RGBA), read with a pure-JS PNG reader. */
export function readPng(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

/** The text a QR code in a PNG encodes, decoded by a pure-JS reader; undefined when it holds none. */
export function decodeQr(bytes: Buffer): string | undefined {
  const png = readPng(bytes);
  return jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.byteLength), png.width, png.height)?.data;
}

/** Unique RGBA colours of a PNG, as `#rrggbbaa`. */
export function coloursOf(bytes: Buffer): Set<string> {
  const { data } = readPng(bytes);
  const seen = new Set<string>();
  for (let i = 0; i < data.length; i += 4) {
    seen.add(`#${[data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!].map((v) => v.toString(16).padStart(2, '0')).join('')}`);
  }
  return seen;
}
