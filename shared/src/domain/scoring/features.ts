import { assertionAt } from './negation.ts';
import { ocr } from './lexicon.ts';
import type { PreparedText } from './text.ts';
import { clauseAround } from './text.ts';

/**
 * Prognostic features that move a malignant score up the rubric: grade, lymph nodes, margins,
 * lymphovascular / perineural invasion, local extent (pT3-4), distant metastasis.
 */

export interface Span {
  start: number;
  end: number;
}

export type GradeLevel = 'low' | 'intermediate' | 'high';

export interface NodeStatus {
  status: 'positive' | 'micrometastasis' | 'isolated-cells' | 'negative';
  /** Positive node count, when the report states it. */
  count?: number;
  span: Span;
}

export type MarginStatus = 'positive' | 'close' | 'negative';

export interface Features {
  grade?: { level: GradeLevel; span: Span };
  nodes?: NodeStatus;
  /** An affirmed metastasis not tied to lymph nodes or a distant site in the text. */
  metastasis?: Span;
  margins?: { status: MarginStatus; span: Span };
  lvi?: Span;
  pni?: Span;
  extent?: Span;
  distant?: Span;
  /** Reassuring statements seen while looking (negative nodes / margins / no LVI). */
  reassuring: Array<{ rule: string; span: Span }>;
}

type InScope = (offset: number) => boolean;

const GRADE_RANK: Record<GradeLevel, number> = { low: 1, intermediate: 2, high: 3 };

const ROMAN: Record<string, number> = { i: 1, l: 1, ii: 2, iii: 3, iv: 4, o: 0 };
function numeral(s: string): number {
  const t = s.trim();
  return ROMAN[t] ?? Number.parseInt(t, 10);
}

const WORD_NUMBERS: Record<string, number> = {
  zero: 0,
  no: 0,
  none: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
};
function toNumber(s: string): number {
  return WORD_NUMBERS[s] ?? Number.parseInt(s, 10);
}

// --- grade -----------------------------------------------------------------------------

const GRADE_RES: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => GradeLevel | undefined]> =
  [
    [
      /(?<![a-z])grade\s*group\s*[:=-]?\s*([1-5])(?![\d])/g,
      (m) => (Number(m[1]) >= 4 ? 'high' : Number(m[1]) >= 2 ? 'intermediate' : 'low'),
    ],
    [
      /(?<![a-z])grade\s*[:=-]?\s*(?:is\s+)?(?:g\s?)?(iv|iii|ii|i|[1-4]|l)(?![a-z0-9])(?:\s*(?:\/|of|out\s+of)\s*(iv|iii|[34]))?/g,
      (m) => {
        const g = numeral(m[1]);
        const of = m[2] === undefined ? 3 : numeral(m[2]);
        if (g >= 3) return 'high';
        // Grade 2 is intermediate on both three- and four-tier scales.
        if (g === 2) return 'intermediate';
        return g === 1 && of >= 3 ? 'low' : undefined;
      },
    ],
    [
      /(?<![a-z])(high|intermediate|low)[\s-]+(?:nuclear\s+|histologic(?:al)?\s+)?grade(?![a-z])/g,
      (m) => (m[1] === 'high' ? 'high' : m[1] === 'low' ? 'low' : 'intermediate'),
    ],
    [
      /(?<![a-z])grade\s*[:=-]\s*(high|intermediate|low)(?![a-z])/g,
      (m) => (m[1] === 'high' ? 'high' : m[1] === 'low' ? 'low' : 'intermediate'),
    ],
    [
      /(?<![a-z])(poorly|moderately|well)(?:\s*(?:to|-)\s*(poorly|moderately))?[\s-]*differentiated|(?<![a-z])(undifferentiated|anaplastic)(?![a-z])/g,
      (m) => {
        if (m[3] !== undefined || m[1] === 'poorly' || m[2] === 'poorly') return 'high';
        return m[1] === 'moderately' ? 'intermediate' : 'low';
      },
    ],
    [
      /(?<![a-z])gleason[^.;]{0,60}?(\d)\s*\+\s*(\d)/g,
      (m) => {
        const sum = Number(m[1]) + Number(m[2]);
        return sum >= 8 ? 'high' : sum === 7 ? 'intermediate' : 'low';
      },
    ],
    [
      /(?<![a-z])gleason[\s\S]{0,120}?score\s*[-:=]?\s*(\d{1,2})(?![\d.])/g,
      (m) => {
        const s = Number(m[1]);
        if (s < 2 || s > 10) return undefined;
        return s >= 8 ? 'high' : s === 7 ? 'intermediate' : 'low';
      },
    ],
  ];

function findGrade(text: PreparedText, inScope: InScope): Features['grade'] {
  let best: Features['grade'];
  const w = text.work;
  // Cheap substring tests skip whole scans on the many notes without these words.
  if (
    !w.includes('grade') &&
    !w.includes('differentiated') &&
    !w.includes('anaplastic') &&
    !w.includes('gleason')
  ) {
    return undefined;
  }
  for (const [re, classify] of GRADE_RES) {
    re.lastIndex = 0;
    for (let m = re.exec(text.work); m !== null; m = re.exec(text.work)) {
      if (!inScope(m.index)) continue;
      // "high-grade dysplasia" is a precursor, not the grade of a carcinoma.
      if (
        /^\s*(?:dysplasia|squamous|intraepithelial|glandular)/.test(
          text.work.slice(m.index + m[0].length, m.index + m[0].length + 20),
        )
      )
        continue;
      const level = classify(m);
      if (level === undefined) continue;
      const status = assertionAt(text, m.index, m.index + m[0].length).status;
      if (status === 'negated' || status === 'ambiguous' || status === 'historical') continue;
      if (best === undefined || GRADE_RANK[level] > GRADE_RANK[best.level]) {
        best = { level, span: { start: m.index, end: m.index + m[0].length } };
      }
    }
  }
  return best;
}

// --- TNM -------------------------------------------------------------------------------

interface Tnm {
  t?: { value: number; span: Span };
  n?: { value: number; suffix: string; span: Span };
  m?: { value: number; span: Span };
}

// pT / pN / pM codes in one pass (the letter says which).
const P_CODE_RE =
  /(?<![a-z])[yr]?p\s?([tnm])\s?([0-4]|is|x|l|o)(mi|\s?\(\s?i\s?[+-]\s?\)|\s?\(sn?\)|[abcd])?(?![a-z0-9])/g;
// Bare "T2 N1 M0" strings: N and M only count right after a T stage.
const TNM_RE =
  /(?<![a-z])[yr]?p?t([0-4]|is|x)([abcd])?\s*[,/]?\s*(?:\([a-z]+\)\s*)?n([0-3]|x|o)(mi|[abc])?(?:\s*[,/]?\s*m([01]|x|o)([abc])?)?(?![a-z0-9])/g;

function tnmValue(s: string): number {
  if (s === 'x' || s === 'is') return -1;
  return numeral(s);
}

function findTnm(text: PreparedText, inScope: InScope): Tnm {
  const out: Tnm = {};
  const w = text.work;
  const take = (re: RegExp, fn: (m: RegExpExecArray) => void) => {
    re.lastIndex = 0;
    for (let m = re.exec(w); m !== null; m = re.exec(w)) if (inScope(m.index)) fn(m);
  };
  const span = (m: RegExpExecArray): Span => ({ start: m.index, end: m.index + m[0].length });
  take(P_CODE_RE, (m) => {
    const v = tnmValue(m[2]);
    if (v < 0) return;
    const suffix = (m[3] ?? '').replace(/\s/g, '');
    if (m[1] === 't') {
      if (out.t === undefined || v > out.t.value) out.t = { value: v, span: span(m) };
    } else if (m[1] === 'n') {
      if (v <= 3 && (out.n === undefined || v > out.n.value))
        out.n = { value: v, suffix, span: span(m) };
    } else {
      // Checklists define every option ("pM1: Distant metastasis"): a code followed by a
      // colon is a label, not the answer. Bare "m1" never counts (antibody clones, units).
      if (v > 1 || /^\s*:/.test(w.slice(m.index + m[0].length, m.index + m[0].length + 4))) return;
      if (out.m === undefined || v > out.m.value) out.m = { value: v, span: span(m) };
    }
  });
  take(TNM_RE, (m) => {
    const t = tnmValue(m[1]);
    const n = tnmValue(m[3]);
    if (t >= 0 && (out.t === undefined || t > out.t.value)) out.t = { value: t, span: span(m) };
    if (n >= 0 && (out.n === undefined || n > out.n.value)) {
      out.n = { value: n, suffix: m[4] ?? '', span: span(m) };
    }
    if (m[5] !== undefined) {
      const mv = tnmValue(m[5]);
      if (mv >= 0 && (out.m === undefined || mv > out.m.value))
        out.m = { value: mv, span: span(m) };
    }
  });
  return out;
}

// --- lymph nodes and margins: the status word nearest to the mention ----------------------

/**
 * The text a node or margin mention governs: the rest of its clause (a header such as
 * "Lymph nodes:" at a line end continues on the next lines) and a little of what precedes it.
 */
function mentionContext(
  text: PreparedText,
  at: number,
  end: number,
): { before: Span; after: Span } {
  const w = text.work;
  const clause = clauseAround(text, at, end);
  let afterEnd = clause.end;
  for (let k = 0; k < 3 && afterEnd < w.length; k++) {
    const rest = w.slice(end, afterEnd);
    const isHeader =
      /^[\s:#-]*$/.test(rest) &&
      (rest.includes(':') || w[afterEnd] === '\n' || w[afterEnd] === '\r');
    if (!isHeader) break;
    afterEnd = clauseAround(text, afterEnd + 1, afterEnd + 2).end;
  }
  return {
    before: { start: Math.max(clause.start, at - 50), end: at },
    after: { start: end, end: Math.min(afterEnd, end + 120) },
  };
}

interface Cue {
  kind: string;
  start: number;
  end: number;
  match: RegExpExecArray;
}

/**
 * The first cue after the mention, else the last one before it. Cue kinds listed in `first`
 * (counts such as "(0/3)") win over word cues in the same window.
 */
function nearestCue(
  text: PreparedText,
  ctx: { before: Span; after: Span },
  re: RegExp,
  first: readonly string[] = [],
): Cue | undefined {
  const scan = (span: Span, last: boolean): Cue | undefined => {
    const slice = text.work.slice(span.start, span.end);
    re.lastIndex = 0;
    let found: Cue | undefined;
    let preferred: Cue | undefined;
    for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const groups = m.groups ?? {};
      const kind = Object.keys(groups).find((k) => groups[k] !== undefined) ?? '';
      const cue = {
        kind,
        start: span.start + m.index,
        end: span.start + m.index + m[0].length,
        match: m,
      };
      if (first.includes(kind) && (preferred === undefined || last)) preferred = cue;
      if (found === undefined || last) found = cue;
    }
    return preferred ?? found;
  };
  return scan(ctx.after, false) ?? scan(ctx.before, true);
}

const NODE_MENTION_RE =
  /lymph[\s-]*nod\w*|(?<![a-z])(?:nod(?:e|es|al)|l\.?\s?n\.?'?s|sentinel|axillary\s+(?:content|contents|dissection))(?![a-z])/g;
const NUM = String.raw`(\d{1,3}|${Object.keys(WORD_NUMBERS).join('|')})`;
const NODE_CUE_RE = new RegExp(
  [
    // "(2/15)", "2/15", "two of fifteen", "9 OF 12 POSITIVE".
    String.raw`(?<ratio>\(\s*(\d{1,2})\s*\/\s*(\d{1,3})\s*\)|(?<![\d.\/])(\d{1,2})\s*\/\s*(\d{1,3})(?![\d.\/%])|(?<![a-z\d])${NUM}\s+(?:\([^)]{0,12}\)\s+)?(?:out\s+)?of\s+${NUM}(?![a-z\d]))`,
    // "positive for metastasis: 0", "# Positive - 0", "Number involved: 3", "with metastasis: 0".
    String.raw`(?<count>(?<![a-z])(?:positive|involved|metastatic|metastasized|with\s+metastas[ie]s)(?:\s+for\s+(?:metasta\w*|carcinoma|tumou?r|malignancy))?\s*(?:lymph\s+)?(?:nodes?)?\s*[:#=-]+\s*${NUM}(?![\d.\/%a-z]))`,
    String.raw`(?<micro>(?<![a-z])(?:micrometasta\w*|isolated\s+tumou?r\s+cells|itcs?)(?![a-z]))`,
    String.raw`(?<pos>(?<![a-z])(?:metasta\w*|positive|involved|involvement|deposits?|(?:carcinoma|tumou?r|malignancy)\s+(?:in|involving)\s+(?:\w+\s+){0,3}(?:lymph\s+)?nodes?)(?![a-z]))`,
    String.raw`(?<neg>(?<![a-z])(?:negative|benign|free\s+of|uninvolved|unremarkable|reactive|no\s+(?:tumou?r|carcinoma|malignancy|metasta\w*))(?![a-z]))`,
  ].join('|'),
  'g',
);

function findNodes(
  text: PreparedText,
  inScope: InScope,
  tnm: Tnm,
  reassuring: Features['reassuring'],
): NodeStatus | undefined {
  const w = text.work;
  let best: NodeStatus | undefined;
  const rank = (s: NodeStatus) =>
    s.status === 'positive'
      ? 3 + Math.min(s.count ?? 1, 99) / 100
      : s.status === 'micrometastasis'
        ? 2
        : s.status === 'isolated-cells'
          ? 1
          : 0;
  const offer = (s: NodeStatus) => {
    if (s.status === 'negative') reassuring.push({ rule: 'nodes-negative', span: s.span });
    if (best === undefined || rank(s) > rank(best)) best = s;
  };
  NODE_MENTION_RE.lastIndex = 0;
  let covered = -1;
  for (let m = NODE_MENTION_RE.exec(w); m !== null; m = NODE_MENTION_RE.exec(w)) {
    // "Sentinel lymph node": the second mention reads the same words as the first.
    if (!inScope(m.index) || m.index < covered) continue;
    const ctx = mentionContext(text, m.index, m.index + m[0].length);
    const cue = nearestCue(text, ctx, NODE_CUE_RE, ['ratio', 'count']);
    if (cue === undefined) continue;
    if (cue.start >= ctx.after.start) covered = cue.end;
    const span = { start: cue.start, end: cue.end };
    const g = cue.match;
    if (cue.kind === 'ratio' || cue.kind === 'count') {
      const nums = g.slice(1).filter((x) => x !== undefined && x !== '' && /^\w+$/.test(x));
      const positive = toNumber(nums[0]);
      const total = cue.kind === 'ratio' ? toNumber(nums[1]) : undefined;
      if (!Number.isFinite(positive)) continue;
      if (
        total !== undefined &&
        (!Number.isFinite(total) || total === 0 || positive > total || total > 120)
      )
        continue;
      offer(
        positive > 0 ? { status: 'positive', count: positive, span } : { status: 'negative', span },
      );
      continue;
    }
    const a = assertionAt(text, cue.start, cue.end);
    if (a.status === 'ambiguous' || a.status === 'uncertain' || a.status === 'historical') continue;
    const negated = a.status === 'negated';
    if (cue.kind === 'neg' || negated) {
      offer({
        status: 'negative',
        span: negated ? { start: a.cueStart ?? cue.start, end: cue.end } : span,
      });
    } else if (cue.kind === 'micro') {
      offer({
        status: /^(?:isolated|itc)/.test(g[0]) ? 'isolated-cells' : 'micrometastasis',
        span,
      });
    } else {
      offer({ status: 'positive', span });
    }
  }
  if (tnm.n !== undefined) {
    const { value, suffix, span } = tnm.n;
    if (value >= 1) {
      offer(
        suffix === 'mi'
          ? { status: 'micrometastasis', span }
          : { status: 'positive', count: value >= 2 ? 4 : 1, span },
      );
    } else if (suffix.includes('i+')) offer({ status: 'isolated-cells', span });
    else offer({ status: 'negative', span });
  }
  return best;
}

const MARGIN_RE = new RegExp(String.raw`(?<![a-z])${ocr('margin')}s?(?![a-z])`, 'g');
const MARGIN_CUE_RE = new RegExp(
  [
    // Synoptic question "Margins involved by invasive component: No" - the answer decides.
    String.raw`(?<question>involved\s+by\s+(?:[^:.;\n]{0,30}?\s)?(?:component|carcinoma|tumou?r)s?\s*[:.]?\s*(yes|no|present|absent|positive|negative|not\s+identified)?(?![a-z]))`,
    String.raw`(?<pos>(?<![a-z])(?:positive|involved|involving|transected|(?:extends?|extending|extension)\s+to(?!\s+within)|present\s+at|abut(?:s|ting)?|touch(?:es|ing)?|margins?\s+involvement)(?![a-z]))`,
    String.raw`(?<neg>(?<![a-z])(?:negative|free|clear|uninvolved|unremarkable|absent|not\s+involved|no\s+(?:tumou?r|carcinoma|malignancy|invasive|dcis))(?![a-z]))`,
    String.raw`(?<close>(?<![a-z])close(?![a-z]))`,
    String.raw`(?<dist>(?<![\d.])(\d{0,2}\.?\d+)\s*(mm|cm)(?![a-z]))`,
  ].join('|'),
  'g',
);

function findMargins(
  text: PreparedText,
  inScope: InScope,
  reassuring: Features['reassuring'],
): Features['margins'] {
  const w = text.work;
  const found: Partial<Record<MarginStatus, Span>> = {};
  const set = (status: MarginStatus, span: Span) => {
    found[status] ??= span;
  };
  MARGIN_RE.lastIndex = 0;
  for (let m = MARGIN_RE.exec(w); m !== null; m = MARGIN_RE.exec(w)) {
    if (!inScope(m.index)) continue;
    const ctx = mentionContext(text, m.index, m.index + m[0].length);
    const cue = nearestCue(text, ctx, MARGIN_CUE_RE);
    if (cue === undefined) continue;
    const span = {
      start: Math.min(cue.start, m.index),
      end: Math.max(cue.end, m.index + m[0].length),
    };
    switch (cue.kind) {
      case 'question': {
        const answer = /(yes|no|present|absent|positive|negative|not\s+identified)$/.exec(
          cue.match[0],
        )?.[1];
        if (answer !== undefined) {
          set(/^(?:yes|present|positive)$/.test(answer) ? 'positive' : 'negative', span);
          break;
        }
        // A label with its answer lost to the OCR says nothing; prose "involved by carcinoma" does.
        if (/[:.]\s*$/.test(cue.match[0])) break;
        const a = assertionAt(text, cue.start, cue.end);
        if (a.status === 'affirmed') set('positive', span);
        else if (a.status === 'negated') set('negative', span);
        break;
      }
      case 'pos': {
        const a = assertionAt(text, cue.start, cue.end);
        if (a.status === 'affirmed') set('positive', span);
        else if (a.status === 'negated') set('negative', span);
        break;
      }
      case 'neg':
        set('negative', span);
        break;
      case 'close':
        set('close', span);
        break;
      case 'dist': {
        const numbers = cue.match.slice(1).filter((x) => x !== undefined);
        const value = Number.parseFloat(numbers[numbers.length - 2] ?? '');
        const unit = numbers[numbers.length - 1];
        if (!Number.isFinite(value)) break;
        const mm = value * (unit === 'cm' ? 10 : 1);
        set(mm === 0 ? 'positive' : mm <= 1 ? 'close' : 'negative', span);
        break;
      }
    }
  }
  if (found.positive) return { status: 'positive', span: found.positive };
  if (found.close) return { status: 'close', span: found.close };
  if (found.negative) {
    reassuring.push({ rule: 'margins-negative', span: found.negative });
    return { status: 'negative', span: found.negative };
  }
  return undefined;
}

// --- invasion, extent, metastasis --------------------------------------------------------

const LVI_RE =
  /(?<![a-z])(?:lympho?[\s-]*vascular|angio[\s-]*lymphatic|lymph[\s-]*vascular|(?:vascular|venous)\s*\/\s*lymphatic|lymphatic\s*\/\s*vascular|lymphatic|vascular|venous|(?:small\s+)?vessel)\s*(?:space\s*)?(?:tumou?r\s*)?(?:invasion|involvement|permeation|emboli|infiltration)(?![a-z])|(?<![a-z])(?:lvi|lvsi)(?![a-z])/g;
const LVI_CODE_RE = /(?<![a-z])p([lv])\s?([01o])(?![a-z0-9])/g;
const PNI_RE =
  /(?<![a-z])(?:perineural\s+(?:invasion|extension|involvement|infiltration|spread)|pni)(?![a-z])/g;
const EXTENT_RE =
  /(?<![a-z])(?:extra-?\s?(?:prostatic|capsular|thyroidal|vesical|renal|nodal|hepatic)\s+(?:extension|spread|invasion)|seminal\s+vesicle\s+(?:invasion|involvement)|(?:renal|portal|hepatic)\s+vein\s+(?:invasion|involvement)|skin\s+ulceration|dermal\s+lymphatic(?:\s+invasion)?|(?:invad\w*|invasion\s+(?:of|into)|extends?\s+(?:into|through)|extension\s+into)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}(?:perinephric|perirenal|perivesical|pericolic|pericolorectal|serosa\w*|adventitia|chest\s+wall|skin|visceral\s+pleura|renal\s+vein|vena\s+cava|adjacent\s+organs?))(?![a-z])/g;
const DISTANT_RE = new RegExp(
  [
    // A synoptic "Distant metastasis:" label counts only with a positive answer.
    String.raw`distant\s+metasta\w*\s*(?:\(\s*p?m\s*\)\s*)?[:-]?\s*(?:present|identified|yes|p?m1[abc]?)`,
    String.raw`(?:with|evidence\s+of|has|multiple)\s+distant\s+metasta\w*`,
    String.raw`metasta\w*\s+(?:\w+\s+){0,2}(?:to|in|involving|within)\s+(?:the\s+)?(?:[a-z]+\s+)?(?:liver|lungs?|bones?|brain|adrenals?|peritoneum|omentum|pleura|spine|vertebra\w*|distant\s+sites?)`,
    String.raw`stage\s*(?:group(?:ing)?\s*)?[:=-]?\s*(?:iv|4)[abc]?(?![a-z0-9])(?!\s*(?:of|\/)\s*4)`,
  ]
    .map((src) => `(?<![a-z])(?:${src})(?![a-z])`)
    .join('|'),
  'g',
);
const METASTASIS_RE = /(?<![a-z])metasta(?:sis|ses|tic|sized|sizing)(?![a-z])/g;

function firstAffirmed(
  text: PreparedText,
  re: RegExp,
  inScope: InScope,
  reassuring?: { rule: string; list: Features['reassuring'] },
): Span | undefined {
  re.lastIndex = 0;
  let negated: Span | undefined;
  for (let m = re.exec(text.work); m !== null; m = re.exec(text.work)) {
    if (!inScope(m.index)) continue;
    const start = m.index;
    const end = start + m[0].length;
    const a = assertionAt(text, start, end);
    if (a.status === 'affirmed') return { start, end };
    if (a.status === 'negated')
      negated ??= {
        start: Math.min(start, a.cueStart ?? start),
        end: Math.max(end, a.cueEnd ?? end),
      };
  }
  if (negated && reassuring) reassuring.list.push({ rule: reassuring.rule, span: negated });
  return undefined;
}

function findLviCode(text: PreparedText, inScope: InScope): Span | undefined {
  LVI_CODE_RE.lastIndex = 0;
  for (let m = LVI_CODE_RE.exec(text.work); m !== null; m = LVI_CODE_RE.exec(text.work)) {
    // Only with the p prefix of a TNM string ("pT1c, G1, pL0, pV0, pN0"), never a bare "l1".
    if (!inScope(m.index)) continue;
    if (m[2] === '1') return { start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

function nearNodes(text: PreparedText, span: Span): boolean {
  const clause = clauseAround(text, span.start, span.end);
  const s = text.work.slice(
    Math.max(clause.start, span.start - 80),
    Math.min(clause.end, span.end + 80),
  );
  return /lymph|(?<![a-z])(?:nod(?:e|es|al)|sentinel)(?![a-z])|\(\s*\d{1,2}\s*\/\s*\d{1,3}\s*\)/.test(
    s,
  );
}

/** Reads every prognostic feature from the diagnostic sections of the report. */
export function findFeatures(text: PreparedText, inScope: InScope): Features {
  const reassuring: Features['reassuring'] = [];
  const w = text.work;
  const has = (...words: string[]) => words.some((x) => w.includes(x));
  const tnm = findTnm(text, inScope);
  const features: Features = { reassuring };
  features.grade = findGrade(text, inScope);
  features.nodes = findNodes(text, inScope, tnm, reassuring);
  features.margins = findMargins(text, inScope, reassuring);
  features.lvi = has('vascular', 'lymphatic', 'venous', 'vessel', 'lvi', 'lvsi')
    ? firstAffirmed(text, LVI_RE, inScope, { rule: 'no-lymphovascular-invasion', list: reassuring })
    : undefined;
  features.lvi ??= findLviCode(text, inScope);
  features.pni = has('perineural', 'pni') ? firstAffirmed(text, PNI_RE, inScope) : undefined;
  features.extent = has('extension', 'vein', 'invad', 'invasion', 'extends', 'ulceration', 'dermal')
    ? firstAffirmed(text, EXTENT_RE, inScope)
    : undefined;
  if (features.extent === undefined && tnm.t && tnm.t.value >= 3) features.extent = tnm.t.span;
  features.distant = has('metasta', 'stage') ? firstAffirmed(text, DISTANT_RE, inScope) : undefined;
  if (features.distant === undefined && tnm.m && tnm.m.value >= 1) features.distant = tnm.m.span;
  if (
    has('metasta') &&
    features.distant === undefined &&
    (features.nodes === undefined || features.nodes.status === 'negative')
  ) {
    METASTASIS_RE.lastIndex = 0;
    for (let m = METASTASIS_RE.exec(text.work); m !== null; m = METASTASIS_RE.exec(text.work)) {
      if (!inScope(m.index)) continue;
      const span = { start: m.index, end: m.index + m[0].length };
      if (nearNodes(text, span)) continue;
      if (assertionAt(text, span.start, span.end).status === 'affirmed') {
        features.metastasis = span;
        break;
      }
    }
  }
  return features;
}
