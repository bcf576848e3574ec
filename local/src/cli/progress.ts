import type { Status } from './status.ts';

export interface ProgressView {
  trainingRunning: number;
  status: Status;
}

function bar(done: number, total: number, width = 24): string {
  if (total <= 0) return '';
  const f = Math.max(0, Math.min(1, done / total));
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${Math.round(f * 100)}%`;
}

const NEW_DATA_HINT =
  'no model yet: a training starts whenever NEW_DATA_THRESHOLD (default 50) newly labelled records are in';

/** The policy's first failed check: `policy rejected v1: a; b; c` -> `a`. */
function firstReason(reason: string | null): string {
  if (!reason) return 'see npx mlops models status';
  const body = reason.replace(/^policy rejected v\d+: /, '');
  return body.split('; ')[0];
}

/** The lines `mlops start` shows while records move through the stages. */
export function progressLines(v: ProgressView): string[] {
  const s = v.status;
  const i = s.stages.ingest;
  const q = (name: string) => s.queues[name] ?? { visible: 0, inFlight: 0, delayed: 0, dlq: 0 };
  // Counters flush at the end of each function call: ingest's arrive after its first writes.
  const written = s.stages.features.written + s.stages.features.duplicates;
  const expected = Math.max(i.accepted, written);
  const scoringBacklog = q('notes-to-score').visible + q('notes-to-score').inFlight;
  // Dead letters are not done: they stop short of 100% and are named.
  const scoringDead = q('notes-to-score').dlq;
  const scored = Math.max(written, expected - scoringBacklog - scoringDead);
  const duplicates = s.stages.features.duplicates;
  const dlq = Object.entries(s.queues)
    .filter(([, d]) => d.dlq > 0)
    .map(([n, d]) => `${n}: ${d.dlq}`);
  const latest = s.model.packages[0];
  return [
    i.files === 0 && written > 0
      ? '  ingest      reading the dropped file…'
      : `  ingest      ${i.files} file(s), ${i.rows} rows: ${i.accepted} accepted, ${i.quarantined} quarantined` +
        (i.refusedFiles ? `, ${i.refusedFiles} file(s) refused (npx mlops status)` : ''),
    `  scoring     ${scored}/${expected} records ${bar(scored, expected)}${scoringDead ? `, ${scoringDead} dead-lettered` : ''}`,
    `  features    ${written}/${expected} written${duplicates ? ` (${duplicates} already stored)` : ''} ${bar(written, expected)}`,
    `  training    ${trainingLine(v)}`,
    `  registry    ${latest ? `v${latest.version} ${latest.status}${latest.auc !== null ? ` (ROC AUC ${latest.auc.toFixed(4)})` : ''}${latest.status === 'Rejected' ? `: ${firstReason(latest.reason)}` : ''}` : 'no package yet'}`,
    `  deployment  ${s.model.deployed ? `v${s.model.deployed.version} serving` : 'nothing serving yet'}`,
    ...(dlq.length ? [`  dead letters ${dlq.join(', ')} (see: npx mlops dlq list QUEUE)`] : []),
  ];
}

/** Redraws a block of lines on a terminal; elsewhere prints only lines that changed. */
export class ProgressPrinter {
  private previous: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  update(lines: string[]): void {
    if (this.out.isTTY) {
      if (this.previous.length) this.out.write(`\x1b[${this.previous.length}A\x1b[J`);
      this.out.write(`${lines.join('\n')}\n`);
    } else {
      for (const [k, line] of lines.entries())
        if (this.previous[k] !== line) this.out.write(`${line}\n`);
    }
    this.previous = lines;
  }
}

function trainingLine(v: ProgressView): string {
  const t = v.status.stages.training;
  if (v.trainingRunning > 0) return 'a training job is running…';
  if (t.lastFailure)
    return `the last training ${t.lastFailure.status === 'Refused' ? 'was refused' : 'failed'}: ${t.lastFailure.reason.slice(0, 160)} (npx mlops models status)`;
  if (t.packages > 0) return `${t.packages} model(s) trained`;
  return NEW_DATA_HINT;
}
