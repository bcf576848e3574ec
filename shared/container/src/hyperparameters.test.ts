import { parseHyperparameters } from './hyperparameters.ts';

describe('Function: parseHyperparameters', () => {
  it('reads SageMaker string values', () => {
    // Act
    const s = parseHyperparameters({
      n_estimators: '50',
      max_features: '0.5',
      max_depth: 'None',
      min_samples_leaf: '3',
      bootstrap: 'False',
      class_weight: 'benign:1,malignant:2.5',
      seed: '7',
      target_sensitivity: '0.9',
      sensitivity_confidence: '0',
      calibration: 'none',
      cv_folds: '3',
      sagemaker_job_name: 'ignored',
    });

    // Assess
    expect(s.forest).toMatchObject({
      nEstimators: 50,
      maxFeatures: 0.5,
      maxDepth: null,
      minSamplesLeaf: 3,
      bootstrap: false,
      classWeight: { benign: 1, malignant: 2.5 },
    });
    expect(s).toMatchObject({
      seed: 7,
      targetSensitivity: 0.9,
      sensitivityConfidence: 0,
      calibration: 'none',
      cvFolds: 3,
    });
  });

  it('uses defaults for an empty object', () => {
    // Act
    const s = parseHyperparameters({});

    // Assess
    expect(s.forest).toMatchObject({ nEstimators: 100, maxFeatures: 'sqrt', minSamplesLeaf: 1 });
    expect(s).toMatchObject({
      seed: 42,
      targetSensitivity: 0.95,
      sensitivityConfidence: 0.95,
      calibration: 'platt',
      cvFolds: 'auto',
    });
  });

  it.each([
    [{ trees: '10' }, /hyperparameter trees: unknown hyperparameter/],
    [{ n_estimators: 'ten' }, /hyperparameter n_estimators: expected an integer/],
    [{ n_estimators: '0' }, /n_estimators/],
    [{ max_features: 'half' }, /hyperparameter max_features/],
    [{ max_features: '1.5' }, /hyperparameter max_features/],
    [{ bootstrap: 'maybe' }, /hyperparameter bootstrap: expected true or false/],
    [{ class_weight: 'benign:1' }, /hyperparameter class_weight/],
    [{ target_sensitivity: '1.2' }, /hyperparameter target_sensitivity/],
    [{ sensitivity_confidence: '1' }, /hyperparameter sensitivity_confidence/],
    [{ cv_folds: '1' }, /hyperparameter cv_folds/],
    [{ min_samples_split: '1' }, /min_samples_split/],
  ])('names the bad key in %j', (raw, message) => {
    // Assess
    expect(() => parseHyperparameters(raw)).toThrow(message);
  });
});
