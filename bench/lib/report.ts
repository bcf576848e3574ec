/** Small helpers for benchmark reports: statistics, formatting, the machine, the docs file. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, type, release } from 'node:os';

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Seconds as a short human duration (ns, µs, ms or s). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'n/a';
  if (seconds < 1e-6) return `${(seconds * 1e9).toFixed(0)} ns`;
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(seconds < 1e-5 ? 2 : 1)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
  if (seconds < 3600) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return 'n/a';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M rows/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(0)} k rows/s`;
  return `${perSecond.toFixed(0)} rows/s`;
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (Math.abs(n) >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (Math.abs(n) >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Plain-text rendering of the same table for the terminal. */
export function textTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const fmt = (r: string[]): string =>
    r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

export function machine(): Record<string, string> {
  const cpu = cpus();
  let model = cpu[0]?.model ?? 'unknown';
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' });
  const name = lscpu.stdout?.match(/Model name:\s*(.+)/)?.[1];
  if (name) model = name.trim();
  return {
    cpu: `${model}, ${cpu.length} cores visible`,
    memory: bytes(totalmem()),
    os: `${type()} ${release()}`,
    node: process.version,
    loadAtStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
  };
}

/**
 * Replaces the `## <heading>` section of a markdown file (up to the next `## ` heading), or
 * appends it; creates the file with a title when missing. Other sections are left untouched.
 */
export function writeSection(
  path: string,
  heading: string,
  body: string,
  title = '# Performance',
): void {
  const section = `## ${heading}\n\n${body.trim()}\n`;
  if (!existsSync(path)) {
    writeFileSync(path, `${title}\n\n${section}`);
    return;
  }
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) {
    writeFileSync(path, `${text.replace(/\s*$/, '')}\n\n${section}`);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  writeFileSync(
    path,
    `${before}${before ? '\n' : ''}${section}${after ? `\n${after}` : ''}`.replace(/\n*$/, '\n'),
  );
}
