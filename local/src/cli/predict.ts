import fs from 'node:fs';
import { WDBC_FEATURE_GROUP, WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { UsageError, parse } from './args.ts';
import type { CommandContext } from './control.ts';

const FEATURE_FLAGS = Object.fromEntries(
  WDBC_FEATURES.map((f) => [f, { type: 'string' as const }]),
);

/**
 * `mlops predict --file F` (a JSON object, or a CSV with a header and one row) or
 * `mlops predict --radius_mean 17.99 … [--note TEXT | --score N]`: one POST /predict through
 * the runtime's API, exactly as a doctor's client would send it.
 */
export async function predictCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...FEATURE_FLAGS,
    file: { type: 'string' },
    note: { type: 'string' },
    score: { type: 'string' },
    'record-id': { type: 'string' },
  });
  let body: Record<string, unknown>;
  if (values.file) body = readRecordFile(values.file);
  else {
    body = {};
    for (const f of WDBC_FEATURES) {
      const v = (values as Record<string, unknown>)[f];
      if (v !== undefined) body[f] = Number(v);
    }
    if (Object.keys(body).length === 0)
      throw new UsageError(`give --file F or the measurements as --${WDBC_FEATURES[0]} N …`);
  }
  if (values.note !== undefined) body.pathology_note = values.note;
  if (values.score !== undefined) body.malignancy_risk_score = Number(values.score);
  if (values['record-id'] !== undefined) body.record_id = values['record-id'];

  const res = await fetch(`${ctx.runtime.apiUrl}/predict`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.runtime.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (values.json) {
    ctx.out(text);
    return res.ok ? 0 : 1;
  }
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    ctx.out(`HTTP ${res.status}: ${text}`);
    return 1;
  }
  if (!res.ok) {
    ctx.out(`HTTP ${res.status}: ${JSON.stringify(answer, null, 2)}`);
    return 1;
  }
  const model = answer.model as { version?: unknown } | undefined;
  const risk = answer.risk_score as { value?: unknown; source?: unknown } | undefined;
  ctx.out(
    `${String(answer.prediction).toUpperCase()}  p(malignant) = ${Number(answer.probability_malignant).toFixed(3)} ` +
      `(threshold ${Number(answer.threshold).toFixed(3)}), model v${String(model?.version)}`,
  );
  if (risk) ctx.out(`risk score ${String(risk.value)} (${String(risk.source)})`);
  const top =
    (answer.top_contributions as { feature: string; contribution: number }[] | undefined) ?? [];
  for (const c of top)
    ctx.out(
      `  ${c.contribution >= 0 ? '+' : '-'}${Math.abs(c.contribution).toFixed(3)}  ${c.feature}`,
    );
  ctx.out(`inference_id ${String(answer.inference_id)}`);
  return 0;
}

function readRecordFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
      throw new UsageError(`${file} is not valid JSON`);
    }
  }
  // A CSV with a header row and one record (simple: no quoted commas in the measurements).
  const [header, row] = trimmed.split(/\r?\n/);
  if (!header || !row)
    throw new UsageError(`${file}: expected a JSON object or a CSV header and one row`);
  const names = header.split(',').map((h) => h.trim());
  const cells = row.split(',');
  const known = new Set([
    ...WDBC_FEATURE_GROUP.features.map((f) => f.name),
    'record_id',
    'malignancy_risk_score',
  ]);
  const body: Record<string, unknown> = {};
  names.forEach((n, k) => {
    if (known.has(n) && cells[k] !== undefined && cells[k].trim() !== '')
      body[n] = n === 'record_id' ? cells[k] : Number(cells[k]);
  });
  return body;
}
