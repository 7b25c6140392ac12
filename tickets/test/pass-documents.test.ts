import { randomUUID } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { ConflictError } from '@ticketing/common/errors';
import { TEST_PASS_SIGNING_KEY } from '@ticketing/common/testing';
import jsQR from 'jsqr';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRawStream, type PDFPage } from 'pdf-lib';
import QRCode from 'qrcode';
import { renderPassCalendar } from '../src/passes/pass-calendar';
import { assertPassHasStart, type PassDocument } from '../src/passes/pass-document';
import { renderPassPdf } from '../src/passes/pass-pdf';
import { PassSigner } from '../src/passes/pass-signer';

const signer = PassSigner.fromEnvironment(TEST_PASS_SIGNING_KEY);

function buildPass(overrides: Partial<PassDocument> = {}): PassDocument {
  const ticketId = overrides.ticketId ?? randomUUID();
  const generation = overrides.generation ?? 2;
  return {
    ticketId,
    code: signer.codeFor({ ticketId, generation }),
    generation,
    title: 'Orchestre de Paris: Mahler 5',
    venue: 'Philharmonie de Paris',
    startsAt: '2026-12-12T20:00:00+01:00',
    timeZone: 'Europe/Paris',
    holderEmail: 'holder@example.com',
    issuedAt: '2026-12-01T09:30:00.000Z',
    ...overrides,
  };
}

describe('the pass as a PDF', () => {
  it('when a pass is rendered, then it is one page whose QR code, drawn 4 inches wide, reads back as the pass code', async () => {
    const pass = buildPass();
    const pdf = await renderPassPdf(pass);

    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const document = await PDFDocument.load(pdf);
    expect(document.getPageCount()).toBe(1);
    const page = document.getPage(0);
    expect(page.getSize()).toEqual({ width: 612, height: 792 });

    const qr = drawnImages(page);
    expect(qr).toHaveLength(1);
    expect(qr[0]!.width).toBeGreaterThanOrEqual(4 * 72);
    expect(qr[0]!.height).toBe(qr[0]!.width);
    const decoded = jsQR(qr[0]!.rgba, qr[0]!.pixelWidth, qr[0]!.pixelHeight);
    expect(decoded?.data).toBe(pass.code);
    // 136 base32 characters in alphanumeric mode at error correction M: version 6, 41 modules a side.
    expect(decoded?.version).toBe(QRCode.create(pass.code, { errorCorrectionLevel: 'M' }).version);
    expect(decoded?.version).toBeLessThanOrEqual(6);
  });

  it('when a pass is rendered, then its page says the title, the venue, the start on the venue clock, the code in groups, the holder, which code it is and the ticket id', async () => {
    const pass = buildPass({ generation: 2 });
    const text = pageText((await PDFDocument.load(await renderPassPdf(pass))).getPage(0));

    expect(text).toContain('Orchestre de Paris: Mahler 5');
    expect(text).toContain('Philharmonie de Paris');
    expect(text).toContain('Sat, 12 Dec 2026, 20:00 CET');
    expect(text).toContain('Venue time (Europe/Paris)');
    expect(text).toContain('Code 2 — earlier codes are void');
    expect(text).toContain('Holder: holder@example.com');
    expect(text).toContain(`Ticket ${pass.ticketId}`);
    const codeLines = text.filter((line) => /^[A-Z2-7]{1,4}( [A-Z2-7]{4})*$/.test(line) && line.length > 20);
    expect(codeLines.join(' ').replaceAll(' ', '')).toBe(pass.code);
    expect(codeLines[0]).toBe(pass.code.slice(0, 36).replace(/(.{4})(?!$)/g, '$1 '));
  });

  it('when the ticket has its first code, then the page says code 1 without voiding anything', async () => {
    const text = pageText((await PDFDocument.load(await renderPassPdf(buildPass({ generation: 1 })))).getPage(0));
    expect(text).toContain('Code 1');
    expect(text.join('\n')).not.toContain('earlier codes');
  });

  it('when the venue has no zone, then the start is shown on the clock of the offset the seller gave', async () => {
    const pass = buildPass({ startsAt: '2031-06-12T20:00:00+02:00', timeZone: null });
    const text = pageText((await PDFDocument.load(await renderPassPdf(pass))).getPage(0));
    expect(text).toContain('Thu, 12 Jun 2031, 20:00 UTC+02:00');
  });

  it('when the ticket has no venue, no start and no known holder email, then the pass still renders', async () => {
    const pass = buildPass({ venue: null, startsAt: null, timeZone: null, holderEmail: null });
    const document = await PDFDocument.load(await renderPassPdf(pass));
    const text = pageText(document.getPage(0));
    expect(text).toContain('No start time given');
    expect(text.some((line) => line.startsWith('Holder'))).toBe(false);
    const qr = drawnImages(document.getPage(0))[0]!;
    expect(jsQR(qr.rgba, qr.pixelWidth, qr.pixelHeight)?.data).toBe(pass.code);
  });

  it('when the title has emoji and CJK characters, then the PDF renders them as "?" and its metadata keeps the title whole', async () => {
    const title = 'Zénith 東京ドーム 🎸 Łódź ő 👨‍👩‍👧 “Live”\u200b❤️';
    const pass = buildPass({ title, venue: 'Stadion Śląski\nKatowice\u3000\u200f' });
    const document = await PDFDocument.load(await renderPassPdf(pass));
    const text = pageText(document.getPage(0));

    // WinAnsi keeps é, ó and the curly quotes, drops accents it lacks (ź, ő, Ś, ą) and invisible characters (a
    // zero-width space, a direction mark), and writes each other character as a reader sees it (5 CJK, the
    // guitar, Ł, the family of three joined by ZWJ, the heart with its emoji selector) as one "?".
    expect(text).toContain('Zénith ????? ? ?ódz o ? “Live”?');
    expect(text).toContain('Stadion Slaski Katowice');
    expect(document.getTitle()).toBe(`Pass: ${title}`);
    const qr = drawnImages(document.getPage(0))[0]!;
    expect(jsQR(qr.rgba, qr.pixelWidth, qr.pixelHeight)?.data).toBe(pass.code);
  });

  it('when a title is longer than three lines, then it stops at three with an ellipsis', async () => {
    const title = Array.from({ length: 30 }, (_, index) => `Word${index}`).join(' ');
    const text = pageText((await PDFDocument.load(await renderPassPdf(buildPass({ title })))).getPage(0));
    const titleLines = text.filter((line) => line.startsWith('Word'));
    expect(titleLines).toHaveLength(3);
    expect(titleLines[2]).toMatch(/…$/);
  });

  it('when the same pass is rendered twice, then the bytes are the same, dated when its code was issued', async () => {
    const pass = buildPass();
    const first = await renderPassPdf(pass);
    const second = await renderPassPdf(pass);
    expect(second.equals(first)).toBe(true);
    const document = await PDFDocument.load(first, { updateMetadata: false });
    expect(document.getCreationDate()?.toISOString()).toBe(pass.issuedAt);
    expect(document.getModificationDate()?.toISOString()).toBe(pass.issuedAt);
  });
});

describe('the pass as a calendar entry', () => {
  it('when the event starts at 20:00 in Paris in winter, then the entry starts at 19:00 UTC and lasts three hours', () => {
    const event = onlyEvent(renderPassCalendar(buildPass({ startsAt: '2026-12-12T20:00:00+01:00' })));
    expect(event.DTSTART).toEqual([{ params: {}, value: '20261212T190000Z' }]);
    expect(event.DTEND).toEqual([{ params: {}, value: '20261212T220000Z' }]);
  });

  it('when the event starts at 20:00 in Paris in summer, then the entry starts at 18:00 UTC', () => {
    const event = onlyEvent(renderPassCalendar(buildPass({ startsAt: '2031-06-12T20:00:00+02:00' })));
    expect(event.DTSTART?.[0]?.value).toBe('20310612T180000Z');
  });

  it('when a pass is exported, then its one event has the ticket UID, the title, the venue, the venue clock and the pass URL', () => {
    const pass = buildPass();
    const url = `https://ticketing.test/mytickets/${pass.ticketId}/pass`;
    const calendar = renderPassCalendar(pass, { url });
    const event = onlyEvent(calendar);

    expect(calendar.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
    expect(text(event, 'UID')).toBe(`${pass.ticketId}@ticketing`);
    expect(text(event, 'SUMMARY')).toBe('Orchestre de Paris: Mahler 5');
    expect(text(event, 'LOCATION')).toBe('Philharmonie de Paris');
    expect(text(event, 'DESCRIPTION')).toBe(
      `Starts Sat, 12 Dec 2026, 20:00 CET (Europe/Paris).\nShow your pass's QR code at the door.\nYour pass: ${url}`,
    );
    expect(calendar).not.toContain(pass.code.slice(0, 20));
    expect(text(event, 'URL')).toBe(url);
    expect(event.DTSTAMP?.[0]?.value).toBe('20261201T093000Z');
    // The same pass, the same file; another code of the same ticket, the same entry.
    expect(renderPassCalendar(pass, { url })).toBe(calendar);
    const next = onlyEvent(renderPassCalendar({ ...pass, generation: 3, issuedAt: '2026-12-02T10:00:00.000Z' }));
    expect(text(next, 'UID')).toBe(`${pass.ticketId}@ticketing`);
  });

  it('when the title and the venue hold commas, semicolons, backslashes and line breaks, then they are escaped and read back whole', () => {
    const title = 'Rock, Paper; Scissors \\ the "tour"\nsecond line, and a long tail to fold: ' + 'é'.repeat(60);
    const venue = 'Hall 1; Gate B, Floor 2\r\nBerlin';
    const calendar = renderPassCalendar(buildPass({ title, venue }));
    const lines = calendar.split('\r\n');

    const summary = unfold(calendar).find((line) => line.startsWith('SUMMARY:'));
    expect(summary).toMatch(/^SUMMARY:Rock\\, Paper\\; Scissors \\\\ the "tour"\\nsecond line\\, and/);
    expect(text(onlyEvent(calendar), 'SUMMARY')).toBe(title);
    expect(text(onlyEvent(calendar), 'LOCATION')).toBe('Hall 1; Gate B, Floor 2\nBerlin');
    // Folded at 75 octets, as RFC 5545 asks; no bare line break anywhere.
    for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(calendar.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
  });

  it('when the ticket has no start, then the calendar is refused with a 409 naming why', () => {
    const pass = buildPass({ startsAt: null, timeZone: null });
    expect(() => assertPassHasStart(pass)).toThrow(ConflictError);
    let refusal: unknown;
    try {
      renderPassCalendar(pass);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConflictError);
    expect((refusal as ConflictError).statusCode).toBe(409);
    expect((refusal as ConflictError).serializeErrors()).toEqual([
      { message: "This ticket's event has no start to put in a calendar" },
    ]);
  });
});

interface DrawnImage {
  /** Drawn size on the page, in points. */
  width: number;
  height: number;
  pixelWidth: number;
  pixelHeight: number;
  rgba: Uint8ClampedArray;
}

/**
 * Every image the page draws, read back as a viewer would: the `cm` matrix before each `Do` of the page's
 * content, and the image XObject it names, inflated and expanded from its colour space and bit depth to RGBA.
 */
function drawnImages(page: PDFPage): DrawnImage[] {
  const xObjects = page.node.Resources()?.lookup(PDFName.of('XObject'), PDFDict);
  const drawn: DrawnImage[] = [];
  for (const match of contentOf(page).matchAll(/([\d.]+) 0 0 ([\d.]+) [\d.-]+ [\d.-]+ cm\s+\/(\S+) Do/g)) {
    const stream = xObjects?.lookup(PDFName.of(match[3]!));
    if (!(stream instanceof PDFRawStream)) continue;
    const dict = stream.dict;
    if (dict.get(PDFName.of('Subtype')) !== PDFName.of('Image')) continue;
    expect(dict.get(PDFName.of('Filter'))).toBe(PDFName.of('FlateDecode'));
    const pixelWidth = dict.lookup(PDFName.of('Width'), PDFNumber).asNumber();
    const pixelHeight = dict.lookup(PDFName.of('Height'), PDFNumber).asNumber();
    const bits = dict.lookup(PDFName.of('BitsPerComponent'), PDFNumber).asNumber();
    const colourSpace = dict.get(PDFName.of('ColorSpace'));
    const channels = colourSpace === PDFName.of('DeviceRGB') ? 3 : colourSpace === PDFName.of('DeviceGray') ? 1 : 0;
    expect(channels).toBeGreaterThan(0);
    const raw = inflateSync(stream.contents);
    const rowBytes = Math.ceil((pixelWidth * channels * bits) / 8);
    expect(raw.length).toBe(rowBytes * pixelHeight);
    const sample = (row: number, index: number): number => {
      if (bits === 8) return raw[row * rowBytes + index]!;
      const byte = raw[row * rowBytes + Math.floor((index * bits) / 8)]!;
      const shift = 8 - bits - ((index * bits) % 8);
      return Math.round((((byte >> shift) & ((1 << bits) - 1)) * 255) / ((1 << bits) - 1));
    };
    const rgba = new Uint8ClampedArray(pixelWidth * pixelHeight * 4);
    for (let row = 0; row < pixelHeight; row += 1) {
      for (let column = 0; column < pixelWidth; column += 1) {
        const at = (row * pixelWidth + column) * 4;
        for (let channel = 0; channel < 3; channel += 1) {
          rgba[at + channel] = sample(row, column * channels + (channels === 3 ? channel : 0));
        }
        rgba[at + 3] = 255;
      }
    }
    drawn.push({ width: Number(match[1]), height: Number(match[2]), pixelWidth, pixelHeight, rgba });
  }
  return drawn;
}

/** The page's content stream(s), inflated, as text. */
function contentOf(page: PDFPage): string {
  const contents = page.node.Contents();
  const streams =
    contents instanceof PDFArray ? contents.asArray().map((ref) => page.doc.context.lookup(ref)) : [contents];
  return streams
    .map((stream) => {
      if (!(stream instanceof PDFRawStream)) throw new Error('unexpected content stream');
      const flate = stream.dict.get(PDFName.of('Filter')) === PDFName.of('FlateDecode');
      return (flate ? inflateSync(stream.contents) : Buffer.from(stream.contents)).toString('latin1');
    })
    .join('\n');
}

/** WinAnsi's bytes 0x80–0x9F that the pass can write; the rest of WinAnsi is Latin-1. */
const WIN_ANSI_EXTRAS: Record<number, string> = { 0x85: '…', 0x93: '“', 0x94: '”', 0x96: '–', 0x97: '—' };

/** Every line of text the page shows (each `Tj` of a standard font: hex strings in WinAnsi), in order. */
function pageText(page: PDFPage): string[] {
  return [...contentOf(page).matchAll(/<([0-9A-Fa-f]*)>\s*Tj/g)].map((match) =>
    [...Buffer.from(match[1]!, 'hex')].map((byte) => WIN_ANSI_EXTRAS[byte] ?? String.fromCharCode(byte)).join(''),
  );
}

interface Property {
  params: Record<string, string>;
  value: string;
}

/** RFC 5545 §3.1: a line that starts with a space or a tab continues the one before it. */
function unfold(calendar: string): string[] {
  expect(calendar.endsWith('\r\n')).toBe(true);
  return calendar
    .slice(0, -2)
    .split('\r\n')
    .reduce<string[]>((lines, line) => {
      if (/^[ \t]/.test(line) && lines.length > 0) lines[lines.length - 1] += line.slice(1);
      else lines.push(line);
      return lines;
    }, []);
}

/** The properties of the calendar's one VEVENT, by name (a small parser, not ical-generator reading itself). */
function onlyEvent(calendar: string): Record<string, Property[]> {
  const lines = unfold(calendar);
  expect(lines[0]).toBe('BEGIN:VCALENDAR');
  expect(lines.at(-1)).toBe('END:VCALENDAR');
  expect(lines.filter((line) => line === 'BEGIN:VEVENT')).toHaveLength(1);
  const event: Record<string, Property[]> = {};
  for (const line of lines.slice(lines.indexOf('BEGIN:VEVENT') + 1, lines.indexOf('END:VEVENT'))) {
    // The name and its parameters end at the first colon outside a quoted parameter value.
    const head = /^([A-Z0-9-]+)((?:;[A-Z0-9-]+=(?:"[^"]*"|[^;:"]*))*):/.exec(line);
    if (!head) throw new Error(`not a content line: ${line}`);
    const params = Object.fromEntries(
      [...head[2]!.matchAll(/;([A-Z0-9-]+)=("[^"]*"|[^;:"]*)/g)].map((param) => [param[1]!, param[2]!]),
    );
    (event[head[1]!] ??= []).push({ params, value: line.slice(head[0].length) });
  }
  return event;
}

/** A TEXT property's one value, unescaped (RFC 5545 §3.3.11). */
function text(event: Record<string, Property[]>, name: string): string | undefined {
  const values = event[name];
  expect(values).toHaveLength(1);
  return values![0]!.value.replace(/\\([\\;,nN])/g, (_, escaped: string) =>
    escaped === 'n' || escaped === 'N' ? '\n' : escaped,
  );
}
