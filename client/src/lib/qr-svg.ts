/**
 * A QR symbol drawn as one SVG path (no library in the browser: the server computes the modules, the page only
 * draws what it was given, also from the copy kept on the device for offline use).
 */

/** The light border a reader needs around the symbol, in modules (ISO/IEC 18004 asks for 4). */
export const QUIET_ZONE_MODULES = 4;

/** A symbol ready to draw: its side in modules (quiet zone included) and the dark modules as a path. */
export interface QrDrawing {
  /** Modules a side, quiet zone included: the SVG's viewBox is `0 0 side side`. */
  side: number;
  /** The dark modules, one `M x y h n v1 h -n z` per run of a row, in module units. */
  path: string;
}

/**
 * The drawing of a square matrix of modules (`dark(row, column)`), with the quiet zone around it. Each row's
 * runs of dark modules become one rectangle, which keeps the path short (a pass's symbol is 41 modules a side).
 */
export function drawQrModules(size: number, dark: (row: number, column: number) => boolean): QrDrawing {
  const parts: string[] = [];
  for (let row = 0; row < size; row++) {
    let column = 0;
    while (column < size) {
      if (!dark(row, column)) {
        column += 1;
        continue;
      }
      const start = column;
      while (column < size && dark(row, column)) column += 1;
      const run = column - start;
      parts.push(`M${start + QUIET_ZONE_MODULES} ${row + QUIET_ZONE_MODULES}h${run}v1h-${run}z`);
    }
  }
  return { side: size + 2 * QUIET_ZONE_MODULES, path: parts.join('') };
}

/**
 * The width in CSS pixels to draw a symbol of `side` modules at, at least `minimum`: a whole number of pixels
 * per module (no module blurred across two pixels on a 1× screen), the smallest that reaches the minimum.
 */
export function qrDisplaySize(side: number, minimum: number): number {
  if (!Number.isInteger(side) || side <= 0) throw new RangeError(`not a symbol side: ${side}`);
  return Math.ceil(minimum / side) * side;
}
