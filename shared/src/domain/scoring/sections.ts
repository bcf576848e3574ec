import type { PreparedText } from './text.ts';

/**
 * Report sections. What the final diagnosis says outweighs what the clinical history or the
 * gross description says: "r/o carcinoma" in the history is a question, not a finding.
 */
export type SectionKind =
  | 'diagnosis'
  | 'synoptic'
  | 'addendum'
  | 'comment'
  | 'microscopic'
  | 'unlabelled'
  | 'frozen'
  | 'specimen'
  | 'gross'
  | 'clinical';

export const SECTION_WEIGHT: Readonly<Record<SectionKind, number>> = {
  diagnosis: 1,
  synoptic: 1,
  addendum: 0.9,
  comment: 0.85,
  microscopic: 0.8,
  // Text before any recognised header: in OCR'd reports this is often the diagnosis itself.
  unlabelled: 0.8,
  frozen: 0.8,
  specimen: 0.5,
  gross: 0.4,
  clinical: 0.5,
};

/** Sections at or above this weight are "diagnostic": they decide the base score on their own. */
export const DIAGNOSTIC_WEIGHT = 0.8;

export interface Section {
  kind: SectionKind;
  start: number;
  end: number;
  weight: number;
}

// Order matters only for alternatives starting at the same offset (leftmost-first).
const HEADER_ALTERNATIVES: ReadonlyArray<readonly [SectionKind, string]> = [
  [
    'clinical',
    String.raw`(?:pre|post)?-?\s?op(?:erative)?\s+diagnos[ie]s|clinical\s+diagnos[ie]s(?:\s*(?:and|&)\s*history)?|clinical\s+(?:history|information|info|data|details|notes?|indications?|summary|findings)|clinica\w*\s+\w*formation\w*|(?:patient\s+)?history|indications?(?:\s+for\s+(?:procedure|surgery))?|reason\s+for\s+(?:exam|referral|biopsy)`,
  ],
  [
    'frozen',
    String.raw`(?:frozen\s+section|intra-?\s?operative)(?:\s+(?:diagnos[ie]s|consultation|findings|report))?`,
  ],
  [
    'diagnosis',
    String.raw`(?:(?:final|surgical|permanent|pathologic(?:al)?|anatomic(?:al)?|cytologic(?:al)?|microscopic|histologic(?:al)?|additional|patho\w*)\s+)*(?:diagnos(?:is|es|e|\w?)(?:\s+details)?|pathologic\s+findings)|interpretation|impression|conclusions?`,
  ],
  [
    'synoptic',
    String.raw`synoptic(?:\s+report)?|(?:case\s+)?synopsis|cancer\s+(?:case\s+)?summary|tumou?r\s+summary|summary|checklist|histologic(?:al)?\s+(?:type|grade)|tumou?r\s+type|nuclear\s+grade|(?:tnm|pathologic(?:al)?)\s+stag(?:e|ing)|(?:surgical\s+)?margin\s+status|lymph\s+node\s+status`,
  ],
  ['addendum', String.raw`addend(?:um|a)|procedures\s*\/\s*addenda`],
  ['comment', String.raw`comments?|note`],
  [
    'microscopic',
    String.raw`(?:light\s+)?microscop(?:ic|y)(?:\s+(?:descr\w*|exam\w*|findings))?(?:\s+and\s+comment)?`,
  ],
  [
    'gross',
    String.raw`gross(?:\s+(?:descriptions?|examination|exam|findings))?|macroscop(?:ic|y)(?:\s+description)?|block\s+summary`,
  ],
  [
    'specimen',
    String.raw`specimens?(?:\s+(?:submitted|received|source|description))?|source\s+of\s+specimen|tissue\s+submitted`,
  ],
];

const KINDS = HEADER_ALTERNATIVES.map(([k]) => k);
const HEADER_RE = new RegExp(
  String.raw`\b(?:` + HEADER_ALTERNATIVES.map(([, src]) => `(${src})`).join('|') + String.raw`)\b`,
  'g',
);

/** Colon-like marks the OCR leaves after a header ("Diagnos!" is "Diagnosis:"). */
const AFTER_COLON = /^\s{0,2}[:!;]/;
const AFTER_OWN_LINE = /^\s*[:.-]?[ \t]*(?:\r?\n|$)/;

const LINE_PREFIX = /^[ \t]*(?:(?:[a-z]{1,2}|\d{1,3}|[ivx]{1,4})[.):-]?[ \t]*)?$/;

/** True when only an enumerator ("2.", "A.", "IV)") and spaces precede `at` on its line. */
function isLineStart(work: string, at: number): boolean {
  const from = Math.max(0, at - 12);
  const window = work.slice(from, at);
  const nl = Math.max(window.lastIndexOf('\n'), window.lastIndexOf('\r'));
  if (nl < 0 && from > 0) return false;
  return LINE_PREFIX.test(window.slice(nl + 1));
}

function isSentenceStart(work: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (work[i] === ' ' || work[i] === '\t')) i--;
  return i < 0 || /[\n\r.;:)>"*]/.test(work[i]);
}

function hasNoLowercase(original: string, start: number, end: number): boolean {
  return !/[a-z]/.test(original.slice(start, end));
}

/** Finds section headers and returns contiguous sections covering the whole text. */
export function findSections(text: PreparedText): Section[] {
  const { work, original } = text;
  const headers: Array<{ kind: SectionKind; start: number; bodyStart: number }> = [];
  HEADER_RE.lastIndex = 0;
  for (let m = HEADER_RE.exec(work); m !== null; m = HEADER_RE.exec(work)) {
    const groupIndex = m.findIndex((g, i) => i > 0 && g !== undefined);
    const kind = KINDS[groupIndex - 1];
    const start = m.index;
    const end = start + m[0].length;
    const rest = work.slice(end, end + 40);
    const lineStart = isLineStart(work, start);
    const ownLine = lineStart && AFTER_OWN_LINE.test(rest);
    const colon = AFTER_COLON.test(rest);
    const upper = hasNoLowercase(original, start, end);
    // Multi-word upper-case headers survive OCR without their colon ("GROSS DESCRIPTION A.").
    let accepted = ownLine || (upper && kind !== 'specimen' && /\s/.test(m[0]));
    if (!accepted && colon) {
      // Title-case "Specimen:" inside a synoptic list is a key, not a new section.
      accepted =
        kind === 'specimen'
          ? upper || start === 0
          : upper || lineStart || isSentenceStart(work, start);
    }
    if (!accepted) continue;
    const colonMatch = /^\s{0,2}[:!;]/.exec(rest);
    headers.push({ kind, start, bodyStart: end + (colonMatch ? colonMatch[0].length : 0) });
  }
  const sections: Section[] = [];
  const firstStart = headers.length > 0 ? headers[0].start : work.length;
  if (firstStart > 0 || headers.length === 0) {
    sections.push({
      kind: 'unlabelled',
      start: 0,
      end: firstStart,
      weight: SECTION_WEIGHT.unlabelled,
    });
  }
  headers.forEach((h, i) => {
    const end = i + 1 < headers.length ? headers[i + 1].start : work.length;
    if (h.kind === 'specimen') {
      // "SPECIMEN: right breast" labels one line; what follows is read as unlabelled text.
      const stop = firstClauseEnd(text, h.bodyStart, Math.min(end, h.bodyStart + 80));
      sections.push({ kind: h.kind, start: h.start, end: stop, weight: SECTION_WEIGHT[h.kind] });
      if (stop < end) {
        sections.push({ kind: 'unlabelled', start: stop, end, weight: SECTION_WEIGHT.unlabelled });
      }
      return;
    }
    sections.push({ kind: h.kind, start: h.start, end, weight: SECTION_WEIGHT[h.kind] });
  });
  return sections;
}

function firstClauseEnd(text: PreparedText, from: number, limit: number): number {
  for (const b of text.bounds) {
    // Skip empty clauses ("SPECIMEN:\n  A. ...").
    if (b > from && text.work.slice(from, b).trim().length > 2) return Math.min(b, limit);
  }
  return limit;
}

/** The section holding an offset (binary search over contiguous sections). */
export function sectionAt(sections: readonly Section[], offset: number): Section {
  let lo = 0;
  let hi = sections.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (sections[mid].start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return sections[lo];
}
