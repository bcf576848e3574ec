/**
 * SageMaker batch transform as the batch service sees it. `start` returns once the job is
 * accepted; its end arrives as a real-shaped `SageMaker Transform Job State Change` event on
 * the default bus: on AWS SageMaker emits it, locally the local transform (which streams the
 * input through the deployed model's own serve code) does.
 *
 * The input is a headerless CSV in the logical `artifacts` bucket whose first column is the
 * record id and the rest the model features in model order. The job leaves the id out of
 * the model's input (`inputFilter`), joins each prediction back to its input line
 * (`joinSource: 'Input'`) and keeps only the id and the prediction columns (`outputFilter`),
 * so the output is `<record_id>,<model output…>` per line, in input order.
 */
export interface TransformJobSpec {
  /** Unique, `<prefix>-<stage>-…` (the completion rule matches the prefix), at most 63 characters. */
  jobName: string;
  /** Key of the prepared input in the `artifacts` bucket. */
  inputKey: string;
  /** Key prefix (ending in `/`) in `artifacts` under which the job writes `<input file name>.out`. */
  outputPrefix: string;
  /** The registry version and package of the model that serves the job. */
  modelVersion: number;
  packageArn: string;
  contentType: 'text/csv';
  splitType: 'Line';
  /** As many lines per request as fit in `maxPayloadMb`. */
  batchStrategy: 'MultiRecord';
  assembleWith: 'Line';
  maxPayloadMb: number;
  /** JSONPath over a CSV line (a JSON array): `$[1:]` drops the record id from the model input. */
  inputFilter: string;
  joinSource: 'Input' | 'None';
  /** JSONPath over the joined line, e.g. `$[0,-2,-1]`: the id and the model's two output columns. */
  outputFilter: string;
  /** Parallel requests per instance (SageMaker MaxConcurrentTransforms); locally, model processes. */
  maxConcurrentTransforms?: number;
}

export interface TransformJobs {
  /**
   * Starts the job. Idempotent by job name: a name that already exists (a redelivered S3
   * notification) resolves without starting a second job.
   */
  start(spec: TransformJobSpec): Promise<void>;
}

/** Where SageMaker writes a job's output: `<S3OutputPath>/<input file name>.out`. */
export function transformOutputKey(
  spec: Pick<TransformJobSpec, 'inputKey' | 'outputPrefix'>,
): string {
  const name = spec.inputKey.slice(spec.inputKey.lastIndexOf('/') + 1);
  const prefix = spec.outputPrefix.endsWith('/') ? spec.outputPrefix : `${spec.outputPrefix}/`;
  return `${prefix}${name}.out`;
}
