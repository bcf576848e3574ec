import { z } from 'zod';

/**
 * The feature set is configuration, not code: a feature-group definition names the columns,
 * their aliases (as hospitals and scikit-learn spell them) and the physically possible range
 * of each, so validation can say "out of range" instead of training on a typo.
 */
export const FeatureDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_]*$/),
    aliases: z.array(z.string()).default([]),
    min: z.number(),
    max: z.number(),
    description: z.string().optional(),
  })
  .strict();
export type FeatureDefinition = z.infer<typeof FeatureDefinitionSchema>;

export const FeatureGroupSchema = z
  .object({
    name: z.string(),
    version: z.number().int().positive(),
    recordIdentifier: z.literal('record_id'),
    eventTime: z.literal('event_time'),
    features: z.array(FeatureDefinitionSchema).min(1),
    /** The note-derived feature; it is appended after the measurements in model input order. */
    scoreFeature: z.literal('malignancy_risk_score'),
    label: z
      .object({
        name: z.literal('diagnosis'),
        /** Codes accepted for malignant / benign, compared case-insensitively. */
        malignant: z.array(z.string()),
        benign: z.array(z.string()),
      })
      .strict(),
  })
  .strict();
export type FeatureGroup = z.infer<typeof FeatureGroupSchema>;

const BASES = [
  ['radius', 'mean of distances from center to points on the perimeter (pixels)'],
  ['texture', 'standard deviation of grey-scale values'],
  ['perimeter', 'perimeter (pixels)'],
  ['area', 'area (pixels squared)'],
  ['smoothness', 'local variation in radius lengths'],
  ['compactness', 'perimeter^2 / area - 1.0'],
  ['concavity', 'severity of concave portions of the contour'],
  ['concave_points', 'number of concave portions of the contour'],
  ['symmetry', 'symmetry'],
  ['fractal_dimension', 'coastline approximation - 1'],
] as const;

/** Physically possible upper bounds (generous: several times WDBC's observed maxima). */
const MAX: Record<string, number> = {
  radius: 200,
  texture: 200,
  perimeter: 1500,
  area: 50_000,
  smoothness: 1,
  compactness: 5,
  concavity: 5,
  concave_points: 2,
  symmetry: 1,
  fractal_dimension: 1,
};

const SKLEARN_STAT = { mean: 'mean', se: 'error', worst: 'worst' } as const;

function wdbcFeatures(): FeatureDefinition[] {
  const out: FeatureDefinition[] = [];
  for (const stat of ['mean', 'se', 'worst'] as const) {
    for (const [base, description] of BASES) {
      const spaced = base.replace(/_/g, ' ');
      // scikit-learn names: "mean radius", "radius error", "worst radius".
      const sk = stat === 'se' ? `${spaced} error` : `${SKLEARN_STAT[stat]} ${spaced}`;
      out.push({
        name: `${base}_${stat}`,
        aliases: [
          sk,
          `${spaced} ${stat}`,
          `${base.replace(/_/g, '')}_${stat}`,
          `${spaced} (${stat})`,
        ],
        min: 0,
        max: MAX[base],
        description: `${description}, ${stat}`,
      });
    }
  }
  return out;
}

/** WDBC's 30 measurements, in the file's (and scikit-learn's) order. */
export const WDBC_FEATURE_GROUP: FeatureGroup = FeatureGroupSchema.parse({
  name: 'wdbc-patient-records',
  version: 1,
  recordIdentifier: 'record_id',
  eventTime: 'event_time',
  features: wdbcFeatures(),
  scoreFeature: 'malignancy_risk_score',
  label: { name: 'diagnosis', malignant: ['M', '1', 'malignant'], benign: ['B', '0', 'benign'] },
});

export const WDBC_FEATURES: readonly string[] = WDBC_FEATURE_GROUP.features.map((f) => f.name);

/** Model input order: the measurements, then the note score. */
export function modelFeatureNames(group: FeatureGroup = WDBC_FEATURE_GROUP): string[] {
  return [...group.features.map((f) => f.name), group.scoreFeature];
}

/** Normalises a header for alias lookup: case, spaces, dashes and underscores do not matter. */
export function normaliseHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[()[\]{}]/g, ' ') // `radius(mean)`, `Radius [mean]` and `radius (mean)` alike
    .replace(/[\s\-_]+/g, ' ')
    .trim();
}

/** Maps every accepted spelling of a column onto its canonical name. */
export function aliasIndex(group: FeatureGroup = WDBC_FEATURE_GROUP): Map<string, string> {
  const index = new Map<string, string>();
  const add = (alias: string, name: string) => index.set(normaliseHeader(alias), name);
  for (const f of group.features) {
    add(f.name, f.name);
    for (const a of f.aliases) add(a.replace(/[()]/g, ''), f.name);
  }
  for (const fixed of ['record_id', 'patient_id', 'event_time', 'diagnosis', 'pathology_note'])
    add(fixed, fixed);
  add(group.scoreFeature, group.scoreFeature);
  for (const [a, n] of [
    ['id', 'record_id'],
    ['record id', 'record_id'],
    ['sample id', 'record_id'],
    ['patient', 'patient_id'],
    ['mrn', 'patient_id'],
    ['note', 'pathology_note'],
    ['pathology report', 'pathology_note'],
    ['report', 'pathology_note'],
    ['label', 'diagnosis'],
    ['risk score', 'malignancy_risk_score'],
    ['timestamp', 'event_time'],
  ] as const)
    add(a, n);
  return index;
}
