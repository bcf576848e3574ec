/**
 * The clinical vocabulary of the local scorer. Patterns run on the lower-cased working text.
 * Each entry maps a phrase to a rubric level (see rubric.ts): 7 malignant, 6 in situ,
 * 5 suspicious / uncertain potential, 4 atypia, 3 unspecified lesion, 2 benign lesion,
 * 1 benign or normal tissue.
 */

export type FindingClass =
  'malignant' | 'inSitu' | 'suspicious' | 'atypia' | 'lesion' | 'benign' | 'normal';

export const CLASS_LEVEL: Readonly<Record<FindingClass, number>> = {
  malignant: 7,
  inSitu: 6,
  suspicious: 5,
  atypia: 4,
  lesion: 3,
  benign: 2,
  normal: 1,
};

export interface LexiconEntry {
  id: string;
  cls: FindingClass;
  src: string;
  /**
   * Word suffixes ("adeno|carcinoma", "leiomyo|sarcoma") are searched anywhere, as a literal,
   * which is fast; every other entry starts at a word start.
   */
  suffix?: boolean;
}

/**
 * OCR-tolerant spelling of a word: the scans confuse i/l/1, o/0, a/4 and m/rn ("carclnoma",
 * "rnalignant", "CARCINOM4"). Only these confusions, so the patterns stay cheap.
 */
export function ocr(word: string): string {
  let out = '';
  for (const c of word) {
    if (c === 'i' || c === 'l') out += '[il1|!]';
    else if (c === 'o') out += '[o0]';
    else if (c === 'm') out += '(?:m|rn)';
    else if (c === 'a') out += '[a4]';
    else out += c;
  }
  return out;
}

const E = String.raw`(?![a-z])`;
const NOT_NON = String.raw`(?<!non-?\s?)`;
const TUMOUR = String.raw`tumou?rs?`;
const IN_SITU = String.raw`(?:\s*\([a-z]+\))?,?\s*in[\s-]*situ`;

function entry(id: string, cls: FindingClass, src: string, suffix = false): LexiconEntry {
  return { id, cls, src, suffix };
}

// Patterns start at a word start (LEXICON_WORD_RE adds the anchor once) unless marked as a
// suffix; the scorer extends suffix matches back to the start of the word for the quote.
export const LEXICON: readonly LexiconEntry[] = [
  // Malignant.
  entry(
    'carcinoma',
    'malignant',
    String.raw`${NOT_NON}${ocr('carcinoma')}(?:s|tous|tosis)?${E}(?!${IN_SITU})`,
    true,
  ),
  entry('sarcoma', 'malignant', String.raw`sarcoma(?:s|tous)?${E}`, true),
  entry('lymphoma', 'malignant', String.raw`lymphomas?${E}`),
  entry('leukaemia', 'malignant', String.raw`leuka?emias?${E}`),
  entry('melanoma', 'malignant', String.raw`melanomas?${E}`, true),
  entry('mesothelioma', 'malignant', String.raw`mesotheliomas?${E}`),
  entry('myeloma', 'malignant', String.raw`myelomas?${E}`),
  entry(
    'glial',
    'malignant',
    String.raw`(?:(?:glioblastoma|gliosarcoma|astrocytoma|oligodendroglioma|oligoastrocytoma|ependymoma|glioma)s?|glial\s+(?:neoplasm|${TUMOUR}))${E}`,
  ),
  entry(
    'blastoma',
    'malignant',
    String.raw`(?:medullo|neuro|hepato|nephro|retino|pleuropulmonary\s)blastomas?${E}`,
  ),
  entry(
    'germ-cell',
    'malignant',
    String.raw`(?:seminoma|dysgerminoma|yolk\s+sac\s+${TUMOUR}|(?:malignant\s+)?germ\s+cell\s+${TUMOUR})${E}`,
  ),
  entry(
    'malignant',
    'malignant',
    String.raw`(?<!(?:uncertain|low|borderline)\s)${NOT_NON}${ocr('malignan')}(?:t|cy|cies)${E}(?!\s+potential)`,
  ),
  entry('cancer', 'malignant', String.raw`cancer(?:s|ous)?${E}`),
  entry('gleason', 'malignant', String.raw`gleason${E}`),
  entry(
    'neuroendocrine',
    'malignant',
    String.raw`(?:neuroendocrine\s+(?:carcinoma|${TUMOUR}|neoplasm)|carcinoid)${E}`,
  ),
  // ICD-O-3 morphology codes stamped on TCGA reports: behaviour /3 malignant, /2 in situ.
  entry('icd-o-malignant', 'malignant', String.raw`(?<![\d.\/])[89]\d{3}\s?\/\s?3(?![\d.\/])`),
  entry('icd-o-in-situ', 'inSitu', String.raw`(?<![\d.\/])[89]\d{3}\s?\/\s?2(?![\d.\/])`),

  // In situ / high-grade precursor.
  entry('carcinoma-in-situ', 'inSitu', String.raw`${ocr('carcinoma')}${IN_SITU}${E}`, true),
  entry('dcis-lcis', 'inSitu', String.raw`(?:dcis|lcis)${E}`),
  entry(
    'grade-3-intraepithelial',
    'inSitu',
    String.raw`(?:cin|vin|ain|pain|pin|panin)\s*-?\s*(?:3|iii)${E}`,
  ),
  entry(
    'high-grade-intraepithelial',
    'inSitu',
    String.raw`(?:high[\s-]+grade\s+(?:squamous\s+|glandular\s+)?intraepithelial\s+(?:lesion|neoplasia)|hsil|high[\s-]+grade\s+dysplasia|severe\s+dysplasia|intraepithelial\s+neoplasia,?\s*(?:grade\s*)?(?:3|iii))${E}`,
  ),
  entry('paget', 'inSitu', String.raw`paget'?s?\s+disease${E}`),

  // Suspicious / uncertain malignant potential.
  entry(
    'uncertain-potential',
    'suspicious',
    String.raw`(?:(?:uncertain|low|borderline)\s+malignant\s+potential|borderline\s+(?:${TUMOUR}|neoplasm|serous|mucinous|lesion)|neoplasm\s+of\s+uncertain|uncertain\s+behaviou?r)${E}`,
  ),
  entry('phyllodes', 'suspicious', String.raw`phyllodes(?:\s+${TUMOUR})?${E}`),
  entry('asc-h', 'suspicious', String.raw`asc-?h${E}`),
  entry('icd-o-uncertain', 'suspicious', String.raw`(?<![\d.\/])[89]\d{3}\s?\/\s?1(?![\d.\/])`),

  // Atypia and low-grade precursors.
  entry('atypia', 'atypia', String.raw`${ocr('atypi')}(?:a|as|cal|cally)${E}`),
  entry(
    'dysplasia',
    'atypia',
    String.raw`(?<!(?:high|severe)[\s-]+(?:grade\s+)?)(?:dysplasia|dysplastic)${E}`,
  ),
  entry(
    'low-grade-precursor',
    'atypia',
    String.raw`(?:lobular\s+neoplasia|adh|alh|fea|lsil|asc-?us|(?:cin|vin|ain)\s*-?\s*(?:1|2|i|ii)|low[\s-]+grade\s+(?:squamous\s+)?intraepithelial\s+(?:lesion|neoplasia))${E}`,
  ),

  // Unspecified lesion.
  entry(
    'neoplasm',
    'lesion',
    String.raw`${NOT_NON}neoplas(?:m|ms|tic|ia)${E}(?!\s+of\s+uncertain)`,
  ),
  entry(
    'tumour',
    'lesion',
    String.raw`${TUMOUR}${E}(?!\s*(?:site|size|type|focality|location|extent|summary|board|registry|bank|markers?|bed|cells?\s+are\s+negative))`,
  ),
  entry(
    'worrying-lesion',
    'lesion',
    String.raw`(?:radial\s+scar|complex\s+sclerosing\s+lesion|papillary\s+lesion|spindle\s+cell\s+lesion|non-?\s?diagnostic|insufficient\s+for\s+diagnosis)${E}`,
  ),

  // Benign lesions.
  entry(
    'benign-lesion',
    'benign',
    String.raw`(?:fibroadenoma(?:s|tous)?|fibrocystic|cysts?|(?:usual\s+|epithelial\s+|columnar\s+cell\s+|stromal\s+)?hyperplasia|(?:sclerosing\s+|blunt\s+duct\s+)?adenosis|(?:apocrine|squamous|intestinal|columnar\s+cell)\s+(?:metaplasia|change)|papillomas?|papillomatosis|adenomas?|lipomas?|hamartomas?|fat\s+necrosis|(?:chronic|acute|granulomatous)\s+inflammation|mastitis|abscess|(?:stromal\s+)?fibrosis|duct\s+ectasia|ha?emangiomas?|leiomyomas?|nev(?:us|i)|polyps?|cholecystitis|cholelithiasis|gastritis|granulomas?|reactive\s+(?:changes?|hyperplasia|lymphoid)|biopsy\s+site\s+changes?)${E}`,
  ),

  // Benign or normal tissue.
  entry(
    'benign-tissue',
    'normal',
    String.raw`(?:${ocr('benign')}|unremarkable|within\s+normal\s+limits|no\s+(?:significant\s+)?(?:pathologic(?:al)?\s+|histopathologic\s+)?(?:abnormality|abnormalities|diagnostic\s+abnormality)|normal\s+(?:[a-z]+\s+)?(?:tissue|parenchyma|mucosa))${E}`,
  ),
];

/**
 * The entries as two alternations, one capture group per entry: a single pass over the note
 * for word-start entries (the anchor lets the regex engine skip the inside of words) and one
 * for word suffixes. Where two entries could match at the same offset the earlier entry wins,
 * and a longer phrase starting earlier ("glial neoplasm", "lobular neoplasia") consumes the
 * shorter one inside it.
 */
export const LEXICON_WORD_ENTRIES = LEXICON.filter((e) => !e.suffix);
export const LEXICON_SUFFIX_ENTRIES = LEXICON.filter((e) => e.suffix);
export const LEXICON_WORD_RE = new RegExp(
  String.raw`(?<![a-z0-9])(?:` + LEXICON_WORD_ENTRIES.map((e) => `(${e.src})`).join('|') + ')',
  'g',
);
export const LEXICON_SUFFIX_RE = new RegExp(
  LEXICON_SUFFIX_ENTRIES.map((e) => `(${e.src})`).join('|'),
  'g',
);

/**
 * Form and boilerplate phrases whose words would otherwise look like findings: the TCGA
 * quality-control stamp ("Prior Malignancy History", "Diagnosis Discrepancy") and protocol
 * names ("CAP cancer protocol").
 */
export const MASK_RE = new RegExp(
  [
    String.raw`prior\s*ma\S{0,12}\s*(?:history|hist\w*)`,
    String.raw`dual\s*\/?\s*sync\w*\s*primary`,
    String.raw`diagnosis\s+discrepancy`,
    String.raw`tumou?r\s+site\s+discrepancy`,
    String.raw`hipaa\s+discrepancy`,
    String.raw`case\s+is\s+\(circle\)`,
    String.raw`cancer\s+(?:protocol|checklist|case\s+summary|staging|cent(?:er|re)|institute|registry|genome)`,
    String.raw`college\s+of\s+american\s+pathologists`,
    String.raw`tcga`,
  ].join('|'),
  'g',
);

/** Cheap test for whether MASK_RE can match at all (most notes have none of these words). */
export const MASK_HINT_RE = /prior|sync|discrepancy|circle|cancer|college|tcga/;

/** A finding preceded by "benign" ("benign phyllodes tumour") is a benign lesion. */
export const BENIGN_QUALIFIER_RE = /(?<![a-z])benign\s+(?:[a-z-]+\s+){0,2}$/;

/** "Intraductal carcinoma", "non-invasive papillary carcinoma" are in situ. */
export const IN_SITU_QUALIFIER_RE =
  /(?<![a-z])(?:non-?\s?invasive|intra-?ductal|intraepithelial)\s+(?:[a-z-]+\s+){0,3}$/;
