import {
  concatTransformationMatrix,
  drawObject,
  PageSizes,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  StandardFonts,
  type PDFFont,
  type PDFPage,
} from 'pdf-lib';
import QRCode from 'qrcode';
import { formatVenueStart, type PassDocument } from './pass-document';

/**
 * US Letter (612 × 792 pt): the marketplace sells in dollars, so most holders print on Letter. Everything drawn
 * stays inside A4's width too (595 pt, margins of 54 pt) and Letter is the shorter of the two, so the page also
 * prints whole on A4 at actual size.
 */
const [PAGE_WIDTH, PAGE_HEIGHT] = PageSizes.Letter;
const MARGIN = 54;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;

/**
 * The QR code's side with its quiet zone: 4 inches (about 10 cm), so a module of the 41 × 41 of a version 6 code
 * is about 2 mm on paper, and still about 0.7 mm on a phone showing the whole page.
 */
export const QR_SIDE_POINTS = 288;
/** The quiet zone the QR specification asks for around the code, in modules. */
const QR_QUIET_MODULES = 4;
/**
 * Pixels per module in the embedded image. One would do for a viewer that honours `/Interpolate false`, but some
 * smooth an upscaled image anyway and would blur a 49-pixel code into grey; at 8 only each module's edge can
 * blur. As a 1-bit grey image it is still under 2 kB compressed.
 */
const QR_PIXELS_PER_MODULE = 8;

/** The code written out under the QR, for a door whose camera fails: groups of 4, 9 groups a line. */
const CODE_GROUP = 4;
const CODE_GROUPS_PER_LINE = 9;

const INK = rgb(0, 0, 0);
const MUTED = rgb(0.35, 0.35, 0.35);

/**
 * The pass as a one-page PDF: title, venue, start on the venue's clock, the QR code of `code` (error correction
 * M), the code written out, the holder, which code this is, the ticket id. The same pass gives the same bytes:
 * the document's dates are its `issuedAt`, and nothing else pdf-lib writes depends on the clock.
 */
export async function renderPassPdf(pass: PassDocument): Promise<Buffer> {
  const document = await PDFDocument.create();
  const issuedAt = new Date(pass.issuedAt);
  document.setTitle(`Pass: ${pass.title}`); // Metadata is UTF-16: the title stays whole here, emoji included.
  document.setSubject(`Ticket ${pass.ticketId}, code ${pass.generation}`);
  document.setCreator('Ticketing');
  document.setProducer('Ticketing (pdf-lib)');
  document.setCreationDate(issuedAt);
  document.setModificationDate(issuedAt);

  const fonts: PassFonts = {
    regular: await document.embedFont(StandardFonts.Helvetica),
    bold: await document.embedFont(StandardFonts.HelveticaBold),
    mono: await document.embedFont(StandardFonts.Courier),
  };
  const page = document.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
  const writer = new PageWriter(page, PAGE_HEIGHT - MARGIN);

  writer.line('TICKET PASS', fonts.bold, 10, { color: MUTED });
  writer.gap(10);
  writer.paragraph(pass.title, fonts.bold, 24, { maxLines: 3 });
  writer.gap(4);
  if (pass.venue !== null) writer.paragraph(pass.venue, fonts.regular, 14, { maxLines: 2 });
  if (pass.startsAt !== null) {
    writer.line(formatVenueStart(pass.startsAt, pass.timeZone), fonts.regular, 14);
    if (pass.timeZone !== null) writer.line(`Venue time (${pass.timeZone})`, fonts.regular, 10, { color: MUTED });
  } else {
    writer.line('No start time given', fonts.regular, 14, { color: MUTED });
  }
  writer.gap(18);

  drawQrCode(document, page, pass.code, (PAGE_WIDTH - QR_SIDE_POINTS) / 2, writer.y - QR_SIDE_POINTS);
  writer.gap(QR_SIDE_POINTS + 6);
  // One block, centred, its lines left-aligned: the groups stay in columns, the short last line included.
  const lines = codeLines(pass.code);
  const codeWidth = Math.max(...lines.map((line) => fonts.mono.widthOfTextAtSize(line, 11)));
  for (const line of lines) writer.line(line, fonts.mono, 11, { x: (PAGE_WIDTH - codeWidth) / 2 });
  writer.gap(12);

  writer.line(generationText(pass.generation), fonts.bold, 12, { centred: true });
  writer.gap(6);
  if (pass.holderEmail !== null) {
    writer.paragraph(`Holder: ${pass.holderEmail}`, fonts.regular, 11, { maxLines: 2, centred: true });
  }
  writer.line(`Ticket ${pass.ticketId}`, fonts.regular, 9, { color: MUTED, centred: true });
  writer.line(`Issued ${formatIssuedAt(issuedAt)}`, fonts.regular, 9, { color: MUTED, centred: true });
  writer.gap(14);
  writer.paragraph(
    'Show this code at the door: it admits once. A copy works as well as this page, so keep it to yourself. ' +
      'A transfer or a resale of the ticket issues a new code and voids this one.',
    fonts.regular,
    9,
    { color: MUTED, maxLines: 3, centred: true },
  );

  return Buffer.from(await document.save());
}

/** "Code 1"; "Code 2 — earlier codes are void" once the ticket changed hands. */
export function generationText(generation: number): string {
  return generation > 1 ? `Code ${generation} — earlier codes are void` : `Code ${generation}`;
}

/** The code in groups of 4, 9 groups a line: what a person types when the camera fails (spaces are ignored). */
export function codeLines(code: string): string[] {
  const groups = code.match(new RegExp(`.{1,${CODE_GROUP}}`, 'g')) ?? [];
  const lines: string[] = [];
  for (let start = 0; start < groups.length; start += CODE_GROUPS_PER_LINE) {
    lines.push(groups.slice(start, start + CODE_GROUPS_PER_LINE).join(' '));
  }
  return lines;
}

function formatIssuedAt(at: Date): string {
  const text = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: 'UTC',
  }).format(at);
  return `${text} UTC`;
}

/**
 * Draws the QR code as a 1-bit grey image XObject built from the modules (no PNG between: the image is exactly the
 * matrix, each module a square of pixels, black on white, quiet zone included). The code's 136 base32 characters
 * are QR alphanumeric: 761 bits, version 6 (41 × 41) at error correction M, which still reads with a crease or a
 * smudge (15% of it lost). qrcode picks the mode per segment, so a code with a long run of digits may be smaller.
 */
function drawQrCode(document: PDFDocument, page: PDFPage, code: string, x: number, y: number): void {
  const { modules } = QRCode.create(code, { errorCorrectionLevel: 'M' });
  const side = (modules.size + 2 * QR_QUIET_MODULES) * QR_PIXELS_PER_MODULE;
  const rowBytes = Math.ceil(side / 8);
  // DeviceGray at 1 bit: 1 is white. Start all white, clear the bits of the dark modules.
  const pixels = new Uint8Array(rowBytes * side).fill(0xff);
  for (let row = 0; row < side; row += 1) {
    const moduleRow = Math.floor(row / QR_PIXELS_PER_MODULE) - QR_QUIET_MODULES;
    for (let column = 0; column < side; column += 1) {
      const moduleColumn = Math.floor(column / QR_PIXELS_PER_MODULE) - QR_QUIET_MODULES;
      if (!isDarkModule(modules, moduleRow, moduleColumn)) continue;
      const index = row * rowBytes + (column >> 3);
      pixels[index] = (pixels[index] ?? 0) & ~(0x80 >> (column & 7));
    }
  }
  const image = document.context.flateStream(pixels, {
    Type: 'XObject',
    Subtype: 'Image',
    Width: side,
    Height: side,
    ColorSpace: 'DeviceGray',
    BitsPerComponent: 1,
    Interpolate: false,
  });
  const name = page.node.newXObject('QR', document.context.register(image));
  page.pushOperators(
    pushGraphicsState(),
    concatTransformationMatrix(QR_SIDE_POINTS, 0, 0, QR_SIDE_POINTS, x, y),
    drawObject(name),
    popGraphicsState(),
  );
}

function isDarkModule(modules: QRCode.BitMatrix, row: number, column: number): boolean {
  if (row < 0 || column < 0 || row >= modules.size || column >= modules.size) return false;
  return Boolean(modules.get(row, column));
}

interface PassFonts {
  regular: PDFFont;
  bold: PDFFont;
  mono: PDFFont;
}

interface TextOptions {
  color?: ReturnType<typeof rgb>;
  centred?: boolean;
  /** Where the line starts, when not at the margin nor centred. */
  x?: number;
  maxLines?: number;
}

/** Writes lines down the page from the top, each at its size's line height. */
class PageWriter {
  constructor(
    private readonly page: PDFPage,
    public y: number,
  ) {}

  gap(points: number): void {
    this.y -= points;
  }

  line(text: string, font: PDFFont, size: number, options: TextOptions = {}): void {
    this.paragraph(text, font, size, { ...options, maxLines: 1 });
  }

  /** Wrapped to the content width; past `maxLines`, the last line ends with an ellipsis. */
  paragraph(text: string, font: PDFFont, size: number, options: TextOptions = {}): void {
    const lineHeight = size * 1.25;
    for (const line of wrapText(encodableText(text, font), font, size, CONTENT_WIDTH, options.maxLines ?? 1)) {
      this.y -= lineHeight;
      const width = font.widthOfTextAtSize(line, size);
      const x = options.centred ? (PAGE_WIDTH - width) / 2 : (options.x ?? MARGIN);
      // The baseline sits a fifth of the line height above the line's bottom, leaving room for descenders.
      this.page.drawText(line, { x, y: this.y + lineHeight * 0.2, size, font, color: options.color ?? INK });
    }
  }
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const encodableCache = new WeakMap<PDFFont, Set<number>>();

/**
 * The text with what the font cannot write replaced. The standard PDF fonts (no font file to ship, so no native
 * dependency and a small page) know only WinAnsi, Latin-1 and a few more: pdf-lib throws on anything else. A
 * character whose accent WinAnsi lacks (ő, ą) loses the accent; each other character it cannot write (emoji,
 * CJK, Cyrillic, ł) becomes one "?" per character as a reader sees it (a family emoji is one); invisible ones
 * (joiners, direction marks) are dropped, and line breaks and other spaces become plain spaces. The document's
 * metadata title, UTF-16, keeps the text whole.
 */
export function encodableText(text: string, font: PDFFont): string {
  let encodable = encodableCache.get(font);
  if (!encodable) {
    encodable = new Set(font.getCharacterSet());
    encodableCache.set(font, encodable);
  }
  const canWrite = (value: string) => [...value].every((character) => encodable.has(character.codePointAt(0) ?? -1));
  let result = '';
  for (const { segment } of segmenter.segment(text.normalize('NFC').replace(/[\p{Cc}\p{Z}]/gu, ' '))) {
    if (canWrite(segment)) {
      result += segment;
      continue;
    }
    const bare = segment.normalize('NFD').replace(/[\p{M}\p{Cf}]/gu, '');
    if (bare !== '') result += canWrite(bare) ? bare : '?';
  }
  return result;
}

/** Words on lines no wider than `width`; a word wider than a line is cut where it must. */
function wrapText(text: string, font: PDFFont, size: number, width: number, maxLines: number): string[] {
  const fits = (line: string) => font.widthOfTextAtSize(line, size) <= width;
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (fits(candidate)) {
      current = candidate;
      continue;
    }
    if (current !== '') lines.push(current);
    current = '';
    for (const character of word) {
      if (current !== '' && !fits(current + character)) {
        lines.push(current);
        current = '';
      }
      current += character;
    }
  }
  if (current !== '') lines.push(current);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  let last = kept[maxLines - 1] ?? '';
  while (last !== '' && !fits(`${last}…`)) last = last.slice(0, -1);
  kept[maxLines - 1] = `${last.trimEnd()}…`;
  return kept;
}
