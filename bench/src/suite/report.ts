/**
 * What a run leaves behind: one table on the terminal (figure, value, goal, anchor, ratio, met), the whole
 * run as `bench/results/<timestamp>.json`, and the flash sale's latency distribution as an SVG beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Unit = 'ms' | 'req/s' | 'MB' | 's' | 'count';

/** A bound a figure must keep: `value <= 2000`, `ratio >= 0.5`. */
export interface Bound {
  op: '<=' | '>=' | '=';
  value: number;
}

export interface Figure {
  scenario: string;
  name: string;
  value: number;
  unit: Unit;
  goal?: Bound;
  /** What the figure is read against, measured in the same run (a bare `node:http` server). */
  anchor?: { name: string; value: number };
  /** A bound on value ÷ anchor. */
  ratioGoal?: Bound;
}

export function ratioOf(figure: Figure): number | undefined {
  return figure.anchor && figure.anchor.value !== 0 ? figure.value / figure.anchor.value : undefined;
}

function holds(bound: Bound | undefined, value: number | undefined): boolean {
  if (bound === undefined) return true;
  if (value === undefined) return false;
  if (bound.op === '<=') return value <= bound.value;
  if (bound.op === '>=') return value >= bound.value;
  return value === bound.value;
}

/** True, false, or undefined when the figure has no goal (it is reported, not judged). */
export function isMet(figure: Figure): boolean | undefined {
  if (figure.goal === undefined && figure.ratioGoal === undefined) return undefined;
  return holds(figure.goal, figure.value) && holds(figure.ratioGoal, ratioOf(figure));
}

const format = (value: number, unit: Unit) => {
  if (unit === 'count') return String(Math.round(value));
  if (unit === 'req/s') return `${Math.round(value)} req/s`;
  if (unit === 's') return `${value.toFixed(1)} s`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
};

const formatBound = (bound: Bound | undefined, unit: Unit) =>
  bound === undefined ? '' : `${bound.op === '=' ? '=' : bound.op === '<=' ? '≤' : '≥'} ${format(bound.value, unit)}`;

const formatRatioBound = (bound: Bound | undefined) =>
  bound === undefined ? '' : `${bound.op === '<=' ? '≤' : bound.op === '>=' ? '≥' : '='} ${bound.value}×`;

/** The table, as lines of fixed-width columns. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    const ratio = ratioOf(figure);
    const met = isMet(figure);
    return [
      `${figure.scenario}: ${figure.name}`,
      format(figure.value, figure.unit),
      [formatBound(figure.goal, figure.unit), formatRatioBound(figure.ratioGoal)].filter(Boolean).join(', '),
      figure.anchor ? `${figure.anchor.name} ${format(figure.anchor.value, figure.unit)}` : '',
      ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
      met === undefined ? '' : met ? 'yes' : 'NO',
    ];
  });
  const header = ['figure', 'value', 'goal', 'anchor', 'ratio', 'met'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = '─'.repeat(widths.reduce((sum, width) => sum + width + 2, -2));
  return [rule, line(header), rule, ...rows.map(line), rule].join('\n');
}

export interface LatencySeries {
  label: string;
  /** Every answer's latency in ms. */
  ms: number[];
  colour: string;
}

/**
 * The share of buyers answered by each moment (a cumulative distribution), one line per series, with the
 * p99 of each marked: the marketplace beside its anchor. Plain SVG, no dependency.
 */
export function renderLatencySvg(title: string, series: readonly LatencySeries[]): string {
  const width = 760;
  const height = 420;
  const margin = { left: 60, right: 20, top: 40, bottom: 50 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const maxMs = Math.max(1, ...series.map((one) => Math.max(0, ...one.ms)));
  const x = (ms: number) => margin.left + (ms / maxMs) * plotWidth;
  const y = (share: number) => margin.top + (1 - share) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    `<line x1="${margin.left}" y1="${y(0)}" x2="${margin.left + plotWidth}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${y(0)}" x2="${margin.left}" y2="${y(1)}" stroke="black"/>`,
  ];
  for (let tick = 0; tick <= 5; tick += 1) {
    const ms = (maxMs * tick) / 5;
    parts.push(
      `<text x="${x(ms)}" y="${y(0) + 18}" text-anchor="middle">${Math.round(ms)}</text>`,
      `<line x1="${x(ms)}" y1="${y(0)}" x2="${x(ms)}" y2="${y(1)}" stroke="#eee"/>`,
    );
    const share = tick / 5;
    parts.push(`<text x="${margin.left - 8}" y="${y(share) + 4}" text-anchor="end">${Math.round(share * 100)}%</text>`);
  }
  parts.push(
    `<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">latency (ms)</text>`,
    `<text x="16" y="${margin.top + plotHeight / 2}" transform="rotate(-90 16 ${margin.top + plotHeight / 2})" text-anchor="middle">buyers answered</text>`,
  );
  series.forEach((one, index) => {
    const sorted = [...one.ms].sort((a, b) => a - b);
    const step = Math.max(1, Math.floor(sorted.length / 400));
    const points: string[] = [`${x(0)},${y(0)}`];
    for (let at = 0; at < sorted.length; at += step)
      points.push(`${x(sorted[at] ?? 0).toFixed(1)},${y((at + 1) / sorted.length).toFixed(1)}`);
    points.push(`${x(sorted.at(-1) ?? 0).toFixed(1)},${y(1)}`);
    const p99 = sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
    parts.push(
      `<polyline fill="none" stroke="${one.colour}" stroke-width="2" points="${points.join(' ')}"/>`,
      `<line x1="${x(p99)}" y1="${y(0)}" x2="${x(p99)}" y2="${y(1)}" stroke="${one.colour}" stroke-dasharray="4 3"/>`,
      `<text x="${margin.left + plotWidth - 8}" y="${y(0) - 12 - index * 18}" text-anchor="end" fill="${one.colour}">${escapeXml(`${one.label}: p99 ${Math.round(p99)} ms (dashed), n=${sorted.length}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export interface RunRecord {
  startedAt: string;
  commit: string;
  repo: string;
  node: string;
  cpus: number;
  scenarios: string[];
  figures: Figure[];
  details: Record<string, unknown>;
}

/** Writes `<dir>/<timestamp>.json` and, when given, `<dir>/<timestamp>-flash.svg`; returns their paths. */
export function writeResults(dir: string, record: RunRecord, svg: string | undefined): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const stamp = record.startedAt.replace(/[:.]/g, '-');
  const json = path.join(dir, `${stamp}.json`);
  fs.writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  const written = [json];
  if (svg !== undefined) {
    const picture = path.join(dir, `${stamp}-flash.svg`);
    fs.writeFileSync(picture, svg);
    written.push(picture);
  }
  return written;
}
