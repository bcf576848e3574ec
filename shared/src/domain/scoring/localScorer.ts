import type { Evidence, NoteScore } from '../../contracts/record.ts';
import type { NoteScorer } from '../../ports/noteScorer.ts';
import { findFeatures, type Features, type Span } from './features.ts';
import {
  BENIGN_QUALIFIER_RE,
  CLASS_LEVEL,
  IN_SITU_QUALIFIER_RE,
  LEXICON_SUFFIX_ENTRIES,
  LEXICON_SUFFIX_RE,
  LEXICON_WORD_ENTRIES,
  LEXICON_WORD_RE,
  MASK_HINT_RE,
  MASK_RE,
  type FindingClass,
  type LexiconEntry,
} from './lexicon.ts';
import { assertionAt, type AssertionStatus } from './negation.ts';
import { DIAGNOSTIC_WEIGHT, findSections, sectionAt, type SectionKind } from './sections.ts';
import { clauseAround, prepareText, type PreparedText } from './text.ts';

/**
 * The local clinical-text scorer: deterministic rules, no model, no I/O. It reads the note the
 * way the rubric in rubric.ts asks a model to: the strongest finding of the diagnostic sections
 * sets the base level, and prognostic features of a malignancy (grade, nodes, margins,
 * lymphovascular invasion, extent, distant metastasis) move it up.
 */

export const LOCAL_SCORER_ID = 'local-clinical-text';
/** Bump when a rule changes: it is part of the score cache key. */
export const LOCAL_RULES_VERSION = 'local-rules-1';

/** Bounds the work on adversarial input (a 1 MB note of "carcinoma carcinoma ..."). */
const MAX_FINDINGS = 4000;
const MAX_EVIDENCE = 10;
const MAX_QUOTE = 160;

export interface Finding {
  rule: string;
  cls: FindingClass;
  status: AssertionStatus;
  /** Rubric level after negation / uncertainty. */
  level: number;
  section: SectionKind;
  weight: number;
  span: Span;
  /** A denial about lymph nodes or margins ("node negative for carcinoma"), not about the lesion. */
  aboutNodesOrMargins?: boolean;
}

export interface Modifier {
  rule: string;
  points: number;
  span: Span;
}

export interface LocalAnalysis {
  score: number;
  base: number;
  baseFinding?: Finding;
  modifiers: Modifier[];
  findings: Finding[];
  features: Features;
  evidence: Evidence[];
  rationale: string;
}

const NODE_OR_MARGIN_RE = /lymph|(?<![a-z])(?:nodes?|sentinel|margins?)(?![a-z])/;

/** True when the clause around a finding is about lymph nodes or margins. */
function aboutNodesOrMargins(text: PreparedText, start: number, end: number): boolean {
  const clause = clauseAround(text, start, end);
  return NODE_OR_MARGIN_RE.test(text.work.slice(clause.start, clause.end));
}

function overlapsMask(masks: readonly Span[], start: number, end: number): boolean {
  for (const m of masks) if (m.start < end && start < m.end) return true;
  return false;
}

function levelFor(
  cls: FindingClass,
  status: AssertionStatus,
  strength: 'high' | 'low' | undefined,
): number | undefined {
  const level = CLASS_LEVEL[cls];
  switch (status) {
    case 'affirmed':
    case 'historical':
      return level;
    case 'uncertain':
      if (level >= CLASS_LEVEL.suspicious) return Math.min(level, strength === 'high' ? 6 : 5);
      return Math.max(1, level - 0.5);
    case 'negated':
      // "No evidence of malignancy" is itself a reassuring finding; "no cyst" says nothing.
      return level >= CLASS_LEVEL.lesion ? CLASS_LEVEL.normal : undefined;
    default:
      return undefined;
  }
}

function collectFindings(text: PreparedText, sections: ReturnType<typeof findSections>): Finding[] {
  const { work } = text;
  const masks: Span[] = [];
  if (MASK_HINT_RE.test(work)) {
    MASK_RE.lastIndex = 0;
    for (let m = MASK_RE.exec(work); m !== null; m = MASK_RE.exec(work)) {
      masks.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  const findings: Finding[] = [];
  const scan = (re: RegExp, entries: readonly LexiconEntry[]) => {
    re.lastIndex = 0;
    for (let m = re.exec(work); m !== null; m = re.exec(work)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (findings.length >= MAX_FINDINGS) return;
      let group = 1;
      while (group < m.length && m[group] === undefined) group++;
      const entry = entries[group - 1];
      let start = m.index;
      const end = start + m[0].length;
      if (overlapsMask(masks, start, end)) continue;
      // Whole word for the quote: "adeno" + "carcinoma".
      while (start > 0 && start > m.index - 24 && /[a-z]/.test(work[start - 1])) start--;
      let cls = entry.cls;
      const before = work.slice(Math.max(0, start - 40), start);
      if (entry.id === 'carcinoma' && IN_SITU_QUALIFIER_RE.test(before)) cls = 'inSitu';
      if ((cls === 'lesion' || cls === 'suspicious') && BENIGN_QUALIFIER_RE.test(before))
        cls = 'benign';
      const assertion = assertionAt(text, start, end);
      const level = levelFor(cls, assertion.status, assertion.strength);
      if (level === undefined) continue;
      const section = sectionAt(sections, start);
      let weight =
        assertion.status === 'historical' ? Math.min(section.weight, 0.3) : section.weight;
      // A registry's ICD-O code is a coded diagnosis wherever the scan put it.
      if (entry.id.startsWith('icd-o')) weight = Math.max(weight, DIAGNOSTIC_WEIGHT);
      const cueStart = assertion.cueStart ?? start;
      const cueEnd = assertion.cueEnd ?? end;
      findings.push({
        rule: `${cls}:${entry.id}`,
        cls,
        status: assertion.status,
        level,
        section: section.kind,
        weight,
        span: { start: Math.min(start, cueStart), end: Math.max(end, cueEnd) },
        aboutNodesOrMargins:
          (assertion.status === 'negated' || cls === 'normal' || cls === 'benign') &&
          aboutNodesOrMargins(text, start, end),
      });
    }
  };
  scan(LEXICON_WORD_RE, LEXICON_WORD_ENTRIES);
  scan(LEXICON_SUFFIX_RE, LEXICON_SUFFIX_ENTRIES);
  return findings;
}

/** Strongest finding; diagnostic sections decide alone when they say anything at all. */
function chooseBase(findings: readonly Finding[]): { base: number; finding?: Finding } {
  const about = findings.filter((f) => !f.aboutNodesOrMargins);
  const diagnostic = about.filter((f) => f.weight >= DIAGNOSTIC_WEIGHT);
  const pool = diagnostic.length > 0 ? diagnostic : about;
  const effective = (f: Finding) => (pool === diagnostic ? f.level : 1 + (f.level - 1) * f.weight);
  let best: Finding | undefined;
  let bestLevel = 0;
  for (const f of pool) {
    const e = effective(f);
    if (
      e > bestLevel ||
      (e === bestLevel && best !== undefined && f.span.start < best.span.start)
    ) {
      best = f;
      bestLevel = e;
    }
  }
  return best === undefined ? { base: 1 } : { base: bestLevel, finding: best };
}

function modifiersFor(base: number, features: Features): { base: number; modifiers: Modifier[] } {
  const mods: Modifier[] = [];
  if (base < 6) return { base, modifiers: mods };
  const spread =
    features.distant !== undefined ||
    features.metastasis !== undefined ||
    (features.nodes !== undefined && features.nodes.status !== 'negative');
  // Tumour in lymph nodes or beyond proves invasion even when only "in situ" was read.
  const invasive = base >= 7 || spread;
  const effectiveBase = invasive ? Math.max(base, 7) : base;
  // In situ or "probable" disease stays at its rubric level: modifiers grade invasive disease.
  if (!invasive) return { base: effectiveBase, modifiers: mods };
  const { grade, nodes, margins } = features;
  if (grade?.level === 'high') mods.push({ rule: 'grade-high', points: 1, span: grade.span });
  if (grade?.level === 'intermediate') {
    mods.push({ rule: 'grade-intermediate', points: 0.5, span: grade.span });
  }
  if (margins?.status === 'positive')
    mods.push({ rule: 'margin-positive', points: 1, span: margins.span });
  if (margins?.status === 'close')
    mods.push({ rule: 'margin-close', points: 0.5, span: margins.span });
  if (nodes?.status === 'positive') {
    mods.push({
      rule: (nodes.count ?? 1) >= 4 ? 'nodes-positive-4+' : 'nodes-positive',
      points: (nodes.count ?? 1) >= 4 ? 1.5 : 1,
      span: nodes.span,
    });
  } else if (nodes?.status === 'micrometastasis') {
    mods.push({ rule: 'nodes-micrometastasis', points: 0.5, span: nodes.span });
  } else if (nodes?.status === 'isolated-cells') {
    mods.push({ rule: 'nodes-isolated-tumour-cells', points: 0.25, span: nodes.span });
  } else if (features.metastasis) {
    mods.push({ rule: 'metastasis', points: 1, span: features.metastasis });
  }
  if (features.lvi)
    mods.push({ rule: 'lymphovascular-invasion', points: 0.75, span: features.lvi });
  if (features.pni) mods.push({ rule: 'perineural-invasion', points: 0.25, span: features.pni });
  if (features.extent) mods.push({ rule: 'local-extension', points: 0.75, span: features.extent });
  if (features.distant)
    mods.push({ rule: 'distant-metastasis', points: 3, span: features.distant });
  return { base: effectiveBase, modifiers: mods };
}

function quoteOf(original: string, span: Span): Evidence {
  const end = Math.min(span.end, span.start + MAX_QUOTE);
  return { quote: original.slice(span.start, end), start: span.start, end };
}

const BASE_LABEL: Record<FindingClass, string> = {
  malignant: 'malignancy',
  inSitu: 'in situ / high-grade precursor',
  suspicious: 'suspicious or uncertain malignant potential',
  atypia: 'atypia',
  lesion: 'unspecified lesion',
  benign: 'benign lesion',
  normal: 'benign or normal tissue',
};

function describeBase(finding: Finding | undefined, base: number): string {
  if (finding === undefined) return 'no diagnostic statement recognised (base 1)';
  const what =
    finding.status === 'negated'
      ? `negated ${BASE_LABEL[finding.cls]}`
      : finding.status === 'uncertain'
        ? `uncertain ${BASE_LABEL[finding.cls]}`
        : finding.status === 'historical'
          ? `history of ${BASE_LABEL[finding.cls]}`
          : BASE_LABEL[finding.cls];
  return `${what} in ${finding.section} section (base ${Math.round(base * 100) / 100})`;
}

/** Full analysis, for the evaluation script and debugging; `scoreNoteLocally` is the API. */
export function analyseNote(note: unknown): LocalAnalysis {
  const text = prepareText(note);
  const empty: Features = { reassuring: [] };
  if (!/[a-z]/.test(text.work)) {
    return {
      score: 1,
      base: 1,
      modifiers: [],
      findings: [],
      features: empty,
      evidence: [],
      rationale: 'No readable text; no diagnostic statement recognised.',
    };
  }
  const sections = findSections(text);
  const findings = collectFindings(text, sections);
  const chosen = chooseBase(findings);
  const inScope = (offset: number) => sectionAt(sections, offset).weight >= DIAGNOSTIC_WEIGHT;
  const features = chosen.base >= 6 ? findFeatures(text, inScope) : empty;
  const { base, modifiers } = modifiersFor(chosen.base, features);
  const bonus = Math.min(
    3,
    modifiers.reduce((s, m) => s + m.points, 0),
  );
  const score = Math.max(1, Math.min(10, Math.round(base + bonus)));

  const evidence: Evidence[] = [];
  const seen: Span[] = [];
  const add = (span: Span, rule: string, weight: number) => {
    if (evidence.length >= MAX_EVIDENCE) return;
    if (seen.some((s) => s.start < span.end && span.start < s.end)) return;
    seen.push(span);
    evidence.push({
      ...quoteOf(text.original, span),
      rule,
      weight: Math.round(weight * 100) / 100,
    });
  };
  if (chosen.finding) add(chosen.finding.span, chosen.finding.rule, base);
  for (const m of modifiers) add(m.span, m.rule, m.points);
  for (const r of features.reassuring.slice(0, 3)) add(r.span, r.rule, 0);
  if (chosen.base < 6) {
    // For a low score, show what reassured: negated malignancy, benign findings.
    for (const f of findings) {
      if (evidence.length >= 4) break;
      if (
        f !== chosen.finding &&
        (f.status === 'negated' || f.cls === 'benign' || f.cls === 'normal')
      ) {
        if (f.weight >= DIAGNOSTIC_WEIGHT) add(f.span, f.rule, 0);
      }
    }
  }

  const parts = [describeBase(chosen.finding, chosen.base)];
  if (base !== chosen.base) parts.push(`spread beyond the primary proves invasion (base ${base})`);
  for (const m of modifiers) parts.push(`${m.rule} +${Math.round(m.points * 100) / 100}`);
  if (bonus >= 3 && modifiers.reduce((s, m) => s + m.points, 0) > 3)
    parts.push('modifiers capped at +3');
  if (text.truncated) parts.push('only the first 200,000 characters were read');
  const rationale = `${LOCAL_RULES_VERSION}: ${parts.join('; ')}; score ${score}.`;
  return {
    score,
    base,
    baseFinding: chosen.finding,
    modifiers,
    findings,
    features,
    evidence,
    rationale,
  };
}

/** Scores a note synchronously; never throws, whatever the input. */
export function scoreNoteLocally(note: unknown): NoteScore {
  let analysis: Pick<LocalAnalysis, 'score' | 'evidence' | 'rationale'>;
  try {
    analysis = analyseNote(note);
  } catch {
    // A rule bug must not poison the queue; the rationale says the rules did not run.
    analysis = {
      score: 1,
      evidence: [],
      rationale: `${LOCAL_RULES_VERSION}: analysis failed; score 1.`,
    };
  }
  return {
    malignancy_risk_score: analysis.score,
    evidence: analysis.evidence,
    rationale: analysis.rationale.slice(0, 2000),
    scorer_id: LOCAL_SCORER_ID,
    prompt_version: LOCAL_RULES_VERSION,
  };
}

/** The local scorer behind the NoteScorer port (the default with no cloud). */
export function createLocalScorer(): NoteScorer {
  return {
    id: LOCAL_SCORER_ID,
    promptVersion: LOCAL_RULES_VERSION,
    score: (note: string) => Promise.resolve(scoreNoteLocally(note)),
  };
}
