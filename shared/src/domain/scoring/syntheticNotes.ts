import { mulberry32 } from '../random.ts';
/**
 * Seeded generator of SYNTHETIC pathology notes for the demo hospital file (the WDBC records
 * have no text). Every note says in its first line that it is synthetic. The notes agree with
 * the diagnosis only partly - some benign cases get worrying wording, some malignant cases get
 * bland or non-diagnostic notes - so the note score helps a model without giving the label away.
 * Pure: the same seed and input always give the same note.
 */

export const SYNTHETIC_NOTE_BANNER =
  'SYNTHETIC DEMO NOTE - machine-generated for software demos; not a real patient or report.';

export type SyntheticNoteKind =
  | 'benign-bland'
  | 'benign-proliferative'
  | 'benign-worrying'
  | 'non-diagnostic'
  | 'benign-overcalled'
  | 'malignant-typical'
  | 'malignant-in-situ'
  | 'malignant-equivocal'
  | 'malignant-bland';

export interface SyntheticNoteInput {
  diagnosis: 'M' | 'B';
  seed: number;
  /**
   * 0..1, how aggressive the measurements look (e.g. the percentile of concave_points_worst):
   * drives grade and nodal status of malignant notes, so the note partly repeats the features.
   */
  severity?: number;
}

export interface SyntheticNote {
  text: string;
  kind: SyntheticNoteKind;
}

/** Share of each kind per diagnosis; the off-diagonal kinds are what keeps the label hidden. */
export const KIND_MIX: Readonly<
  Record<'M' | 'B', ReadonlyArray<readonly [SyntheticNoteKind, number]>>
> = {
  B: [
    ['benign-bland', 0.6],
    ['benign-proliferative', 0.15],
    ['benign-worrying', 0.14],
    ['non-diagnostic', 0.07],
    // Cytology over-calls a few benign lesions (a cellular fibroadenoma read as carcinoma).
    ['benign-overcalled', 0.04],
  ],
  M: [
    ['malignant-typical', 0.6],
    ['malignant-in-situ', 0.1],
    ['malignant-equivocal', 0.16],
    ['malignant-bland', 0.14],
  ],
};

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];
const chance = (rng: Rng, p: number): boolean => rng() < p;

function pickKind(rng: Rng, diagnosis: 'M' | 'B'): SyntheticNoteKind {
  const r = rng();
  let acc = 0;
  for (const [kind, share] of KIND_MIX[diagnosis]) {
    acc += share;
    if (r < acc) return kind;
  }
  return KIND_MIX[diagnosis][0][0];
}

const SIDES = ['left', 'right'];
const SITES = [
  'upper outer quadrant',
  'upper inner quadrant',
  'lower outer quadrant',
  'lower inner quadrant',
  'retroareolar region',
  "2 o'clock",
  "10 o'clock",
  "7 o'clock",
];

function history(
  rng: Rng,
  diagnosis: 'M' | 'B',
  side: string,
  site: string,
  sizeCm: string,
): string {
  const finding = pick(rng, [
    'palpable mass',
    'mammographic mass',
    'ultrasound-detected nodule',
    'new lump',
  ]);
  const question = pick(rng, [
    'Rule out carcinoma.',
    'Please evaluate.',
    'BI-RADS 4.',
    diagnosis === 'M' ? 'BI-RADS 5.' : 'BI-RADS 3, patient anxious.',
    'Family history of breast cancer.',
  ]);
  return `${sizeCm} cm ${finding}, ${side} breast, ${site}. ${question}`;
}

function specimen(rng: Rng, side: string, site: string, procedure: string): string {
  const passes = 1 + Math.floor(rng() * 3);
  return procedure === 'FNA'
    ? `Fine-needle aspiration, ${side} breast mass, ${site}, ${passes} pass${passes > 1 ? 'es' : ''}.`
    : `${procedure}, ${side} breast, ${site}.`;
}

function benignBland(rng: Rng): string {
  return pick(rng, [
    'Benign. Cohesive sheets of bland ductal epithelial cells with numerous bare bipolar nuclei, consistent with fibroadenoma. Negative for malignancy.',
    'Fibroadenoma. No atypia. No evidence of malignancy.',
    'Benign breast tissue with fibrocystic changes, including apocrine metaplasia and cyst formation. Negative for atypia and malignancy.',
    'Benign cyst contents: foamy macrophages and apocrine cells. No epithelial atypia.',
    'Benign fibroadipose breast tissue with stromal fibrosis. No tumour identified.',
    'Fat necrosis with foamy histiocytes and chronic inflammation. No evidence of carcinoma.',
    'Benign ductal epithelial cells and stromal fragments, in keeping with a fibroepithelial lesion, favour fibroadenoma.',
  ]);
}

function benignProliferative(rng: Rng): string {
  return pick(rng, [
    'Intraductal papilloma with usual ductal hyperplasia. No atypia.',
    'Proliferative fibrocystic change with sclerosing adenosis and a radial scar. No atypia identified.',
    'Atypical ductal hyperplasia, focal, in a background of fibrocystic change. Excision recommended.',
    'Columnar cell change with flat epithelial atypia. No invasive carcinoma.',
    'Cellular fibroepithelial lesion; benign phyllodes tumour cannot be distinguished from cellular fibroadenoma on this sample.',
  ]);
}

function benignWorrying(rng: Rng): string {
  return pick(rng, [
    'Atypical ductal epithelial cells, suspicious for carcinoma. Correlation with core biopsy recommended.',
    'Atypical cells present; carcinoma cannot be excluded. Recommend excisional biopsy.',
    'Markedly atypical epithelial cells with nuclear enlargement, concerning for malignancy.',
    'Cellular smears with single atypical cells; a low-grade carcinoma cannot be ruled out.',
  ]);
}

function nonDiagnostic(rng: Rng): string {
  return pick(rng, [
    'Non-diagnostic: scant cellularity, blood and fat only. Repeat sampling suggested.',
    'Insufficient for diagnosis. Few ductal cells in a bloody background; no definite atypia.',
    'Scant benign-appearing ductal cells; the sample may not be representative of the lesion. Correlate with imaging.',
  ]);
}

function benignOvercalled(rng: Rng): string {
  return pick(rng, [
    'Highly cellular smear of atypical ductal cells, favour carcinoma. Excision recommended.',
    'Positive for malignancy: discohesive atypical epithelial cells, consistent with ductal carcinoma.',
    'Malignant cells cannot be excluded; probable low-grade carcinoma.',
  ]);
}

function malignantTypical(rng: Rng, severity: number, procedure: string): string {
  // Grade rises with how aggressive the measurements look, with some noise.
  const s = Math.min(1, Math.max(0, severity + (rng() - 0.5) * 0.35));
  const grade = s > 0.7 ? 3 : s > 0.35 ? 2 : 1;
  const gradeWords = ['well differentiated', 'moderately differentiated', 'poorly differentiated'][
    grade - 1
  ];
  const type = pick(rng, [
    'invasive ductal carcinoma',
    'invasive ductal carcinoma',
    'invasive lobular carcinoma',
    'invasive carcinoma of no special type',
  ]);
  if (procedure === 'FNA') {
    return pick(rng, [
      `Positive for malignancy. Malignant epithelial cells, consistent with ductal carcinoma; ${gradeWords} nuclei.`,
      `Malignant cells present, consistent with ${type}. High cellularity with discohesive, pleomorphic cells.`,
      `Positive for carcinoma. Findings consistent with ${type}, nuclear grade ${grade}.`,
    ]);
  }
  const parts = [
    `${type.charAt(0).toUpperCase()}${type.slice(1)}, Nottingham grade ${grade} of 3 (${gradeWords}).`,
  ];
  const positiveNodes = chance(rng, 0.15 + 0.5 * s) ? 1 + Math.floor(rng() * (s > 0.7 ? 9 : 3)) : 0;
  const examined = positiveNodes + 1 + Math.floor(rng() * 12);
  parts.push(
    positiveNodes > 0
      ? `Metastatic carcinoma in ${positiveNodes} of ${examined} axillary lymph nodes (${positiveNodes}/${examined}).`
      : `Lymph nodes: negative for metastatic carcinoma (0/${examined}).`,
  );
  parts.push(
    chance(rng, 0.1 + 0.3 * s)
      ? 'Lymphovascular invasion: present.'
      : 'Lymphovascular invasion: not identified.',
  );
  const margin = rng();
  parts.push(
    margin < 0.1
      ? 'Carcinoma extends to the inked posterior margin.'
      : margin < 0.2
        ? 'Margins: close, carcinoma 0.8 mm from the anterior margin.'
        : `Margins: negative; closest margin ${2 + Math.floor(rng() * 10)} mm.`,
  );
  if (chance(rng, 0.5)) {
    parts.push(
      pick(rng, [
        'ER positive, PR positive, HER2 negative.',
        'ER positive, PR negative, HER2 positive (3+).',
        'ER negative, PR negative, HER2 negative.',
      ]),
    );
  }
  return parts.join(' ');
}

function malignantInSitu(rng: Rng): string {
  return pick(rng, [
    'Ductal carcinoma in situ, solid and cribriform types, intermediate nuclear grade, with comedonecrosis. Invasion cannot be excluded on this sample.',
    'Ductal carcinoma in situ, high nuclear grade. No invasive carcinoma identified in this core.',
    'Malignant cells present, probable carcinoma; in situ versus invasive cannot be determined on cytology.',
  ]);
}

function malignantEquivocal(rng: Rng): string {
  return pick(rng, [
    'Atypical cells, suspicious for carcinoma. Tissue sampling recommended.',
    'Atypical ductal proliferation; carcinoma cannot be excluded.',
    'Highly atypical epithelial cells, concerning for malignancy; definitive classification deferred to excision.',
    'Suspicious for malignancy. Discohesive atypical cells in a bloody background.',
  ]);
}

function malignantBland(rng: Rng): string {
  return pick(rng, [
    'Scant benign-appearing ductal cells; the sample may not be representative of the lesion. Correlate with imaging.',
    'Insufficient for diagnosis. Few ductal cells; no definite atypia.',
    'Benign ductal cells and fibrofatty tissue. No atypia seen in this sample; imaging-pathology discordance, repeat biopsy advised.',
    'Fibroepithelial fragments with mild atypia, favour fibroadenoma.',
  ]);
}

/** One synthetic note; the diagnosis decides only the mix of kinds, never the note alone. */
export function generateSyntheticNote(input: SyntheticNoteInput): SyntheticNote {
  const rng = mulberry32(input.seed);
  const severity = Math.min(1, Math.max(0, input.severity ?? 0.5));
  const kind = pickKind(rng, input.diagnosis);
  const side = pick(rng, SIDES);
  const site = pick(rng, SITES);
  const sizeCm = (input.diagnosis === 'M' ? 1.2 + rng() * 3.5 : 0.6 + rng() * 2.4).toFixed(1);
  const procedure =
    kind === 'malignant-typical' && chance(rng, 0.45)
      ? pick(rng, [
          'Lumpectomy with sentinel lymph node biopsy',
          'Partial mastectomy and axillary dissection',
        ])
      : kind === 'malignant-in-situ' || kind === 'benign-proliferative'
        ? pick(rng, ['FNA', 'Core needle biopsy'])
        : 'FNA';

  const diagnosisText = (() => {
    switch (kind) {
      case 'benign-bland':
        return benignBland(rng);
      case 'benign-proliferative':
        return benignProliferative(rng);
      case 'benign-worrying':
        return benignWorrying(rng);
      case 'non-diagnostic':
        return nonDiagnostic(rng);
      case 'benign-overcalled':
        return benignOvercalled(rng);
      case 'malignant-typical':
        return malignantTypical(rng, severity, procedure);
      case 'malignant-in-situ':
        return malignantInSitu(rng);
      case 'malignant-equivocal':
        return malignantEquivocal(rng);
      case 'malignant-bland':
        return malignantBland(rng);
    }
  })();

  const sections: Array<[string, string]> = [
    ['CLINICAL HISTORY', history(rng, input.diagnosis, side, site, sizeCm)],
    ['SPECIMEN', specimen(rng, side, site, procedure)],
    [procedure === 'FNA' ? 'CYTOLOGIC DIAGNOSIS' : 'FINAL DIAGNOSIS', diagnosisText],
  ];
  if (chance(rng, 0.4)) {
    sections.push([
      'COMMENT',
      pick(rng, [
        'Clinical and radiological correlation is recommended.',
        'Discussed at the multidisciplinary breast meeting.',
        'Slides reviewed by a second pathologist, who agrees.',
      ]),
    ]);
  }
  // Half the notes keep their line breaks (quoted CSV fields with embedded newlines), half are
  // one line, as hospital exports differ.
  const multiLine = chance(rng, 0.5);
  const body = sections
    .map(([h, t]) => (multiLine ? `${h}:\n${t}` : `${h}: ${t}`))
    .join(multiLine ? '\n' : ' ');
  return { text: `${SYNTHETIC_NOTE_BANNER}${multiLine ? '\n' : ' '}${body}`, kind };
}
