import { z } from 'zod';
import { CommonConfigSchema, ConfigError, readConfig } from './config.ts';

describe('Function: readConfig', () => {
  it('applies defaults for unset variables', () => {
    // Act
    const config = readConfig(CommonConfigSchema, {});

    // Assess
    expect(config).toEqual({
      MLOPS_PREFIX: 'cancer-mlops',
      MLOPS_STAGE: 'dev',
      AWS_REGION: 'us-east-1',
    });
  });

  it('names every missing or invalid variable in one error', () => {
    // Prepare
    const schema = CommonConfigSchema.extend({
      APPROVAL_MIN_AUC: z.coerce.number().min(0).max(1),
      TRAINING_IMAGE_URI: z.string(),
    });

    // Act
    const act = () => readConfig(schema, { MLOPS_STAGE: 'Prod!', APPROVAL_MIN_AUC: '1.5' });

    // Assess
    expect(act).toThrow(ConfigError);
    try {
      act();
    } catch (e) {
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/MLOPS_STAGE/);
      expect(problems).toMatch(/APPROVAL_MIN_AUC/);
      expect(problems).toMatch(/TRAINING_IMAGE_URI/);
    }
  });
});
