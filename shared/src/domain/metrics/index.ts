export * from './classification.ts';
export * from './calibration.ts';
export * from './threshold.ts';
export * from './crossValidation.ts';
