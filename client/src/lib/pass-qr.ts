import { create } from 'qrcode';
import { drawQrModules, type QrDrawing } from './qr-svg';

/**
 * The QR drawing of a pass's code, computed on the server (the `qrcode` package stays out of the browser's
 * bundle). Level M: a code's 136 base32 characters are all in QR's alphanumeric set and fit a version 6 symbol,
 * 41 modules a side, big modules for a phone held up at a door; a clean screen needs no more correction.
 */
export function passQrDrawing(code: string): QrDrawing {
  const { modules } = create(code, { errorCorrectionLevel: 'M' });
  return drawQrModules(modules.size, (row, column) => modules.get(row, column) === 1);
}
