export * from './types.ts';
export * from './hyperparameters.ts';
export {
  trainForest,
  validateTrainingInput,
  outOfBagProbabilities,
  DEFAULT_SEED,
} from './forest.ts';
export type { TrainOptions } from './forest.ts';
export { predictRow, predictRaw, explainRow } from './predict.ts';
export type { RawExplanation } from './predict.ts';
export { permutationImportance } from './importance.ts';
export type { PermutationImportance, PermutationOptions } from './importance.ts';
