import { describe, expect, it } from '@jest/globals';
import { ModelOutputError, parseModelOutput } from './predictOutput.ts';

const names = ['a', 'b', 'c'];
const answer = (first: Record<string, unknown>) =>
  JSON.stringify({
    predictions: [{ probability_malignant: 0.8, prediction: 'malignant', ...first }],
  });

describe('parseModelOutput', () => {
  it('reads probability, label, threshold and named contributions in model order', () => {
    const out = parseModelOutput(
      Buffer.from(
        answer({
          threshold: 0.4,
          contributions: names.map((feature, i) => ({ feature, value: 1, contribution: i + 1 })),
        }),
      ),
      names,
    );
    expect(out).toEqual({
      probability: 0.8,
      label: 'malignant',
      threshold: 0.4,
      contributions: Float64Array.from([1, 2, 3]),
    });
  });

  it('places named contributions by name when they come in another order', () => {
    const contributions = [
      { feature: 'c', contribution: 3 },
      { feature: 'a', contribution: 1 },
      { feature: 'b', contribution: 2 },
    ];
    expect(parseModelOutput(answer({ contributions }), names).contributions).toEqual(
      Float64Array.from([1, 2, 3]),
    );
  });

  it('reads contributions keyed by feature and bare numbers in model order', () => {
    expect(
      parseModelOutput(answer({ contributions: { b: 2, a: 1 } }), names).contributions,
    ).toEqual(Float64Array.from([1, 2, 0]));
    expect(parseModelOutput(answer({ contributions: [1, 2, 3] }), names).contributions).toEqual(
      Float64Array.from([1, 2, 3]),
    );
  });

  it.each([
    ['not JSON', '<html>', /not JSON/],
    ['no predictions', '{}', /predictions\[0\]/],
    ['a probability outside [0, 1]', answer({ probability_malignant: 1.5 }), /probability/],
    ['a threshold outside [0, 1]', answer({ threshold: -1 }), /threshold/],
    ['no label', answer({ prediction: 'maybe' }), /no prediction/],
    ['too few contributions', answer({ contributions: [1, 2] }), /2 contributions for 3/],
    [
      'a feature the model does not have',
      answer({ contributions: ['a', 'b', 'z'].map((feature) => ({ feature, contribution: 1 })) }),
      /should not have/,
    ],
    ['contributions of another shape', answer({ contributions: 'lots' }), /unknown shape/],
  ])('refuses an answer with %s', (_, body, reason) => {
    expect(() => parseModelOutput(body, names)).toThrow(ModelOutputError);
    expect(() => parseModelOutput(body, names)).toThrow(reason);
  });
});
