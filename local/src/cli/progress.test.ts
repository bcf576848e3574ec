import { progressLines } from './progress.ts';
import type { Status } from './status.ts';

function status(over: {
  ingest?: Partial<Status['stages']['ingest']>;
  written?: number;
  packages?: Status['model']['packages'];
  lastFailure?: Status['stages']['training']['lastFailure'];
}): Status {
  const packages = over.packages ?? [];
  return {
    stateDir: '/tmp/x',
    stages: {
      ingest: { files: 0, rows: 0, accepted: 0, quarantined: 0, refusedFiles: 0, ...over.ingest },
      scoring: { scored: 0, cacheHits: 0 },
      features: { written: over.written ?? 0, duplicates: 0, records: over.written ?? 0 },
      training: {
        packages: packages.length,
        approved: 0,
        rejected: 0,
        pending: 0,
        lastFailure: over.lastFailure ?? null,
      },
      batch: { files: 0, predicted: 0, errors: 0 },
    },
    queues: {},
    model: { deployed: null, packages },
    monitoring: { lastRun: null, lastReaction: null },
    counters: {},
  };
}

const pkg = (version: string, st: string, reason: string) => ({
  version,
  status: st,
  auc: 1,
  sensitivity: 1,
  reason,
  createdAt: '2026-12-04T00:00:00.000Z',
});

describe('Function: progressLines', () => {
  it('counts records already stored and dead letters apart, as mlops status does', () => {
    // Prepare: 624 accepted; 17 were already in the store; 5 notes dead-lettered.
    const s = status({ ingest: { files: 2, rows: 624, accepted: 624 }, written: 602 });
    s.stages.features.duplicates = 17;
    s.queues['notes-to-score'] = { visible: 0, inFlight: 0, delayed: 0, dlq: 5 };

    // Act
    const lines = progressLines({ trainingRunning: 0, status: s });

    // Assess
    expect(lines[1]).toBe(
      '  scoring     619/624 records [########################] 99%, 5 dead-lettered',
    );
    expect(lines[2]).toBe(
      '  features    619/624 written (17 already stored) [########################] 99%',
    );
  });

  it('says when a dropped file was refused whole, and where to see why', () => {
    const lines = progressLines({
      trainingRunning: 0,
      status: status({ ingest: { files: 2, rows: 569, accepted: 569, refusedFiles: 1 } }),
    });
    expect(lines[0]).toBe(
      '  ingest      2 file(s), 569 rows: 569 accepted, 0 quarantined, 1 file(s) refused (npx mlops status)',
    );
  });

  it('says the file is being read while features arrive before ingest has counted it', () => {
    const lines = progressLines({ trainingRunning: 0, status: status({ written: 380 }) });
    expect(lines[0]).toBe('  ingest      reading the dropped file…');
    expect(lines[3]).toMatch(/training {4}no model yet: a training starts whenever/);
  });

  it('shows why the newest model was rejected: the first failed check', () => {
    const s = status({
      ingest: { files: 1, rows: 569, accepted: 569 },
      written: 569,
      packages: [
        pkg(
          '1',
          'Rejected',
          'policy rejected v1: validation set has 4 malignant and 6 benign cases, fewer than the 20 of each needed; ROC AUC 1.0000 >= 0.97',
        ),
      ],
    });
    expect(progressLines({ trainingRunning: 0, status: s })[4]).toBe(
      '  registry    v1 Rejected (ROC AUC 1.0000): validation set has 4 malignant and 6 benign cases, fewer than the 20 of each needed',
    );
  });

  it('says why the last training failed, until a newer package exists', () => {
    const s = status({
      lastFailure: {
        job: 'j1',
        status: 'Failed',
        reason: 'AlgorithmError: out of memory',
        at: '2026-12-04T00:00:00.000Z',
      },
    });
    expect(progressLines({ trainingRunning: 0, status: s })[3]).toBe(
      '  training    the last training failed: AlgorithmError: out of memory (npx mlops models status)',
    );
    expect(progressLines({ trainingRunning: 1, status: s })[3]).toBe(
      '  training    a training job is running…',
    );
  });
});
