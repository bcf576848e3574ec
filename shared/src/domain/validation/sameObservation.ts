import type { FeatureGroup } from '../../contracts/featureGroup.ts';
import type { FeatureRecord } from '../../contracts/record.ts';

/**
 * The fields in which two versions of a record at the same event time disagree, among what
 * the hospital sent: the measurements, the diagnosis and the withdrawal flag. The risk score
 * is left out on purpose: scoring the same note again may differ by a point without the
 * record being different. An empty list means a replay, which is skipped as a duplicate;
 * anything else is a conflict a person has to resolve (a correction needs a later event time).
 */
export function conflictingFields(
  stored: Partial<FeatureRecord>,
  incoming: Partial<FeatureRecord>,
  group: FeatureGroup,
): string[] {
  const out: string[] = [];
  for (const f of group.features) {
    const a = stored[f.name];
    const b = incoming[f.name];
    if (!(typeof a === 'number' && typeof b === 'number' && a === b) && a !== b) out.push(f.name);
  }
  if ((stored.diagnosis ?? null) !== (incoming.diagnosis ?? null)) out.push('diagnosis');
  if (Boolean(stored.is_deleted) !== Boolean(incoming.is_deleted)) out.push('is_deleted');
  return out;
}
