import { scoreNoteLocally } from './localScorer.ts';
import {
  generateSyntheticNote,
  KIND_MIX,
  SYNTHETIC_NOTE_BANNER,
  type SyntheticNoteKind,
} from './syntheticNotes.ts';

function many(diagnosis: 'M' | 'B', n: number) {
  return Array.from({ length: n }, (_, i) =>
    generateSyntheticNote({ diagnosis, seed: 1000 + i, severity: (i % 11) / 10 }),
  );
}

describe('Function: generateSyntheticNote', () => {
  it('is deterministic for a seed and says in its first line that it is synthetic', () => {
    // Act
    const a = generateSyntheticNote({ diagnosis: 'M', seed: 42, severity: 0.9 });
    const b = generateSyntheticNote({ diagnosis: 'M', seed: 42, severity: 0.9 });

    // Assess
    expect(a).toEqual(b);
    expect(a.text.startsWith(SYNTHETIC_NOTE_BANNER)).toBe(true);
  });

  it('mixes note kinds per diagnosis roughly as configured', () => {
    // Prepare
    const n = 4000;

    for (const diagnosis of ['M', 'B'] as const) {
      // Act
      const counts = new Map<SyntheticNoteKind, number>();
      for (const note of many(diagnosis, n))
        counts.set(note.kind, (counts.get(note.kind) ?? 0) + 1);

      // Assess
      for (const [kind, share] of KIND_MIX[diagnosis]) {
        expect(Math.abs((counts.get(kind) ?? 0) / n - share)).toBeLessThan(0.03);
      }
    }
  });

  it('writes both multi-line and single-line notes', () => {
    // Act
    const notes = many('B', 200);

    // Assess
    expect(notes.some((x) => x.text.includes('\n'))).toBe(true);
    expect(notes.some((x) => !x.text.includes('\n'))).toBe(true);
  });

  it('agrees with the diagnosis only partly, as the local scorer reads the notes', () => {
    // Act
    const benign = many('B', 1000).map((x) => scoreNoteLocally(x.text).malignancy_risk_score);
    const malignant = many('M', 1000).map((x) => scoreNoteLocally(x.text).malignancy_risk_score);
    const share = (xs: number[], f: (s: number) => boolean) => xs.filter(f).length / xs.length;

    // Assess: mostly right, but worrying benign notes and bland malignant notes exist.
    expect(share(benign, (s) => s <= 3)).toBeGreaterThan(0.6);
    expect(share(malignant, (s) => s >= 7)).toBeGreaterThan(0.5);
    expect(share(benign, (s) => s >= 5)).toBeGreaterThan(0.1);
    expect(share(malignant, (s) => s <= 3)).toBeGreaterThan(0.05);
  });

  it('lets grade follow severity in typical malignant notes', () => {
    // Act
    const grades = (severity: number) =>
      Array.from({ length: 400 }, (_, i) =>
        generateSyntheticNote({ diagnosis: 'M', seed: i, severity }),
      )
        .filter((x) => x.kind === 'malignant-typical')
        .map((x) => scoreNoteLocally(x.text).malignancy_risk_score);
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

    // Assess
    expect(mean(grades(1))).toBeGreaterThan(mean(grades(0)));
  });
});
