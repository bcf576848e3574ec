import type { GroundTruthSummary } from '@cancer-mlops/monitor/src/analyzeDrift.ts';
import { logicalName } from '@cancer-mlops/shared/topology/names.ts';
import { UsageError, parse } from './args.ts';
import type { CommandContext } from './control.ts';

interface DriftRunSummary {
  run_id: string;
  html_uri?: string;
  report_uri?: string;
  /** The HTML report as a file in the state folder (added here, for people). */
  html_path?: string;
  samples: number;
  model_version: string | null;
  data?: { status: string; reason?: string; drifted_features?: string[] };
  concept?: { status?: string; reason?: string } | null;
  ground_truth?: GroundTruthSummary;
  events?: unknown[];
}

/** Runs monitor.analyzeDrift now, exactly as its schedule would, and prints the verdict. */
export async function runMonitor(ctx: CommandContext): Promise<DriftRunSummary> {
  const { runtime } = ctx;
  const event = runtime.scheduledEvent(
    `${runtime.state.names.prefix}-${runtime.state.names.stage}-monitor-on-demand`,
  );
  const summary = (await runtime.mesh.invoke('monitor', 'analyzeDrift', event)) as DriftRunSummary;
  const uri = summary.html_uri ?? summary.report_uri;
  return uri ? { ...summary, html_path: reportFile(ctx, uri) } : summary;
}

export function describeRun(s: DriftRunSummary): string[] {
  const lines = [
    `monitoring run ${s.run_id}: ${s.samples} captured request(s), model v${s.model_version ?? '-'}`,
    `  data drift: ${s.data?.status ?? 'unknown'}${s.data?.reason ? ` (${s.data.reason})` : ''}`,
  ];
  if (s.data?.drifted_features?.length)
    lines.push(`  drifted features: ${s.data.drifted_features.join(', ')}`);
  if (s.concept)
    lines.push(
      `  model quality: ${s.concept.status ?? 'unknown'}${s.concept.reason ? ` (${s.concept.reason})` : ''}`,
    );
  const gt = s.ground_truth;
  if (gt && gt.files > 0) {
    lines.push(
      `  ground truth: ${gt.new_labels} new label(s) from ${gt.files} file(s), ${gt.matched} matched to a prediction` +
        (gt.unknown_ids ? `, ${gt.unknown_ids} with an inference_id no prediction has` : ''),
    );
    const reasons = Object.entries(gt.skipped_reasons).sort((a, b) => b[1] - a[1]);
    if (gt.rows_skipped)
      lines.push(
        `  ground-truth rows skipped: ${gt.rows_skipped} (${reasons.map(([r, n]) => `${r}: ${n}`).join('; ')})`,
      );
    for (const f of gt.refused) lines.push(`  ground-truth file refused: ${f.key} (${f.reason})`);
  }
  const where = s.html_path ?? s.html_uri ?? s.report_uri;
  if (where) lines.push(`  report: ${where}`);
  return lines;
}

/** `mlops monitor run`. */
export async function monitorCommand(ctx: CommandContext, argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, {});
  if (positionals[0] !== 'run') throw new UsageError('usage: mlops monitor run');
  const summary = await runMonitor(ctx);
  if (values.json) ctx.out(JSON.stringify(summary, null, 2));
  else for (const l of describeRun(summary)) ctx.out(l);
  return 0;
}

function reportFile(ctx: CommandContext, uri: string): string {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  const bucket = m ? logicalName(ctx.runtime.state.names, m[1]) : undefined;
  return m && bucket ? ctx.runtime.state.objects.filePath(bucket, m[2]) : uri;
}
