import { clauseAround, type PreparedText } from './text.ts';

/**
 * NegEx-style assertion status of a finding: is it stated, denied, hedged, or past history?
 * Triggers are looked for in the same clause only, within a few words of the finding, and a
 * termination word ("but", "however", ...) between trigger and finding cancels the trigger.
 */
export type AssertionStatus = 'affirmed' | 'negated' | 'uncertain' | 'historical' | 'ambiguous';

export interface Assertion {
  status: AssertionStatus;
  /** For `uncertain`: "probable"/"favour" (high) versus "suspicious"/"cannot exclude" (low). */
  strength?: 'high' | 'low';
  /** Offsets of the trigger phrase, when one decided the status. */
  cueStart?: number;
  cueEnd?: number;
}

const PSEUDO = String.raw`not\s+otherwise\s+specified|not\s+only|no\s+(?:further|change|increase|longer|significant\s+(?:change|interval\s+change))|gram[\s-]+negative|not\s+applicable`;

const UNCERTAIN_LOW = String.raw`(?:cannot|can\s*not|could\s+not|can't)\s+(?:be\s+)?(?:entirely\s+|completely\s+|definitively\s+|totally\s+)?(?:excluded?|ruled?\s+out)|not\s+(?:be\s+)?(?:excluded|ruled\s+out)|(?:to\s+)?rule\s+out|to\s+exclude|r\/o|possible|possibly|questionable|question\s+of|equivocal(?:\s+for)?|indeterminate(?:\s+for)?|differential\s+(?:diagnosis|diagnoses|includes)|versus|vs\.?|(?:may|might|could)\s+(?:represent|be)|(?:concerning|worrisome|worrying)\s+for|suspicious(?:\s+(?:for|of))?|suspect(?:ed)?|suspicion\s+(?:of|for)|atypical\s+cells?,?\s+(?:suspicious|concerning)`;

const UNCERTAIN_HIGH = String.raw`probable|probably|favou?r(?:ed|s)?|(?:most\s+)?likely|presumed|presumptive|suggestive\s+of|suggest(?:s|ing)`;

const NEGATION = String.raw`no(?:\s+(?:definite|definitive|convincing|unequivocal|obvious|residual|identifiable|stainable|(?:histologic(?:al)?\s+|morphologic(?:al)?\s+|microscopic\s+)?(?:evidence|signs?|features?)\s+(?:of|for)))*|negative\s+for|neg\s+for|free\s+(?:of|from)|clear\s+of|without(?:\s+evidence\s+of)?|absence\s+of|not|nor|none\s+of|lack(?:s|ing)?(?:\s+of)?|unlikely|never|fails?\s+to\s+(?:reveal|show|demonstrate)`;

const HISTORICAL = String.raw`history\s+of|hx\s+of|h\/o|previous(?:ly)?(?:\s+(?:diagnosed|treated|resected|excised))?|prior|status\s+post|s\/p|remote`;

const PRE_RE = new RegExp(
  String.raw`(?<![a-z])(?:(?<pseudo>${PSEUDO})|(?<low>${UNCERTAIN_LOW})|(?<high>${UNCERTAIN_HIGH})|(?<neg>${NEGATION})|(?<hist>${HISTORICAL}))(?![a-z])`,
  'g',
);

const TERMINATOR_RE =
  /(?<![a-z])(?:but|however|although|though|except|apart\s+from|aside\s+from|whereas|yet|which|while|nevertheless|other\s+than|positive|consistent\s+with|diagnostic\s+of)(?![a-z])/;

const POST_UNCERTAIN_RE = new RegExp(
  String.raw`^[\s:,=-]*(?:(?:cannot|can\s*not|could\s+not|can't)\s+be\s+(?:entirely\s+|completely\s+|definitively\s+)?(?:excluded|ruled\s+out)|(?:is|are)\s+(?:not\s+(?:excluded|ruled\s+out)|suspected|possible|favou?red|questionable|likely)|not\s+(?:excluded|ruled\s+out)|suspected|equivocal|indeterminate|\?)`,
);

const POST_UNKNOWN_RE =
  /^[\s:,=()#-]*(?:\(?p?m\)?\s*:?\s*)?(?:p?mx|nx|unknown|not\s+(?:applicable|assessed|specified|evaluated|determined|stated)|[nv][o0]t\s+applica\w*|cannot\s+be\s+(?:assessed|determined|evaluated)|n\/a)(?![a-z])/;

// A bare "no"/"negative"/"absent" after the finding counts only when it closes the clause
// ("LVI: absent."), so "carcinoma, no LVI" does not deny the carcinoma.
const POST_NEGATION_RE = new RegExp(
  // "SENTINEL NODE METASTASIS: No NEXT LABEL": after a colon the answer needs no full stop.
  String.raw`^\s*[:=]\s*(?:no|none|negative|absent)(?![a-z])|^[\s:,=#-]*(?:(?:is|are|was|were|has\s+been|have\s+been)\s+)?(?:not\s+(?:identified|seen|present|detected|found|demonstrated|appreciated|noted)|none\s+(?:identified|seen|present)|(?:ruled\s+out|excluded)|(?:absent|negative|none|no|0(?!\.\d|\d)|not\s+present)(?=\s*(?:[.,;)(\n\r]|$)))`,
);

const OPTION_HINT_RE = /^\s*\((?:present|absent|yes|no)\s*\/\s*(?:present|absent|yes|no)\s*\)/;

const MAX_WORDS = { neg: 6, low: 7, high: 6, hist: 5 } as const;

function wordCount(s: string): number {
  const t = s.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

/** Decides how the finding at [start, end) is asserted. */
export function assertionAt(text: PreparedText, start: number, end: number): Assertion {
  const { work } = text;
  const clause = clauseAround(text, start, end);

  // A form's option hint ("(present/absent) : No") is not the answer; skip it.
  const rawPost = work.slice(end, Math.min(clause.end, end + 72));
  const skip = OPTION_HINT_RE.exec(rawPost)?.[0].length ?? 0;
  const postStart = end + skip;
  const post = rawPost.slice(skip, skip + 48);
  // OCR'd check-box forms ("Invasion: r No C Yes C Unknown") say nothing usable.
  if (/(?<![a-z])no(?![a-z])/.test(post) && /(?<![a-z])yes(?![a-z])/.test(post)) {
    return { status: 'ambiguous' };
  }
  // "Distant metastasis: not applicable", "pMX: cannot be assessed": no answer.
  if (POST_UNKNOWN_RE.test(post)) return { status: 'ambiguous' };
  const postUncertain = POST_UNCERTAIN_RE.exec(post);
  if (postUncertain) {
    return {
      status: 'uncertain',
      strength: 'low',
      cueStart: postStart,
      cueEnd: postStart + postUncertain[0].length,
    };
  }

  const windowStart = Math.max(clause.start, start - 96);
  const pre = work.slice(windowStart, start);
  PRE_RE.lastIndex = 0;
  const triggers: Array<{ kind: 'low' | 'high' | 'neg' | 'hist'; at: number; end: number }> = [];
  for (let m = PRE_RE.exec(pre); m !== null; m = PRE_RE.exec(pre)) {
    const g = m.groups ?? {};
    if (m[0].length === 0) {
      PRE_RE.lastIndex++;
      continue;
    }
    if (g.pseudo !== undefined) continue;
    const kind =
      g.low !== undefined
        ? 'low'
        : g.high !== undefined
          ? 'high'
          : g.neg !== undefined
            ? 'neg'
            : 'hist';
    triggers.push({ kind, at: m.index, end: m.index + m[0].length });
  }
  for (let i = triggers.length - 1; i >= 0; i--) {
    const t = triggers[i];
    const between = pre.slice(t.end);
    if (TERMINATOR_RE.test(between)) break;
    if (wordCount(between) > MAX_WORDS[t.kind]) break;
    const cueStart = windowStart + t.at;
    const cueEnd = windowStart + t.end;
    if (t.kind === 'neg') return { status: 'negated', cueStart, cueEnd };
    if (t.kind === 'hist') return { status: 'historical', cueStart, cueEnd };
    return { status: 'uncertain', strength: t.kind, cueStart, cueEnd };
  }

  const postNegation = POST_NEGATION_RE.exec(post);
  if (postNegation) {
    return { status: 'negated', cueStart: postStart, cueEnd: postStart + postNegation[0].length };
  }
  return { status: 'affirmed' };
}
