/** Drift statistics: pure functions, no I/O. */
export * from './sample.ts';
export * from './ks.ts';
export * from './psi.ts';
export * from './multipleTesting.ts';
export * from './kll.ts';
export * from './csv.ts';
export * from './sagemaker.ts';
export * from './baseline.ts';
export * from './quality.ts';
export * from './verdict.ts';
export * from './dataQuality.ts';
