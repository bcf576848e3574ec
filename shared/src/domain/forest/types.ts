import type { ForestHyperparameters } from './hyperparameters.ts';

/**
 * A trained forest as flat typed arrays: trees back to back in pre-order, so a split's left
 * child is always the next node and only the right child index is stored. This is the layout
 * the artifact stores verbatim and prediction walks.
 */
export interface Forest {
  nFeatures: number;
  nTrees: number;
  /** Node index of each tree's root. */
  roots: Int32Array;
  /** Split feature per node, -1 for a leaf. */
  feature: Int32Array;
  /** A row goes left when value <= threshold. */
  threshold: Float64Array;
  /** Right child per split node (-1 for a leaf). */
  right: Int32Array;
  /** Raw P(malignant) at the node (leaf values are what trees vote). */
  value: Float64Array;
  /** Value used for a missing (NaN) feature: the training median of the column. */
  imputation: Float64Array;
}

export interface OobResult {
  /** Raw OOB P(malignant) per training row; NaN when a row was in every tree's bootstrap. */
  probabilities: Float64Array;
  /** Rows with at least one OOB vote. */
  covered: number;
  /** Accuracy at 0.5 over covered rows. */
  accuracy: number;
  /** ROC AUC over covered rows (NaN if they hold one class only). */
  rocAuc: number;
}

export interface TrainedForest {
  forest: Forest;
  featureNames: string[];
  hyperparameters: ForestHyperparameters;
  seed: number;
  nTrainRows: number;
  /** Mean decrease in (class-weighted) Gini impurity per feature, sums to 1. */
  impurityImportance: Float64Array;
  /** null when bootstrap is off or OOB was not requested. */
  oob: OobResult | null;
}
