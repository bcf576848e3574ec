import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type {
  TrainingJobDescription,
  TrainingJobs,
  TrainingJobSpec,
  TrainingJobStatus,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import { bucketName, type NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { errorMessage, silentLog, type RuntimeLog } from '../log.ts';
import {
  LOCAL_ACCOUNT,
  LOCAL_IMAGE,
  SAGEMAKER_SOURCE,
  defaultContainerCommand,
  sagemakerArn,
  type ContainerCommand,
  type EmitEvent,
} from './container.ts';

export const TRAINING_JOB_STATE_CHANGE = 'SageMaker Training Job State Change';
const ARTIFACTS = 'artifacts';
const CHANNELS = ['train', 'validation'] as const;

export interface LocalTrainingJobsOptions {
  /** The runtime's state folder; jobs live in `<stateDir>/sagemaker/training-jobs/<job>/`. */
  stateDir: string;
  objects: ObjectStore;
  names: NameContext;
  /** Puts the job's state-change event on the default bus. */
  emit: EmitEvent;
  container?: ContainerCommand;
  region?: string;
  accountId?: string;
  /** Jobs running longer are stopped (StoppingCondition.MaxRuntimeInSeconds). */
  maxRuntimeSeconds?: number;
  /** Extra environment for the container (e.g. a fixed SOURCE_DATE_EPOCH in tests). */
  env?: Record<string, string>;
  now?: () => Date;
  log?: RuntimeLog;
}

/** What the job folder's job.json holds: the spec and what became of it. */
interface JobFile {
  spec: TrainingJobSpec;
  status: TrainingJobStatus;
  secondaryStatus: string;
  createdAt: string;
  endedAt?: string;
  failureReason?: string;
  modelArtifacts?: string;
}

/**
 * SageMaker training jobs on this machine. A job is a folder shaped like /opt/ml (the
 * dataset's CSVs copied into input/data/<channel>/, input/config/hyperparameters.json) and a
 * child process running the container's own `train` on it, its output in logs.txt. When the
 * process ends, the model folder is uploaded to `<outputPrefix><job>/output/model/` in the
 * artifacts bucket and a real-shaped `SageMaker Training Job State Change` event is emitted:
 * Completed with ModelArtifacts.S3ModelArtifacts naming that folder, or Failed with the
 * container's output/failure as FailureReason, exactly as SageMaker reports it.
 */
export class LocalTrainingJobs implements TrainingJobs {
  private readonly running = new Map<string, ChildProcess>();
  private readonly stopRequested = new Set<string>();
  private readonly finished = new Set<Promise<void>>();
  private readonly root: string;
  private readonly region: string;
  private readonly account: string;
  private readonly now: () => Date;
  private readonly log: RuntimeLog;

  constructor(private readonly o: LocalTrainingJobsOptions) {
    this.root = join(o.stateDir, 'sagemaker', 'training-jobs');
    this.region = o.region ?? 'us-east-1';
    this.account = o.accountId ?? LOCAL_ACCOUNT;
    this.now = o.now ?? (() => new Date());
    this.log = o.log ?? silentLog;
  }

  /** Jobs whose container is still running (the runtime's --until-idle waits for 0). */
  runningJobs(): number {
    return this.running.size;
  }

  /** Resolves when every running job has ended and its event has been emitted. */
  async idle(): Promise<void> {
    while (this.finished.size > 0) await Promise.all([...this.finished]);
  }

  jobDir(jobName: string): string {
    return join(this.root, jobName);
  }

  async start(spec: TrainingJobSpec): Promise<void> {
    const dir = this.jobDir(spec.jobName);
    if (existsSync(join(dir, 'job.json'))) {
      throw new Error(`ResourceInUse: training job ${spec.jobName} already exists`);
    }
    for (const channel of CHANNELS) {
      const prefix = channel === 'train' ? spec.trainPrefix : spec.validationPrefix;
      await this.copyChannel(prefix, join(dir, 'input', 'data', channel));
    }
    await mkdir(join(dir, 'input', 'config'), { recursive: true });
    await mkdir(join(dir, 'model'), { recursive: true });
    await mkdir(join(dir, 'output'), { recursive: true });
    const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
    await writeFile(
      join(dir, 'input', 'config', 'hyperparameters.json'),
      json(spec.hyperparameters),
    );
    await writeFile(
      join(dir, 'input', 'config', 'inputdataconfig.json'),
      json(
        Object.fromEntries(
          CHANNELS.map((c) => [
            c,
            {
              ContentType: 'text/csv',
              TrainingInputMode: 'File',
              S3DistributionType: 'FullyReplicated',
            },
          ]),
        ),
      ),
    );
    await writeFile(
      join(dir, 'input', 'config', 'resourceconfig.json'),
      json({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'lo' }),
    );
    const job: JobFile = {
      spec,
      status: 'InProgress',
      secondaryStatus: 'Training',
      createdAt: this.now().toISOString(),
    };
    await this.save(job);
    this.launch(job);
  }

  async describe(jobName: string): Promise<TrainingJobDescription | undefined> {
    const job = await this.load(jobName);
    if (!job) return undefined;
    return {
      jobName,
      status: job.status,
      hyperparameters: job.spec.hyperparameters,
      createdAt: new Date(job.createdAt),
      ...(job.failureReason ? { failureReason: job.failureReason } : {}),
      ...(job.modelArtifacts ? { modelArtifacts: job.modelArtifacts } : {}),
      ...(job.endedAt ? { endedAt: new Date(job.endedAt) } : {}),
    };
  }

  /**
   * After a restart: a job left InProgress has no process any more. It is failed with that
   * reason and its event emitted, so the training's lock is released and a person sees why.
   */
  async recover(): Promise<number> {
    let names: string[] = [];
    try {
      names = await readdir(this.root);
    } catch {
      return 0;
    }
    let failed = 0;
    for (const name of names) {
      if (this.running.has(name)) continue;
      const job = await this.load(name);
      if (!job || job.status !== 'InProgress') continue;
      await this.end(
        job,
        'Failed',
        'Failed',
        'InternalServerError: the local runtime stopped while the job was running; request the training again',
      );
      failed++;
    }
    return failed;
  }

  /** Stops every running job (SIGTERM), as StopTrainingJob would; they end as Stopped. */
  async stopAll(): Promise<void> {
    for (const [name, child] of this.running) {
      this.stopRequested.add(name);
      child.kill('SIGTERM');
    }
    await this.idle();
  }

  private async copyChannel(prefix: string, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for await (const info of this.o.objects.list(ARTIFACTS, prefix)) {
      const body = await this.o.objects.get(ARTIFACTS, info.key);
      if (!body) continue;
      const rel = info.key.slice(prefix.length);
      const target = join(dir, ...rel.split('/'));
      await mkdir(join(target, '..'), { recursive: true });
      await writeFile(target, body);
    }
  }

  private launch(job: JobFile): void {
    const dir = this.jobDir(job.spec.jobName);
    const logFd = openSync(join(dir, 'logs.txt'), 'a');
    let child: ChildProcess;
    try {
      const container = this.o.container ?? defaultContainerCommand(this.o.stateDir);
      child = spawn(container.command, [...container.args, 'train'], {
        cwd: container.cwd,
        env: {
          ...process.env,
          ...container.env,
          ...this.o.env,
          ...job.spec.environment,
          DATASET_ID: job.spec.datasetId,
          SM_BASE_DIR: dir,
          TRAINING_JOB_NAME: job.spec.jobName,
        },
        stdio: ['pipe', logFd, logFd], // stdin: the child's lifeline (exitWithParent.mjs)
      });
    } finally {
      closeSync(logFd);
    }
    this.running.set(job.spec.jobName, child);
    const maxMs = (this.o.maxRuntimeSeconds ?? 3600) * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, maxMs);
    timer.unref();
    this.log.info('training job started', { jobName: job.spec.jobName, pid: child.pid });

    const done = new Promise<void>((resolve) => {
      const finish = (code: number | null, spawnError?: Error) => {
        clearTimeout(timer);
        const stopped = this.stopRequested.delete(job.spec.jobName);
        void this.complete(job, code, { timedOut, stopped, spawnError })
          .catch((e) =>
            this.log.error('could not finish a training job', {
              jobName: job.spec.jobName,
              reason: errorMessage(e),
            }),
          )
          .finally(() => {
            this.running.delete(job.spec.jobName);
            resolve();
          });
      };
      child.once('error', (e) => finish(null, e));
      child.once('exit', (code) => finish(code));
    });
    this.finished.add(done);
    void done.then(() => this.finished.delete(done));
  }

  private async complete(
    job: JobFile,
    code: number | null,
    how: { timedOut: boolean; stopped: boolean; spawnError?: Error },
  ): Promise<void> {
    const dir = this.jobDir(job.spec.jobName);
    if (how.spawnError) {
      return this.end(
        job,
        'Failed',
        'Failed',
        `InternalServerError: the training container could not start: ${how.spawnError.message}`,
      );
    }
    if (how.timedOut) {
      return this.end(
        job,
        'Stopped',
        'MaxRuntimeExceeded',
        `the job exceeded MaxRuntimeInSeconds (${this.o.maxRuntimeSeconds ?? 3600})`,
      );
    }
    if (how.stopped) return this.end(job, 'Stopped', 'Stopped', 'the job was stopped');
    if (code !== 0) {
      const failure = await readFile(join(dir, 'output', 'failure'), 'utf8').catch(() => '');
      const reason = failure.trim()
        ? failure.trim().slice(0, 1024)
        : `AlgorithmError: the training container exited with code ${code}; see ${join(dir, 'logs.txt')}`;
      return this.end(job, 'Failed', 'Failed', reason);
    }
    const files = await listFiles(join(dir, 'model'));
    if (files.length === 0)
      return this.end(
        job,
        'Failed',
        'Failed',
        'AlgorithmError: the training container wrote no model',
      );
    const prefix = `${job.spec.outputPrefix}${job.spec.jobName}/output/model/`;
    for (const rel of files) {
      await this.o.objects.put(
        ARTIFACTS,
        `${prefix}${rel}`,
        await readFile(join(dir, 'model', ...rel.split('/'))),
      );
    }
    job.modelArtifacts = `s3://${bucketName(this.o.names, ARTIFACTS)}/${prefix}`;
    return this.end(job, 'Completed', 'Completed');
  }

  private async end(
    job: JobFile,
    status: TrainingJobStatus,
    secondary: string,
    reason?: string,
  ): Promise<void> {
    job.status = status;
    job.secondaryStatus = secondary;
    job.endedAt = this.now().toISOString();
    if (reason) job.failureReason = reason;
    await this.save(job);
    this.log.info('training job ended', {
      jobName: job.spec.jobName,
      status,
      ...(reason ? { reason } : {}),
    });
    await this.o.emit(this.event(job));
  }

  /** The event as SageMaker sends it: the detail mirrors DescribeTrainingJob, times in epoch ms. */
  private event(job: JobFile) {
    const { spec } = job;
    const arn = sagemakerArn(this.region, this.account, `training-job/${spec.jobName}`);
    const artifacts = `s3://${bucketName(this.o.names, ARTIFACTS)}/`;
    const ms = (iso: string | undefined) => String(Date.parse(iso ?? job.createdAt));
    const detail: Record<string, unknown> = {
      TrainingJobName: spec.jobName,
      TrainingJobArn: arn,
      ...(job.modelArtifacts ? { ModelArtifacts: { S3ModelArtifacts: job.modelArtifacts } } : {}),
      TrainingJobStatus: job.status,
      SecondaryStatus: job.secondaryStatus,
      ...(job.failureReason && job.status !== 'Completed'
        ? { FailureReason: job.failureReason }
        : {}),
      HyperParameters: spec.hyperparameters,
      AlgorithmSpecification: { TrainingImage: LOCAL_IMAGE, TrainingInputMode: 'File' },
      RoleArn: `arn:aws:iam::${this.account}:role/${this.o.names.prefix}-${this.o.names.stage}-sagemaker-execution`,
      InputDataConfig: CHANNELS.map((c) => ({
        ChannelName: c,
        DataSource: {
          S3DataSource: {
            S3DataType: 'S3Prefix',
            S3Uri: `${artifacts}${c === 'train' ? spec.trainPrefix : spec.validationPrefix}`,
            S3DataDistributionType: 'FullyReplicated',
          },
        },
        ContentType: 'text/csv',
        CompressionType: 'None',
        RecordWrapperType: 'None',
      })),
      OutputDataConfig: { S3OutputPath: `${artifacts}${spec.outputPrefix.replace(/\/+$/, '')}` },
      ResourceConfig: { InstanceType: 'local', InstanceCount: 1, VolumeSizeInGB: 0 },
      VpcConfig: {},
      StoppingCondition: { MaxRuntimeInSeconds: this.o.maxRuntimeSeconds ?? 3600 },
      CreationTime: ms(job.createdAt),
      TrainingStartTime: ms(job.createdAt),
      ...(job.endedAt ? { TrainingEndTime: ms(job.endedAt) } : {}),
      LastModifiedTime: ms(job.endedAt),
      SecondaryStatusTransitions: [],
      Environment: { ...spec.environment, DATASET_ID: spec.datasetId },
      Tags: {},
    };
    return {
      source: SAGEMAKER_SOURCE,
      'detail-type': TRAINING_JOB_STATE_CHANGE,
      detail,
      resources: [arn],
      time: job.endedAt ?? this.now().toISOString(),
    };
  }

  private async save(job: JobFile): Promise<void> {
    const file = join(this.jobDir(job.spec.jobName), 'job.json');
    await mkdir(this.jobDir(job.spec.jobName), { recursive: true });
    await writeFile(`${file}.tmp`, `${JSON.stringify(job, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }

  private async load(jobName: string): Promise<JobFile | undefined> {
    try {
      return JSON.parse(await readFile(join(this.jobDir(jobName), 'job.json'), 'utf8')) as JobFile;
    } catch {
      return undefined;
    }
  }
}

/** Files under a folder, relative, `/`-separated, sorted. */
async function listFiles(dir: string, rel = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.endsWith('.tmp') || e.name.includes('.tmp-')) continue;
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, p)));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}
