import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openRuntimeDb } from './db.ts';

describe('Function: openRuntimeDb', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-db-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates <state>/runtime.db in WAL mode with a busy timeout and every table', () => {
    // Act
    const db = openRuntimeDb(path.join(dir, 'nested', 'state'));

    // Assess
    expect(fs.existsSync(path.join(dir, 'nested', 'state', 'runtime.db'))).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(tables).toEqual([
      'bus_deliveries',
      'metrics',
      'objects',
      'queue_messages',
      'queues',
      'state',
    ]);
    db.close();
  });

  it('opens an existing database again, and refuses one from a newer runtime', () => {
    // Prepare
    openRuntimeDb(dir).close();
    const newer = openRuntimeDb(dir);
    newer.pragma('user_version = 99');
    newer.close();

    // Act & Assess
    expect(() => openRuntimeDb(dir)).toThrow(/schema version 99/);
  });
});
