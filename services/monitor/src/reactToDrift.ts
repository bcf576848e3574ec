import { z } from 'zod';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { MetricsSink, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import type { Platform } from '@cancer-mlops/shared/runtime/platform.ts';
import {
  DriftDetectedSchema,
  EventBridgeEnvelopeSchema,
  ourEvent,
  type OurEventDetail,
} from '@cancer-mlops/shared/contracts/events.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';
import { readMonitorConfig, type MonitorConfig } from './config.ts';
import { MONITOR_NS, REACTIONS_NS, servingModel } from './monitorState.ts';

/**
 * monitor.reactToDrift: turns a DriftDetected alarm into RetrainingRequested, at most once per
 * cooldown. An alarm is dropped, with its reason recorded, when it was already handled
 * (EventBridge and SQS deliver at least once), when its evidence is too thin, when the model
 * it judged has since been replaced, or within the cooldown of the last retraining — so a
 * drifting hour of traffic, analysed every hour, starts one retraining and not a storm.
 */

/** The SQS body: EventBridge's envelope of a DriftDetected event. */
export const DriftDetectedEnvelopeSchema = EventBridgeEnvelopeSchema.extend({
  'detail-type': z.literal('DriftDetected'),
  detail: DriftDetectedSchema,
});
export type DriftDetectedEnvelope = z.infer<typeof DriftDetectedEnvelopeSchema>;

export interface ReactToDriftDeps {
  events: EventPublisher;
  state: StateStore;
  metrics: MetricsSink;
  now: () => Date;
  config: Pick<MonitorConfig, 'cooldownMinutes' | 'minEvidence' | 'minSamples'>;
  /** The deployed model; an alarm about another version is stale. Optional: no check without it. */
  currentModel?: () => Promise<{ version: string } | null>;
  log?: Log;
}

export type ReactionOutcome =
  'requested' | 'duplicate' | 'insufficient-evidence' | 'stale-model' | 'cooldown';

export interface ReactionResult {
  outcome: ReactionOutcome;
  reason: string;
  /** Set when RetrainingRequested was emitted. */
  idempotency_key?: string;
}

interface LastRetraining {
  seq: number;
  at: string;
  alarm: string;
}

export function reactToDriftDeps(
  p: Platform,
  env: NodeJS.ProcessEnv = process.env,
): ReactToDriftDeps {
  return {
    events: p.events,
    state: p.state,
    metrics: p.metrics,
    now: p.now,
    config: readMonitorConfig(env),
    currentModel: () => servingModel(p),
  };
}

type Detail = OurEventDetail<'DriftDetected'>;

function evidenceProblem(d: Detail, config: ReactToDriftDeps['config']): string | undefined {
  if (d.kind === 'concept')
    return d.samples > 0 ? undefined : 'a concept-drift alarm without labelled predictions';
  if (d.samples < config.minSamples)
    return `${d.samples} rows, DRIFT_MIN_SAMPLES is ${config.minSamples}`;
  if (d.drifted_features.length < config.minEvidence) {
    return `${d.drifted_features.length} drifted feature(s), DRIFT_MIN_EVIDENCE is ${config.minEvidence}`;
  }
  return undefined;
}

function describe(d: Detail): string {
  const what =
    d.kind === 'data'
      ? `data drift on ${d.samples} captured rows: ${d.drifted_features.length} feature(s) drifted (${d.drifted_features.join(', ')})`
      : `concept drift: model quality fell on ${d.samples} labelled predictions`;
  return `${what}; model ${d.model_version ?? 'unknown'}; monitoring run ${d.run_id}`.slice(
    0,
    2000,
  );
}

export async function reactToDrift(
  deps: ReactToDriftDeps,
  envelope: DriftDetectedEnvelope,
): Promise<ReactionResult> {
  const log = deps.log ?? createLogger('monitor');
  const d = envelope.detail;
  const alarm = `${d.run_id}:${d.kind}`;
  const now = deps.now();
  const decide = async (result: ReactionResult): Promise<ReactionResult> => {
    if (result.outcome !== 'duplicate') {
      await deps.state.put(REACTIONS_NS, alarm, {
        ...result,
        at: now.toISOString(),
        event_id: envelope.id,
      });
    }
    deps.metrics.count('DriftReactions', 1, { outcome: result.outcome });
    log.info('drift alarm handled', { alarm, outcome: result.outcome, reason: result.reason });
    return result;
  };
  try {
    const earlier = await deps.state.get<ReactionResult>(REACTIONS_NS, alarm);
    if (earlier)
      return await decide({
        outcome: 'duplicate',
        reason: `alarm ${alarm} was already handled (${earlier.outcome})`,
      });

    const thin = evidenceProblem(d, deps.config);
    if (thin)
      return await decide({
        outcome: 'insufficient-evidence',
        reason: `not enough evidence: ${thin}`,
      });

    const current = deps.currentModel ? await deps.currentModel() : null;
    if (current && d.model_version !== null && d.model_version !== current.version) {
      return await decide({
        outcome: 'stale-model',
        reason: `the alarm is about model ${d.model_version}, model ${current.version} is deployed now`,
      });
    }

    const last = await deps.state.get<LastRetraining>(MONITOR_NS, 'last-retraining');
    const cooldownMs = deps.config.cooldownMinutes * 60_000;
    if (last && now.getTime() - Date.parse(last.at) < cooldownMs) {
      const until = new Date(Date.parse(last.at) + cooldownMs).toISOString();
      return await decide({
        outcome: 'cooldown',
        reason: `a retraining was requested at ${last.at} (alarm ${last.alarm}); cooldown until ${until}`,
      });
    }
    // Claim the next retraining: of two alarms racing past the cooldown check, one creates the
    // claim. An alarm that claimed it and then failed to publish finds its own claim on retry.
    const seq = (last?.seq ?? 0) + 1;
    if (
      !(await deps.state.putIfAbsent(REACTIONS_NS, `retraining-${seq}`, {
        alarm,
        at: now.toISOString(),
      }))
    ) {
      const owner = await deps.state.get<{ alarm?: string; at?: string }>(
        REACTIONS_NS,
        `retraining-${seq}`,
      );
      if (owner?.alarm !== alarm) {
        return await decide({
          outcome: 'cooldown',
          reason: `alarm ${owner?.alarm ?? 'another alarm'} requested a retraining at ${owner?.at ?? 'the same time'}`,
        });
      }
    }

    const idempotencyKey = `drift-retraining-${seq}`;
    await deps.events.publish([
      ourEvent('RetrainingRequested', {
        reason: 'drift',
        idempotency_key: idempotencyKey,
        detail: describe(d),
        report_uri: d.report_uri,
      }),
    ]);
    await deps.state.put(MONITOR_NS, 'last-retraining', {
      seq,
      at: now.toISOString(),
      alarm,
    } satisfies LastRetraining);
    return await decide({
      outcome: 'requested',
      reason: describe(d),
      idempotency_key: idempotencyKey,
    });
  } finally {
    await deps.metrics.flush();
  }
}
