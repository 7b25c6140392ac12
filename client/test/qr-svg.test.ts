import { randomBytes, randomUUID } from 'node:crypto';
import { create } from 'qrcode';
import { formatPassCode, passCodeSignedBytes } from '@ticketing/common/pass-code';
import { passQrDrawing } from '@/lib/pass-qr';
import { drawQrModules, QUIET_ZONE_MODULES, qrDisplaySize } from '@/lib/qr-svg';

const passCode = (generation = 1) =>
  formatPassCode(passCodeSignedBytes({ ticketId: randomUUID(), generation }), new Uint8Array(randomBytes(64)));

/** The dark modules a path draws, read back from its `M x y h n v1 h-n z` runs (quiet zone removed). */
function darkModules(path: string): Set<string> {
  const dark = new Set<string>();
  for (const [, x, y, run] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let i = 0; i < Number(run); i++) {
      dark.add(`${Number(y) - QUIET_ZONE_MODULES},${Number(x) - QUIET_ZONE_MODULES + i}`);
    }
  }
  return dark;
}

describe("a pass's QR code", () => {
  it('when a matrix is drawn, then each run of dark modules in a row is one rectangle, inside a 4-module quiet zone', () => {
    const rows = ['##.#', '....', '.###', '#..#'];
    const drawing = drawQrModules(4, (row, column) => rows[row]![column] === '#');
    expect(drawing.side).toBe(4 + 2 * 4);
    expect(drawing.path).toBe('M4 4h2v1h-2zM7 4h1v1h-1zM5 6h3v1h-3zM4 7h1v1h-1zM7 7h1v1h-1z');
  });

  it("when a pass's code is drawn, then the drawing holds exactly the symbol's dark modules (level M, version 6)", () => {
    const code = passCode(3);
    const symbol = create(code, { errorCorrectionLevel: 'M' });
    const drawing = passQrDrawing(code);
    expect(symbol.version).toBe(6);
    expect(drawing.side).toBe(symbol.modules.size + 8);
    const expected = new Set<string>();
    for (let row = 0; row < symbol.modules.size; row++) {
      for (let column = 0; column < symbol.modules.size; column++) {
        if (symbol.modules.get(row, column)) expected.add(`${row},${column}`);
      }
    }
    expect(darkModules(drawing.path)).toEqual(expected);
  });

  it('when a code is drawn, then its path holds nothing but path commands (it is kept on the device and drawn again)', () => {
    expect(passQrDrawing(passCode()).path).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/);
  });

  it('when sized for a screen, then it is at least the minimum wide with a whole number of pixels per module', () => {
    for (const side of [29, 45, 49, 57]) {
      const size = qrDisplaySize(side, 260);
      expect(size).toBeGreaterThanOrEqual(260);
      expect(size % side).toBe(0);
      expect(size - side).toBeLessThan(260);
    }
    expect(qrDisplaySize(49, 260)).toBe(294);
    expect(qrDisplaySize(52, 260)).toBe(260);
  });

  it('when the side is not a positive whole number, then sizing refuses', () => {
    expect(() => qrDisplaySize(0, 260)).toThrow(RangeError);
    expect(() => qrDisplaySize(4.5, 260)).toThrow(RangeError);
  });
});
