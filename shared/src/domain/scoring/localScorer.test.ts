import { NoteScoreSchema } from '../../contracts/record.ts';
import {
  analyseNote,
  createLocalScorer,
  LOCAL_RULES_VERSION,
  LOCAL_SCORER_ID,
  scoreNoteLocally,
} from './localScorer.ts';

// Every note in this file is made up. Rules added after reading a real TCGA report are tested
// here with an invented sentence of the same kind, never with the report itself.

const score = (note: string) => scoreNoteLocally(note).malignancy_risk_score;

describe('Function: scoreNoteLocally', () => {
  describe('benign notes', () => {
    it.each([
      'Benign breast tissue.',
      'Fibroadenoma.',
      'Left breast, core biopsy: fibrocystic changes. No atypia.',
      'DIAGNOSIS: Benign breast parenchyma with stromal fibrosis and apocrine metaplasia.',
      'Cytology: benign ductal epithelial cells and bipolar nuclei, consistent with fibroadenoma.',
      'Skin with no significant pathologic abnormality.',
    ])('scores a short benign note low: %s', (note) => {
      // Act
      const result = score(note);

      // Assess
      expect(result).toBeGreaterThanOrEqual(1);
      expect(result).toBeLessThanOrEqual(3);
    });

    it.each(['Negative for malignancy.', 'No evidence of carcinoma.', 'No tumour identified.'])(
      'scores an explicit negative statement 1: %s',
      (note) => {
        // Act
        const result = score(note);

        // Assess
        expect(result).toBe(1);
      },
    );

    it('does not raise the score of a benign note when negations are added', () => {
      // Prepare
      const plain = 'Breast, right, excision: fibroadenoma.';
      const withNegations = `${plain} Negative for malignancy. No evidence of carcinoma. No atypia.`;

      // Act
      const before = score(plain);
      const after = score(withNegations);

      // Assess
      expect(after).toBeLessThanOrEqual(before);
    });
  });

  describe('uncertainty', () => {
    it.each([
      'Atypical cells present, suspicious for carcinoma.',
      'Breast, core biopsy: atypical ductal proliferation; carcinoma cannot be excluded.',
      'Findings concerning for malignancy; excision recommended.',
      'Cannot rule out invasive carcinoma.',
    ])('scores a hedged statement in the middle: %s', (note) => {
      // Act
      const result = score(note);

      // Assess
      expect(result).toBeGreaterThanOrEqual(4);
      expect(result).toBeLessThanOrEqual(6);
    });

    it('scores atypia below suspicion and suspicion below a definite carcinoma', () => {
      // Act
      const atypia = score('Atypical ductal hyperplasia.');
      const suspicious = score('Suspicious for ductal carcinoma.');
      const definite = score('Invasive ductal carcinoma.');

      // Assess
      expect(atypia).toBeLessThan(suspicious);
      expect(suspicious).toBeLessThan(definite);
    });

    it('scores carcinoma in situ at 6', () => {
      // Act
      const result = score('Ductal carcinoma in situ, solid type, high nuclear grade.');

      // Assess
      expect(result).toBe(6);
    });
  });

  describe('malignant notes and prognostic features', () => {
    const base = 'Left breast, lumpectomy: invasive ductal carcinoma, 1.4 cm.';

    it('scores a low-risk invasive carcinoma 7', () => {
      // Act
      const result = score(
        `${base} Nottingham grade 1. Margins negative. Lymph nodes negative for carcinoma (0/3).`,
      );

      // Assess
      expect(result).toBe(7);
    });

    it.each([
      ['positive lymph nodes', `${base} Metastatic carcinoma in two of twelve lymph nodes (2/12).`],
      ['a positive margin', `${base} Carcinoma extends to the inked posterior margin.`],
      ['distant metastasis', `${base} Separate liver biopsy: adenocarcinoma metastatic to liver.`],
      ['high grade', `${base} Poorly differentiated, Nottingham grade 3.`],
      ['lymphovascular invasion', `${base} Lymphovascular invasion is present.`],
    ])('raises the score for %s', (_label, note) => {
      // Act
      const plain = score(base);
      const withFeature = score(note);

      // Assess
      expect(withFeature).toBeGreaterThan(plain);
    });

    it('scores metastatic high-grade carcinoma 10', () => {
      // Act
      const result = score(
        'Invasive carcinoma, grade 3, with metastatic carcinoma in 5/14 lymph nodes and lymphovascular invasion. pT3 pN2a pM1.',
      );

      // Assess
      expect(result).toBe(10);
    });

    it('does not count negated features', () => {
      // Prepare
      const note = `${base} No lymphovascular invasion. Margins free of tumour. Sentinel lymph node: no metastatic carcinoma (0/2).`;

      // Act
      const analysis = analyseNote(note);

      // Assess
      expect(analysis.score).toBe(7);
      expect(analysis.features.nodes?.status).toBe('negative');
      expect(analysis.features.margins?.status).toBe('negative');
      expect(analysis.features.lvi).toBeUndefined();
    });

    it('keeps a "triple negative" carcinoma malignant', () => {
      // Act
      const result = score('Triple negative invasive ductal carcinoma, grade 3.');

      // Assess
      expect(result).toBeGreaterThanOrEqual(8);
    });

    it('scores tumours other than carcinoma as malignant', () => {
      // Act
      const results = [
        'Glioblastoma, WHO grade 4.',
        'Diffuse large B-cell lymphoma.',
        'Prostatic adenocarcinoma, Gleason score 4 + 4 = 8.',
        'Leiomyosarcoma of the uterus.',
      ].map(score);

      // Assess
      for (const r of results) expect(r).toBeGreaterThanOrEqual(7);
    });
  });

  describe('sections', () => {
    it('lets the final diagnosis outweigh the clinical history', () => {
      // Prepare
      const note =
        'CLINICAL HISTORY:\nMammographic mass, rule out carcinoma. History of breast cancer in mother.\n\nFINAL DIAGNOSIS:\nBreast, left, core biopsy: fibroadenoma. No atypia or malignancy.';

      // Act
      const result = score(note);

      // Assess
      expect(result).toBeLessThanOrEqual(2);
    });

    it('gives a cancer mentioned only in the clinical history a middling score', () => {
      // Prepare
      const note =
        'CLINICAL HISTORY:\nKnown right breast carcinoma.\n\nGROSS DESCRIPTION:\nReceived in formalin, a fatty specimen, 5 x 4 x 2 cm.';

      // Act
      const result = score(note);

      // Assess
      expect(result).toBeGreaterThanOrEqual(3);
      expect(result).toBeLessThanOrEqual(5);
    });

    it('reads the diagnosis after a short SPECIMEN label as diagnostic text', () => {
      // Prepare
      const note =
        'SPECIMEN: RIGHT BREAST. TUMOR TYPE: INFILTRATING DUCTAL CARCINOMA NOTTINGHAM GRADE: 2';

      // Act
      const result = score(note);

      // Assess
      expect(result).toBeGreaterThanOrEqual(7);
    });

    it('treats a denial about lymph nodes as a statement about the nodes, not the lesion', () => {
      // Prepare
      const note =
        'CLINICAL HISTORY: Right breast carcinoma.\nFROZEN SECTION DIAGNOSIS: Sentinel lymph node, negative for metastatic carcinoma (0/1).';

      // Act
      const analysis = analyseNote(note);

      // Assess
      expect(analysis.baseFinding?.status).not.toBe('negated');
    });
  });

  describe('phrases seen in real reports (tested with invented sentences)', () => {
    it('reads an ICD-O morphology code with behaviour /3 as malignant', () => {
      // Act
      const result = score('Registry stamp: morphology 8520/3, site C50.4.');

      // Assess
      expect(result).toBe(7);
    });

    it('tolerates OCR confusions in key words', () => {
      // Act
      const results = [
        'Invasive ductal carclnoma.',
        'LOBULAR CARCINOM4, CLASSIC TYPE.',
        'rnalignant cells present.',
      ].map(score);

      // Assess
      for (const r of results) expect(r).toBeGreaterThanOrEqual(7);
    });

    it('reads a glial neoplasm as a glioma', () => {
      // Act
      const result = score('Cerebral cortex diffusely infiltrated by a glial neoplasm.');

      // Assess
      expect(result).toBeGreaterThanOrEqual(7);
    });

    it('reads PanIN-3 as a high-grade precursor', () => {
      // Act
      const result = score('Pancreas, distal resection: focal PanIN-3; no invasive carcinoma.');

      // Assess
      expect(result).toBe(6);
    });

    it('ignores the TCGA quality-control stamp', () => {
      // Prepare
      const note =
        'DIAGNOSIS: Benign fibroadipose tissue.\nDiagnosis Discrepancy\nPrior Malignancy History\nDual/Synchronous Primary Noted';

      // Act
      const result = score(note);

      // Assess
      expect(result).toBeLessThanOrEqual(2);
    });

    it('reads the answer of a synoptic margin question', () => {
      // Prepare
      const note =
        'INVASIVE DUCTAL CARCINOMA. SURGICAL MARGINS INVOLVED BY INVASIVE COMPONENT: No DISTANCE TO CLOSEST MARGIN: 6 mm';

      // Act
      const analysis = analyseNote(note);

      // Assess
      expect(analysis.features.margins?.status).toBe('negative');
    });

    it('reads "positive for metastasis: 0" as node negative', () => {
      // Act
      const analysis = analyseNote(
        'Invasive lobular carcinoma. LYMPH NODES POSITIVE FOR METASTASIS: 0 LYMPH NODES EXAMINED: 3',
      );

      // Assess
      expect(analysis.features.nodes?.status).toBe('negative');
    });

    it('reads "SENTINEL NODE METASTASIS: No" without a full stop as negative', () => {
      // Act
      const analysis = analyseNote(
        'Invasive ductal carcinoma. SENTINEL NODE METASTASIS: No NON-NEOPLASTIC BREAST TISSUE: unremarkable',
      );

      // Assess
      expect(analysis.features.nodes?.status).toBe('negative');
    });

    it.each([
      'Invasive carcinoma. Distant metastasis: Not applicable.',
      'Invasive carcinoma. Distant Metastasis (pM): pMX: Cannot be assessed pM1: Distant metastasis',
      'Hepatocellular carcinoma. Background liver: hepatitis, grade 1 of 4, stage 4 of 4.',
      'Renal cell carcinoma. Clinical note: history of CML.',
    ])('does not read a distant metastasis into checklist labels: %s', (note) => {
      // Act
      const analysis = analyseNote(note);

      // Assess
      expect(analysis.features.distant).toBeUndefined();
    });

    it('reads the answer after a form hint such as "(present/absent)"', () => {
      // Act
      const analysis = analyseNote(
        'Invasive carcinoma. Extracapsular extension (present/absent) : No. Dermal lymphatic invasion: Not applicable.',
      );

      // Assess
      expect(analysis.features.extent).toBeUndefined();
    });

    it('ignores an OCR check-box line that lists every answer', () => {
      // Act
      const analysis = analyseNote('Adenocarcinoma. Angiolymphatic Invasion: r No C Yes C Unknown');

      // Assess
      expect(analysis.features.lvi).toBeUndefined();
    });

    it('reads "extends to within 5 mm of the margin" as a clear margin', () => {
      // Act
      const analysis = analyseNote('Invasive carcinoma extends to within 5 mm of the deep margin.');

      // Assess
      expect(analysis.features.margins?.status).toBe('negative');
    });

    it('does not count a stain done "to exclude" metastasis as a positive node', () => {
      // Act
      const analysis = analyseNote(
        'Invasive carcinoma. Keratin stain on the sentinel lymph node to exclude metastatic carcinoma; stains are negative.',
      );

      // Assess
      expect(analysis.features.nodes?.status ?? 'negative').toBe('negative');
    });
  });

  describe('contract', () => {
    it('returns a valid NoteScore with evidence offsets into the original note', () => {
      // Prepare
      const note =
        'FINAL DIAGNOSIS:\r\nA. Breast, left:\tINVASIVE DUCTAL CARCINOMA, grade 3.\r\nB. Lymph nodes: metastatic carcinoma in 3 of 10 lymph nodes.\r\nMargins: negative.';

      // Act
      const result = scoreNoteLocally(note);

      // Assess
      expect(NoteScoreSchema.parse(result)).toEqual(result);
      expect(result.scorer_id).toBe(LOCAL_SCORER_ID);
      expect(result.prompt_version).toBe(LOCAL_RULES_VERSION);
      expect(result.evidence.length).toBeGreaterThan(0);
      for (const e of result.evidence) {
        expect(note.slice(e.start, e.end)).toBe(e.quote);
      }
    });

    it('keeps offsets valid when lower-casing would change the length', () => {
      // Prepare
      const note = 'İİİ Carcinoma present. İstanbul.';

      // Act
      const result = scoreNoteLocally(note);

      // Assess
      for (const e of result.evidence) expect(note.slice(e.start, e.end)).toBe(e.quote);
      expect(result.malignancy_risk_score).toBe(7);
    });

    it('is deterministic', () => {
      // Prepare
      const note =
        'Invasive lobular carcinoma, grade 2, with lymphovascular invasion; margins close (0.5 mm).';

      // Act
      const a = scoreNoteLocally(note);
      const b = scoreNoteLocally(note);

      // Assess
      expect(a).toEqual(b);
    });
  });

  describe('robustness', () => {
    function seededText(seed: number, length: number): string {
      let x = seed;
      let out = '';
      for (let i = 0; i < length; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        out += String.fromCharCode(x % 65536);
      }
      return out;
    }

    it.each([
      ['empty', ''],
      ['white space', ' \n\t\r '],
      ['binary garbage', seededText(7, 5000)],
      ['lone surrogates', '\ud800\udfff\ud800 carcinoma \udc00'],
      ['only punctuation', '.;:!?()[]{}'.repeat(200)],
      ['no spaces', 'carcinoma'.repeat(5000)],
    ])('never throws and returns an integer 1-10 for %s', (_label, note) => {
      // Act (analyseNote has no safety net, so a rule bug would surface here)
      expect(() => analyseNote(note)).not.toThrow();
      const result = scoreNoteLocally(note);

      // Assess
      expect(Number.isInteger(result.malignancy_risk_score)).toBe(true);
      expect(result.malignancy_risk_score).toBeGreaterThanOrEqual(1);
      expect(result.malignancy_risk_score).toBeLessThanOrEqual(10);
      expect(NoteScoreSchema.safeParse(result).success).toBe(true);
    });

    it('handles a 1 MB note quickly', () => {
      // Prepare
      const note = 'Invasive ductal carcinoma, grade 3; no lymph node metastasis (0/4). '.repeat(
        16_000,
      );

      // Act
      const started = performance.now();
      const result = scoreNoteLocally(note);
      const elapsed = performance.now() - started;

      // Assess
      expect(result.malignancy_risk_score).toBeGreaterThanOrEqual(7);
      expect(elapsed).toBeLessThan(2000);
    });

    it('treats a non-string as an empty note', () => {
      // Act
      const result = scoreNoteLocally(undefined as unknown as string);

      // Assess
      expect(result.malignancy_risk_score).toBe(1);
    });

    it('scores random fuzz without throwing', () => {
      // Prepare
      const words = [
        'no',
        'carcinoma',
        'margin',
        'positive',
        'lymph',
        'node',
        '(2/3)',
        ':',
        '.',
        'grade',
        '3',
        'pT4',
        'pM1',
        'not',
        'suspicious',
        '\n',
        'DIAGNOSIS:',
        'metastatic',
        'to',
        'liver',
      ];
      let x = 42;

      for (let n = 0; n < 300; n++) {
        let note = '';
        for (let i = 0; i < 40; i++) {
          x = (x * 1103515245 + 12345) >>> 0;
          note += `${words[x % words.length]} `;
        }

        // Act
        const result = analyseNote(note);

        // Assess
        expect(result.rationale).not.toContain('analysis failed');
        expect(result.score).toBeGreaterThanOrEqual(1);
        expect(result.score).toBeLessThanOrEqual(10);
        for (const e of result.evidence) expect(note.slice(e.start, e.end)).toBe(e.quote);
      }
    });
  });
});

describe('Function: createLocalScorer', () => {
  it('exposes the rules version and scores through the port', async () => {
    // Prepare
    const scorer = createLocalScorer();

    // Act
    const result = await scorer.score('Fibroadenoma.');

    // Assess
    expect(scorer.id).toBe(LOCAL_SCORER_ID);
    expect(scorer.promptVersion).toBe(LOCAL_RULES_VERSION);
    expect(result.malignancy_risk_score).toBe(2);
  });
});
