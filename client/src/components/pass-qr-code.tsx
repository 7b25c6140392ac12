import { qrDisplaySize, type QrDrawing } from '@/lib/qr-svg';

/**
 * A pass's QR code as inline SVG: black on white whatever the page's colours, a whole number of CSS pixels per
 * module, at least `minimumSize` wide (about 260 px reads from a phone held at arm's length), narrower only
 * when the screen itself is. No hooks: the server renders it, and so does the pass page from a copy kept offline.
 */
export function PassQrCode({
  qr,
  label,
  minimumSize = 260,
}: {
  qr: QrDrawing;
  /** The accessible name, e.g. "Pass code for Jazz night". */
  label: string;
  minimumSize?: number;
}) {
  const size = qrDisplaySize(qr.side, minimumSize);
  return (
    <svg
      className="pass-qr"
      role="img"
      aria-label={label}
      xmlns="http://www.w3.org/2000/svg"
      viewBox={`0 0 ${qr.side} ${qr.side}`}
      width={size}
      height={size}
      shapeRendering="crispEdges"
      data-testid="pass-qr"
    >
      <rect width={qr.side} height={qr.side} fill="#ffffff" />
      <path d={qr.path} fill="#000000" />
    </svg>
  );
}
