import {
  aliasIndex,
  normaliseHeader,
  type FeatureGroup,
} from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { columnLabel } from '@cancer-mlops/shared/domain/validation/columnLabel.ts';
import { parseDiagnosis, parseNumber } from './values.ts';

/** Where each column of a CSV goes: a canonical field name, or undefined when ignored. */
export interface ColumnMap {
  columns: (string | undefined)[];
  /** Header names no alias matches; kept in the summary so an operator sees what was dropped. */
  ignored: string[];
  /** No header row: the file is in the original UCI WDBC layout and its first record is data. */
  headerless: boolean;
}

export type HeaderResult = { ok: true; map: ColumnMap } | { ok: false; reason: string };

/**
 * Why a `target` column (or JSON key) is refused rather than read as the diagnosis: its 0/1
 * codes go both ways. scikit-learn's breast-cancer data, where such files come from, codes
 * 0 = malignant; read with this system's 1 = malignant, every label would flip, silently.
 */
export const AMBIGUOUS_TARGET_REASON =
  'a `target` column is ambiguous: scikit-learn codes its breast-cancer target 0 = malignant, ' +
  'the opposite of 1 = malignant here; rename it diagnosis and code it M/B (or 1 = malignant)';

/** Takes a name already through normaliseHeader, as alias lookups do. */
export const isAmbiguousTarget = (normalised: string): boolean => normalised === 'target';

/** The original UCI `wdbc.data` layout: id, diagnosis, then the 30 measurements in order. */
export const wdbcLayout = (group: FeatureGroup): string[] => [
  'record_id',
  'diagnosis',
  ...group.features.map((f) => f.name),
];

const listNames = (names: string[], max = 8) =>
  names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

/**
 * Maps a CSV header onto canonical field names through the feature group's aliases
 * (`mean radius`, `Radius (mean)`, `radius_mean` are one column). A header that names no
 * known column at all, lacks a measurement, or names one twice refuses the whole file: every
 * row would fail the same way, and one clear reason beats a thousand identical ones. The
 * reason never quotes the header cells: in a file without a header they are patient data.
 */
export function mapHeader(
  fields: readonly string[],
  group: FeatureGroup,
  index = aliasIndex(group),
  decimalComma = false,
): HeaderResult {
  const columns = fields.map((f) => index.get(normaliseHeader(f)));
  const recognised = columns.filter((c) => c !== undefined).length;
  if (recognised === 0) {
    if (looksLikeWdbcData(fields, group, decimalComma)) {
      return { ok: true, map: { columns: wdbcLayout(group), ignored: [], headerless: true } };
    }
    return {
      ok: false,
      reason:
        `no recognised header: none of the ${fields.length} column(s) is a known field name or alias ` +
        `(expected e.g. ${listNames(group.features.slice(0, 3).map((f) => f.name))}, or the 32-column UCI WDBC layout without a header)`,
    };
  }
  if (fields.some((f) => isAmbiguousTarget(normaliseHeader(f))))
    return { ok: false, reason: AMBIGUOUS_TARGET_REASON };
  const seen = new Map<string, number>();
  for (const [i, c] of columns.entries()) {
    if (c === undefined) continue;
    const earlier = seen.get(c);
    if (earlier !== undefined) {
      return {
        ok: false,
        reason: `wrong header: columns ${earlier + 1} and ${i + 1} both map to ${c}`,
      };
    }
    seen.set(c, i);
  }
  const missing = group.features.map((f) => f.name).filter((n) => !seen.has(n));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `wrong header: ${missing.length} of ${group.features.length} measurement column(s) missing: ${listNames(missing)}`,
    };
  }
  const ignored = fields.flatMap((f, i) =>
    columns[i] === undefined ? [columnLabel(f, i + 1)] : [],
  );
  return { ok: true, map: { columns, ignored, headerless: false } };
}

/** A first record that is data in the WDBC layout: 32 cells, a diagnosis code, then numbers. */
function looksLikeWdbcData(
  fields: readonly string[],
  group: FeatureGroup,
  decimalComma: boolean,
): boolean {
  if (fields.length !== group.features.length + 2) return false;
  // An unlabelled first record (`?`) is as much the layout as a labelled one.
  if (parseDiagnosis(fields[1], group).kind === 'invalid') return false;
  const numbers = fields.slice(2).map((f) => parseNumber(f, decimalComma));
  // A header is text: at least one cell of the row must be a number.
  return numbers.every((n) => n.kind !== 'invalid') && numbers.some((n) => n.kind === 'value');
}
