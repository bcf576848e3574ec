import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { main } from './main.ts';

describe('Function: main, in a folder where nothing has run', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-nostate-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([['status'], ['dlq', 'list', 'notes-to-score'], ['models', 'list']])(
    'refuses `mlops %s` as a usage error and creates nothing there',
    async (...command) => {
      // Prepare
      const state = path.join(dir, '.mlops');
      const errors = jest.spyOn(console, 'error').mockImplementation(() => {});

      // Act
      const code = await main([...command, '--state', state]);

      // Assess
      expect(code).toBe(2);
      expect(errors.mock.calls.join(' ')).toMatch(/no state in .*nothing has run/);
      expect(fs.existsSync(state)).toBe(false);
      errors.mockRestore();
    },
  );
});
