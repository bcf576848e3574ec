import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import { LocalMetrics, readCounters } from './localMetrics.ts';
import { LocalSecretStore } from './localSecretStore.ts';
import { SqliteStateStore } from './sqliteStateStore.ts';

describe('Class: SqliteStateStore', () => {
  let dir: string;
  let db: RuntimeDb;
  let state: SqliteStateStore;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-state-'));
    db = openRuntimeDb(dir);
    state = new SqliteStateStore(db);
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Method: get / put / delete', () => {
    it('stores JSON documents per namespace and key', async () => {
      // Act
      await state.put('cooldown', 'retrain', { until: '2026-03-02T00:00:00Z', count: 2 });
      await state.put('other', 'retrain', 'elsewhere');
      await state.put('cooldown', 'retrain', { until: '2026-03-03T00:00:00Z', count: 3 });

      // Assess
      expect(await state.get('cooldown', 'retrain')).toEqual({
        until: '2026-03-03T00:00:00Z',
        count: 3,
      });
      expect(await state.get('other', 'retrain')).toBe('elsewhere');
      expect(await state.get('cooldown', 'missing')).toBeUndefined();
      await state.delete('cooldown', 'retrain');
      expect(await state.get('cooldown', 'retrain')).toBeUndefined();
    });

    it('refuses a value JSON cannot hold', async () => {
      // Act & Assess
      await expect(state.put('n', 'k', undefined)).rejects.toThrow(/JSON/);
    });
  });

  describe('Method: putIfAbsent', () => {
    it('creates once and reports who created it', async () => {
      // Act
      const first = await state.putIfAbsent('idempotency', 'batch-1', { by: 'a' });
      const second = await state.putIfAbsent('idempotency', 'batch-1', { by: 'b' });

      // Assess
      expect(first).toBe(true);
      expect(second).toBe(false);
      expect(await state.get('idempotency', 'batch-1')).toEqual({ by: 'a' });
    });

    it('lets exactly one of several connections win the same key', async () => {
      // Prepare: separate connections, as separate processes would have
      const others = [openRuntimeDb(dir), openRuntimeDb(dir)];
      const stores = [state, ...others.map((d) => new SqliteStateStore(d))];

      // Act
      const results = await Promise.all(stores.map((s, i) => s.putIfAbsent('idempotency', 'k', i)));
      for (const d of others) d.close();

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('Method: list', () => {
    it('lists a namespace by key prefix, in key order', async () => {
      // Prepare
      for (const k of ['model/2', 'model/1', 'modelX', 'data/1']) await state.put('ledger', k, k);
      await state.put('elsewhere', 'model/3', 'x');

      // Act
      const models = await state.list('ledger', 'model/');
      const all = await state.list('ledger');

      // Assess
      expect(models).toEqual([
        { key: 'model/1', value: 'model/1' },
        { key: 'model/2', value: 'model/2' },
      ]);
      expect(all.map((e) => e.key)).toEqual(['data/1', 'model/1', 'model/2', 'modelX']);
    });
  });
});

describe('Class: LocalSecretStore', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-secrets-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Method: getSecret', () => {
    it('generates a missing secret once, persists it with mode 0600 and returns it after a restart', async () => {
      // Act
      const first = await new LocalSecretStore(dir).getSecret('pseudonym-key');
      const again = await new LocalSecretStore(dir).getSecret('pseudonym-key');
      const other = await new LocalSecretStore(dir).getSecret('api-token');

      // Assess
      expect(Buffer.from(first, 'base64')).toHaveLength(32);
      expect(again).toBe(first);
      expect(other).not.toBe(first);
      const file = path.join(dir, 'secrets.json');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({
        'pseudonym-key': first,
        'api-token': other,
      });
    });

    it('gives concurrent first uses the same value', async () => {
      // Prepare
      const a = new LocalSecretStore(dir);
      const b = new LocalSecretStore(dir);

      // Act
      const values = await Promise.all([
        a.getSecret('k'),
        b.getSecret('k'),
        a.getSecret('k'),
        b.getSecret('k'),
      ]);

      // Assess
      expect(new Set(values).size).toBe(1);
    });

    it('returns a secret the operator put in the file, and tightens loose permissions', async () => {
      // Prepare
      const file = path.join(dir, 'secrets.json');
      fs.writeFileSync(file, JSON.stringify({ 'api-token': 'chosen-by-operator' }), {
        mode: 0o644,
      });
      fs.chmodSync(file, 0o644);

      // Act
      const token = await new LocalSecretStore(dir).getSecret('api-token');

      // Assess
      expect(token).toBe('chosen-by-operator');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    });

    it('says so when the file is not a JSON object, and refuses odd names', async () => {
      // Prepare
      fs.writeFileSync(path.join(dir, 'secrets.json'), '[1,2]');

      // Act & Assess
      await expect(new LocalSecretStore(dir).getSecret('k')).rejects.toThrow(/not a JSON object/);
      await expect(new LocalSecretStore(dir).getSecret('no spaces')).rejects.toThrow(
        /invalid secret name/,
      );
    });

    it('agrees with another process asking at the same time', async () => {
      // Prepare
      const script = `
        import { LocalSecretStore } from ${JSON.stringify(new URL('./localSecretStore.ts', import.meta.url).href)};
        process.stdout.write(await new LocalSecretStore(${JSON.stringify(dir)}).getSecret('shared'));
      `;

      const other = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
          ]);
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('exit', (code) =>
            code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)),
          );
        });

      // Act: two processes and this one, all asking for the first time
      const [a, b, mine] = await Promise.all([
        other(),
        other(),
        new LocalSecretStore(dir).getSecret('shared'),
      ]);

      // Assess
      expect(a).toBe(mine);
      expect(b).toBe(mine);
    });
  });
});

describe('Class: LocalMetrics', () => {
  let dir: string;
  let db: RuntimeDb;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-metrics-'));
    db = openRuntimeDb(dir);
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Method: count / flush', () => {
    it('sums counts per name and dimensions, whatever the order of the dimensions', async () => {
      // Prepare
      const metrics = new LocalMetrics(db, {
        autoFlushMs: 0,
        now: () => Date.parse('2026-03-01T10:00:00Z'),
      });

      // Act
      metrics.count('RecordsIngested', 10, { service: 'ingest', stage: 'dev' });
      metrics.count('RecordsIngested', 5, { stage: 'dev', service: 'ingest' });
      metrics.count('RecordsQuarantined');
      await metrics.flush();
      metrics.count('RecordsQuarantined', 2);
      metrics.close();

      // Assess
      expect(readCounters(db)).toEqual([
        {
          name: 'RecordsIngested',
          dimensions: { service: 'ingest', stage: 'dev' },
          value: 15,
          updatedAt: new Date('2026-03-01T10:00:00Z'),
        },
        {
          name: 'RecordsQuarantined',
          dimensions: {},
          value: 3,
          updatedAt: new Date('2026-03-01T10:00:00Z'),
        },
      ]);
    });

    it('is readable from another connection while the runtime keeps counting', async () => {
      // Prepare
      const metrics = new LocalMetrics(db, { autoFlushMs: 0 });
      const reader = openRuntimeDb(dir);

      // Act
      metrics.count('Predictions', 3);
      await metrics.flush();
      const seen = readCounters(reader);
      metrics.count('Predictions', 1);
      const fromRuntime = metrics.readCounters();
      reader.close();
      metrics.close();

      // Assess
      expect(seen.map((c) => c.value)).toEqual([3]);
      expect(fromRuntime.map((c) => c.value)).toEqual([4]);
    });

    it('flushes on its own', async () => {
      // Prepare
      const metrics = new LocalMetrics(db, { autoFlushMs: 10 });

      // Act
      metrics.count('Ticks');
      for (let i = 0; i < 200 && readCounters(db).length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      metrics.close();

      // Assess
      expect(readCounters(db)).toEqual([expect.objectContaining({ name: 'Ticks', value: 1 })]);
    });
  });
});
