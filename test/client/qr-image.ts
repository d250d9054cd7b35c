import jsQR from 'jsqr';
import { PNG } from 'pngjs';

/** A PNG's pixels (RGBA), read with a pure-JS PNG reader. */
export function readPng(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

/** The text a QR code in a PNG encodes, decoded by a pure-JS reader; undefined when it holds none. */
export function decodeQr(bytes: Buffer): string | undefined {
  const png = readPng(bytes);
  // As a viewer shows it: over white (jsQR reads RGB only, so a transparent background would be black).
  const rgba = new Uint8ClampedArray(png.data.length);
  for (let i = 0; i < png.data.length; i += 4) {
    const alpha = png.data[i + 3]! / 255;
    for (let c = 0; c < 3; c++) rgba[i + c] = Math.round(png.data[i + c]! * alpha + 255 * (1 - alpha));
    rgba[i + 3] = 255;
  }
  return jsQR(rgba, png.width, png.height, { inversionAttempts: 'dontInvert' })?.data;
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
