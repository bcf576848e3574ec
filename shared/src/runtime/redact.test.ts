import { REDACTED, redact, redactingReplacer } from './redact.ts';

describe('Function: redact', () => {
  it('blanks note text and patient identifiers at any depth', () => {
    // Prepare
    const entry = {
      record_id: 'r-1',
      patient_id: 'MRN-1234',
      nested: { pathology_note: 'invasive ductal carcinoma', rows: [{ patient: 'Jane Doe' }] },
      count: 3,
    };

    // Act
    const out = redact(entry);

    // Assess
    expect(out).toEqual({
      record_id: 'r-1',
      patient_id: REDACTED,
      nested: { pathology_note: REDACTED, rows: [{ patient: REDACTED }] },
      count: 3,
    });
    expect(JSON.stringify(out)).not.toMatch(/MRN-1234|carcinoma|Jane/);
  });

  it('keeps safe metadata whose names look sensitive', () => {
    // Act
    const out = redact({
      note_length: 120,
      score_source: 'local',
      quarantine_key: 'quarantine/a.csv',
    });

    // Assess
    expect(out).toEqual({
      note_length: 120,
      score_source: 'local',
      quarantine_key: 'quarantine/a.csv',
    });
  });

  it('serialises errors by type and message only (no stack, no attached data)', () => {
    // Prepare
    const err = Object.assign(new Error('boom'), { row: { text: 'secret' } });

    // Act
    const out = JSON.parse(JSON.stringify({ error: err }, redactingReplacer));

    // Assess
    expect(out).toEqual({ error: { type: 'Error', message: 'boom' } });
  });
});
