import { normaliseNote, scoreCacheKey } from './cacheKey.ts';

const scorer = { id: 'local-clinical-text', promptVersion: 'local-rules-1' };

describe('Function: normaliseNote', () => {
  it('unifies line endings, spacing and Unicode form but keeps case and lines', () => {
    // Prepare
    const note = '  FINAL DIAGNOSIS:\r\n\r\n\r\n\tInvasive   carcinoma\u00a0\r\nCafe\u0301 ';

    // Act
    const normal = normaliseNote(note);

    // Assess
    expect(normal).toBe('FINAL DIAGNOSIS:\n\nInvasive carcinoma\nCafé');
  });
});

describe('Function: scoreCacheKey', () => {
  it('is a hex SHA-256 that ignores formatting differences', () => {
    // Act
    const a = scoreCacheKey('Fibroadenoma.\r\nNo atypia.', scorer);
    const b = scoreCacheKey('  Fibroadenoma. \nNo   atypia.\n', scorer);

    // Assess
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toBe(b);
  });

  it.each([
    ['the note', 'Fibroadenoma, no atypia.', scorer],
    ['the scorer id', 'Fibroadenoma.', { ...scorer, id: 'bedrock:other' }],
    ['the prompt version', 'Fibroadenoma.', { ...scorer, promptVersion: 'local-rules-2' }],
  ])('changes with %s', (_label, note, other) => {
    // Act
    const base = scoreCacheKey('Fibroadenoma.', scorer);
    const changed = scoreCacheKey(note, other);

    // Assess
    expect(changed).not.toBe(base);
  });

  it('cannot be confused by moving text between fields', () => {
    // Act
    const a = scoreCacheKey('b', { id: 'a', promptVersion: 'v' });
    const b = scoreCacheKey('', { id: 'a', promptVersion: 'vb' });

    // Assess
    expect(a).not.toBe(b);
  });
});
