import { letterSubject } from './dlq.ts';

describe('Function: letterSubject', () => {
  it('names the record or the training request a dead letter is about, and nothing else', () => {
    const note = 'Invasive ductal carcinoma, patient MRN-77231';
    expect(
      letterSubject(
        JSON.stringify({
          kind: 'note-to-score',
          record: { record_id: '842302', pathology_note: note },
        }),
      ),
    ).toEqual({ recordId: '842302' });
    expect(
      letterSubject(JSON.stringify({ kind: 'training-request', idempotency_key: 'drift-2026-01' })),
    ).toEqual({ request: 'drift-2026-01' });
    expect(letterSubject('not json')).toEqual({});
    expect(letterSubject('null')).toEqual({});
    expect(
      JSON.stringify(letterSubject(JSON.stringify({ record: { pathology_note: note } }))),
    ).not.toMatch(/MRN|carcinoma/);
  });
});
