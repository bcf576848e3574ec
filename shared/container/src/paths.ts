/** SageMaker's fixed layout under the base folder (/opt/ml in a real job). */
import { join } from 'node:path';

export const DEFAULT_BASE_DIR = '/opt/ml';
export const DEFAULT_PORT = 8080;
/** The model file inside the model folder. */
export const MODEL_FILE = 'model.bin';
/** The evaluation report inside the model folder. */
export const EVALUATION_FILE = 'evaluation.json';

export function sagemakerPaths(baseDir: string) {
  return {
    hyperparameters: join(baseDir, 'input', 'config', 'hyperparameters.json'),
    channel: (name: string) => join(baseDir, 'input', 'data', name),
    modelDir: join(baseDir, 'model'),
    model: join(baseDir, 'model', MODEL_FILE),
    evaluation: join(baseDir, 'model', EVALUATION_FILE),
    outputDir: join(baseDir, 'output'),
    failure: join(baseDir, 'output', 'failure'),
  };
}
