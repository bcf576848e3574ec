import { compilePattern, matchesPattern, PatternError } from './pattern.ts';

/**
 * Examples from AWS's documentation: the EventBridge user guide ("Content filtering in
 * Amazon EventBridge event patterns", "Comparison operators for use in event patterns",
 * "Creating event patterns") and the README of aws/event-ruler, the matcher EventBridge uses.
 */

// The sample event of the event-ruler README / EventBridge content filtering page.
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({
  ...ec2Event,
  detail: { ...ec2Event.detail, ...detail },
});

describe('Function: matchesPattern', () => {
  describe('Method: simple matching', () => {
    it('matches exact values, arrays as OR, and an event array by intersection', () => {
      // Prepare
      const pattern = {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
        detail: { state: ['initializing', 'running'] },
      };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'initializing' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
    });

    it('selects EC2 terminations only (Creating event patterns example)', () => {
      // Prepare
      const pattern = {
        source: ['aws.ec2'],
        'detail-type': ['EC2 Instance State-change Notification'],
        detail: { state: ['terminated'] },
      };

      // Act & Assess
      expect(matchesPattern(pattern, withDetail({ state: 'terminated' }))).toBe(true);
      expect(matchesPattern(pattern, ec2Event)).toBe(false);
      expect(
        matchesPattern(pattern, { ...withDetail({ state: 'terminated' }), source: 'aws.fargate' }),
      ).toBe(false);
    });

    it('requires every named field (AND) and ignores the others', () => {
      // Prepare: "Location is New York and Day is Monday"
      const pattern = { Location: ['New York'], Day: ['Monday'] };

      // Act & Assess
      expect(matchesPattern(pattern, { Location: 'New York', Day: 'Monday', Other: 1 })).toBe(true);
      expect(matchesPattern(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
      expect(matchesPattern(pattern, { Location: 'New York' })).toBe(false);
    });

    it('matches null, the empty string and numbers by value, never across types', () => {
      // Act & Assess: "UserID is null", "LastName is empty", "Price is 100"
      expect(matchesPattern({ UserID: [null] }, { UserID: null })).toBe(true);
      expect(matchesPattern({ UserID: [null] }, {})).toBe(false);
      expect(matchesPattern({ LastName: [''] }, { LastName: '' })).toBe(true);
      expect(matchesPattern({ Price: [100] }, { Price: 100 })).toBe(true);
      expect(matchesPattern({ Price: [100] }, { Price: 100.0 })).toBe(true);
      expect(matchesPattern({ Price: [100] }, { Price: '100' })).toBe(false);
      expect(matchesPattern({ ok: [true] }, { ok: true })).toBe(true);
      expect(matchesPattern({ ok: [true] }, { ok: 'true' })).toBe(false);
    });

    it('uses the last of duplicated keys, as JSON parsing does', () => {
      // Prepare: the user guide's note on including a key twice
      const pattern = JSON.parse(
        '{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}',
      ) as Record<string, unknown>;

      // Act & Assess
      expect(matchesPattern(pattern, { detail: { location: 'eu-west' } })).toBe(true);
      expect(matchesPattern(pattern, { detail: { location: 'us-east' } })).toBe(false);
    });
  });

  describe('Method: prefix and suffix', () => {
    it('matches a prefix of a string value', () => {
      // Act & Assess
      expect(matchesPattern({ time: [{ prefix: '2017-10-02' }] }, ec2Event)).toBe(true);
      expect(matchesPattern({ time: [{ prefix: '2017-10-03' }] }, ec2Event)).toBe(false);
      expect(matchesPattern({ Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' })).toBe(true);
    });

    it('matches a suffix of a string value', () => {
      // Act & Assess
      expect(matchesPattern({ source: [{ suffix: 'ec2' }] }, ec2Event)).toBe(true);
      expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' })).toBe(
        true,
      );
      expect(matchesPattern({ FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' })).toBe(
        false,
      );
    });

    it('matches prefix and suffix ignoring case', () => {
      // Act & Assess: "service starts with eventb" / "ends with tbridge", regardless of case
      const starts = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
      const ends = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
      expect(matchesPattern(starts, { detail: { service: 'eventbridge' } })).toBe(true);
      expect(matchesPattern(starts, { detail: { service: 'EVENTBRIDGE' } })).toBe(true);
      expect(matchesPattern(starts, { detail: { service: 'sqs' } })).toBe(false);
      expect(matchesPattern(ends, { detail: { FileName: 'photo.PNG' } })).toBe(true);
      expect(
        matchesPattern(
          { service: [{ suffix: { 'equals-ignore-case': 'tBridge' } }] },
          { service: 'EventBRIDGE' },
        ),
      ).toBe(true);
    });

    it('never matches a number with a string operator', () => {
      // Act & Assess
      expect(matchesPattern({ n: [{ prefix: '1' }] }, { n: 12 })).toBe(false);
    });
  });

  describe('Method: equals-ignore-case and wildcard', () => {
    it('matches a string regardless of case', () => {
      // Act & Assess: "Name is Alice"
      expect(matchesPattern({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alice' })).toBe(
        true,
      );
      expect(
        matchesPattern({ Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alicia' }),
      ).toBe(false);
    });

    it('matches wildcards anchored at both ends', () => {
      // Act & Assess: "any file with a .png extension, located within the folder dir"
      const dirPng = { FileName: [{ wildcard: 'dir/*.png' }] };
      expect(matchesPattern(dirPng, { FileName: 'dir/image.png' })).toBe(true);
      expect(matchesPattern(dirPng, { FileName: 'dir/sub/image.png' })).toBe(true);
      expect(matchesPattern(dirPng, { FileName: 'other/image.png' })).toBe(false);
      expect(matchesPattern(dirPng, { FileName: 'xdir/image.png' })).toBe(false);
      expect(
        matchesPattern(
          { source: [{ wildcard: 'Simple*Service' }] },
          { source: 'SimpleQueueService' },
        ),
      ).toBe(true);
    });

    it('treats escaped stars and backslashes literally and rejects other escapes and **', () => {
      // Act & Assess
      expect(matchesPattern({ f: [{ wildcard: 'a\\*b' }] }, { f: 'a*b' })).toBe(true);
      expect(matchesPattern({ f: [{ wildcard: 'a\\*b' }] }, { f: 'aXb' })).toBe(false);
      expect(matchesPattern({ f: [{ wildcard: 'c:\\\\dir\\\\*' }] }, { f: 'c:\\dir\\x' })).toBe(
        true,
      );
      expect(matchesPattern({ f: [{ wildcard: 'a.c' }] }, { f: 'abc' })).toBe(false);
      expect(() => compilePattern({ f: [{ wildcard: 'a**b' }] })).toThrow(PatternError);
      expect(() => compilePattern({ f: [{ wildcard: 'a\\b' }] })).toThrow(PatternError);
    });
  });

  describe('Method: anything-but', () => {
    it('matches anything but a string, a number, or a list of either', () => {
      // Act & Assess (user guide examples)
      expect(
        matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, ec2Event),
      ).toBe(true);
      expect(
        matchesPattern(
          { detail: { state: [{ 'anything-but': 'initializing' }] } },
          withDetail({ state: 'initializing' }),
        ),
      ).toBe(false);
      expect(matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, ec2Event)).toBe(
        true,
      );
      expect(
        matchesPattern(
          { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
          withDetail({ 'x-limit': 123 }),
        ),
      ).toBe(false);
      const notStopped = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
      expect(matchesPattern(notStopped, ec2Event)).toBe(true);
      expect(matchesPattern(notStopped, withDetail({ state: 'overloaded' }))).toBe(false);
      const notRound = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
      expect(matchesPattern(notRound, ec2Event)).toBe(true);
      expect(matchesPattern(notRound, withDetail({ 'x-limit': 200 }))).toBe(false);
      expect(
        matchesPattern({ Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Sunny' }),
      ).toBe(true);
    });

    it('matches anything but a prefix, a suffix, a value in any case, or a wildcard', () => {
      // Act & Assess
      const notInit = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
      expect(matchesPattern(notInit, ec2Event)).toBe(true);
      expect(matchesPattern(notInit, withDetail({ state: 'initializing' }))).toBe(false);
      expect(
        matchesPattern(
          { Region: [{ 'anything-but': { prefix: 'us-' } }] },
          { Region: 'eu-west-1' },
        ),
      ).toBe(true);
      expect(
        matchesPattern(
          { Region: [{ 'anything-but': { prefix: 'us-' } }] },
          { Region: 'us-east-1' },
        ),
      ).toBe(false);
      expect(
        matchesPattern(
          { FileName: [{ 'anything-but': { suffix: '.png' } }] },
          { FileName: 'a.jpg' },
        ),
      ).toBe(true);
      expect(
        matchesPattern(
          { FileName: [{ 'anything-but': { suffix: '.png' } }] },
          { FileName: 'a.png' },
        ),
      ).toBe(false);
      const notInitAnyCase = {
        state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }],
      };
      expect(matchesPattern(notInitAnyCase, { state: 'INITIALIZING' })).toBe(false);
      expect(matchesPattern(notInitAnyCase, { state: 'running' })).toBe(true);
      const notLib = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
      expect(matchesPattern(notLib, { FilePath: '/usr/lib/x.so' })).toBe(false);
      expect(matchesPattern(notLib, { FilePath: '/usr/bin/x' })).toBe(true);
    });

    it('does not match an absent field', () => {
      // Act & Assess
      expect(matchesPattern({ detail: { missing: [{ 'anything-but': 'x' }] } }, ec2Event)).toBe(
        false,
      );
    });

    it('rejects a list mixing strings and numbers', () => {
      // Act & Assess
      expect(() => compilePattern({ a: [{ 'anything-but': ['x', 1] }] })).toThrow(PatternError);
    });
  });

  describe('Method: numeric', () => {
    it('matches numeric comparisons and ranges on numbers only', () => {
      // Prepare (user guide example: all three must hold)
      const pattern = {
        detail: {
          'c-count': [{ numeric: ['>', 0, '<=', 5] }],
          'd-count': [{ numeric: ['<', 10] }],
          'x-limit': [{ numeric: ['=', 3.018e2] }],
        },
      };

      // Act & Assess
      expect(matchesPattern(pattern, ec2Event)).toBe(true);
      expect(matchesPattern(pattern, withDetail({ 'c-count': 0 }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ 'c-count': 6 }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ 'd-count': 10 }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ 'c-count': '5' }))).toBe(false);
      // "Price is more than 10, and less than or equal to 20"
      const price = { Price: [{ numeric: ['>', 10, '<=', 20] }] };
      expect(matchesPattern(price, { Price: 20 })).toBe(true);
      expect(matchesPattern(price, { Price: 10 })).toBe(false);
      expect(matchesPattern({ n: [{ numeric: ['>=', 1.5] }] }, { n: 1.5 })).toBe(true);
    });

    it('rejects a malformed range', () => {
      // Act & Assess
      expect(() => compilePattern({ n: [{ numeric: ['<', 5, '>', 1] }] })).toThrow(PatternError);
      expect(() => compilePattern({ n: [{ numeric: ['~', 5] }] })).toThrow(PatternError);
      expect(() => compilePattern({ n: [{ numeric: ['>', '5'] }] })).toThrow(PatternError);
    });
  });

  describe('Method: cidr', () => {
    it('matches IPv4 and IPv6 addresses inside a block', () => {
      // Act & Assess
      expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2Event)).toBe(
        true,
      );
      expect(matchesPattern({ detail: { 'source-ip': [{ cidr: '10.0.1.0/24' }] } }, ec2Event)).toBe(
        false,
      );
      expect(matchesPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:1::1' })).toBe(
        true,
      );
      expect(matchesPattern({ ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' })).toBe(
        false,
      );
      expect(matchesPattern({ ip: [{ cidr: '10.0.0.0/8' }] }, { ip: '2001:db8::1' })).toBe(false);
    });
  });

  describe('Method: exists', () => {
    it('matches the presence of a leaf (user guide example)', () => {
      // Prepare
      const pattern = { detail: { state: [{ exists: true }] } };
      const pending = {
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: '2015-11-11T21:29:54Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
      };
      const noState = {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { 'c-count': { c1: 100 } },
      };

      // Act & Assess
      expect(matchesPattern(pattern, pending)).toBe(true);
      expect(matchesPattern(pattern, noState)).toBe(false);
    });

    it('matches the absence of a leaf, and an object is not a leaf', () => {
      // Prepare (event-ruler README example)
      const pattern = { detail: { 'c-count': [{ exists: false }] } };
      const noCount = {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
        detail: { state: ['initializing', 'running'] },
      };
      const objectCount = { ...noCount, detail: { ...noCount.detail, 'c-count': { c1: 100 } } };

      // Act & Assess
      expect(matchesPattern(pattern, noCount)).toBe(true);
      expect(matchesPattern(pattern, objectCount)).toBe(true);
      expect(matchesPattern(pattern, ec2Event)).toBe(false);
      expect(matchesPattern({ ProductName: [{ exists: true }] }, { ProductName: 'x' })).toBe(true);
      expect(matchesPattern({ ProductName: [{ exists: false }] }, { ProductName: 'x' })).toBe(
        false,
      );
      expect(
        matchesPattern({ detail: { a: [{ exists: false }] } }, { source: 'no detail at all' }),
      ).toBe(true);
    });
  });

  describe('Method: $or', () => {
    it('ORs whole sub-patterns (event-ruler README examples)', () => {
      // Prepare: source && (metricName || namespace)
      const normal = {
        source: ['aws.cloudwatch'],
        $or: [
          { metricName: ['CPUUtilization', 'ReadLatency'] },
          { namespace: ['AWS/EC2', 'AWS/ES'] },
        ],
      };
      // (metricName || namespace) && (detail.source || detail.detail-type)
      const parallel = {
        $or: [
          { metricName: ['CPUUtilization', 'ReadLatency'] },
          { namespace: ['AWS/EC2', 'AWS/ES'] },
        ],
        detail: {
          $or: [
            { source: ['aws.cloudwatch'] },
            { 'detail-type': ['CloudWatch Alarm State Change'] },
          ],
        },
      };
      // source && (metricName || (metricType && namespace && (metricId || spaceId)) || scope)
      const nested = {
        source: ['aws.cloudwatch'],
        $or: [
          { metricName: ['CPUUtilization', 'ReadLatency'] },
          {
            metricType: ['MetricType'],
            namespace: ['AWS/EC2', 'AWS/ES'],
            $or: [{ metricId: [1234] }, { spaceId: [1000] }],
          },
          { scope: ['Service'] },
        ],
      };

      // Act & Assess
      expect(matchesPattern(normal, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' })).toBe(true);
      expect(matchesPattern(normal, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(
        true,
      );
      expect(matchesPattern(normal, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
      expect(matchesPattern(normal, { source: 'aws.ec2', namespace: 'AWS/EC2' })).toBe(false);
      expect(
        matchesPattern(parallel, {
          namespace: 'AWS/ES',
          detail: { 'detail-type': 'CloudWatch Alarm State Change' },
        }),
      ).toBe(true);
      expect(matchesPattern(parallel, { namespace: 'AWS/ES', detail: { source: 'aws.ec2' } })).toBe(
        false,
      );
      expect(
        matchesPattern(nested, {
          source: 'aws.cloudwatch',
          metricType: 'MetricType',
          namespace: 'AWS/EC2',
          spaceId: 1000,
        }),
      ).toBe(true);
      expect(
        matchesPattern(nested, {
          source: 'aws.cloudwatch',
          metricType: 'MetricType',
          namespace: 'AWS/EC2',
        }),
      ).toBe(false);
      expect(matchesPattern(nested, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
    });

    it('matches the user guide\'s "Location is New York, or Day is Monday"', () => {
      // Prepare
      const pattern = { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };

      // Act & Assess
      expect(matchesPattern(pattern, { Location: 'Boston', Day: 'Monday' })).toBe(true);
      expect(matchesPattern(pattern, { Location: 'New York', Day: 'Friday' })).toBe(true);
      expect(matchesPattern(pattern, { Location: 'Boston', Day: 'Friday' })).toBe(false);
    });

    it('treats $or as a plain field name when it is not a list of sub-patterns', () => {
      // Prepare (event-ruler keeps this form for backward compatibility)
      const pattern = { source: ['aws.cloudwatch'], $or: { metricType: ['MetricType'] } };

      // Act & Assess
      expect(
        matchesPattern(pattern, { source: 'aws.cloudwatch', $or: { metricType: 'MetricType' } }),
      ).toBe(true);
      expect(matchesPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType' })).toBe(
        false,
      );
    });
  });

  describe('Method: arrays in events', () => {
    it('matches objects inside arrays, one element at a time', () => {
      // Prepare (event-ruler "JSON Array Matching")
      const event = {
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      };
      const nested = {
        employees: [
          [
            { firstName: 'John', lastName: 'Doe' },
            { firstName: 'Anna', lastName: 'Smith' },
          ],
          [{ firstName: 'Peter', lastName: 'Jones' }],
        ],
      };

      // Act & Assess
      expect(matchesPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
      expect(matchesPattern({ employees: { firstName: ['Anna'] } }, nested)).toBe(true);
      expect(
        matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event),
      ).toBe(false);
      expect(
        matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, event),
      ).toBe(true);
    });

    it('matches a field holding a list of values when any element matches', () => {
      // Act & Assess
      expect(matchesPattern({ tags: ['b'] }, { tags: ['a', 'b'] })).toBe(true);
      expect(matchesPattern({ tags: [{ prefix: 'x' }] }, { tags: ['a', 'b'] })).toBe(false);
      expect(matchesPattern({ n: [{ numeric: ['>', 5] }] }, { n: [1, 9] })).toBe(true);
      expect(matchesPattern({ tags: [{ exists: false }] }, { tags: [] })).toBe(true);
    });
  });

  describe('Method: the project topology patterns', () => {
    it('routes FeaturesWritten with labelled records to training, and not without', () => {
      // Prepare (services/training/topology.ts, rule new-features)
      const pattern = {
        source: ['cancer-mlops.scoring'],
        'detail-type': ['FeaturesWritten'],
        detail: { labelled: [{ numeric: ['>', 0] }] },
      };
      const event = (labelled: number) => ({
        ...ec2Event,
        source: 'cancer-mlops.scoring',
        'detail-type': 'FeaturesWritten',
        detail: { written: 10, duplicates: 0, labelled },
      });

      // Act & Assess
      expect(matchesPattern(pattern, event(3))).toBe(true);
      expect(matchesPattern(pattern, event(0))).toBe(false);
    });

    it('matches SageMaker training state changes of this deployment only', () => {
      // Prepare (registerModel's trigger)
      const pattern = {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Training Job State Change'],
        detail: {
          TrainingJobName: [{ prefix: 'cancer-mlops-dev-' }],
          TrainingJobStatus: ['Completed', 'Failed', 'Stopped'],
        },
      };
      const event = (name: string, status: string) => ({
        ...ec2Event,
        source: 'aws.sagemaker',
        'detail-type': 'SageMaker Training Job State Change',
        detail: { TrainingJobName: name, TrainingJobStatus: status },
      });

      // Act & Assess
      expect(matchesPattern(pattern, event('cancer-mlops-dev-train-1', 'Completed'))).toBe(true);
      expect(matchesPattern(pattern, event('cancer-mlops-dev-train-1', 'InProgress'))).toBe(false);
      expect(matchesPattern(pattern, event('someone-else-train-1', 'Completed'))).toBe(false);
    });
  });

  describe('Method: malformed patterns', () => {
    it('fails at compile time with the path of the problem', () => {
      // Act & Assess
      expect(() => compilePattern({ source: 'aws.ec2' })).toThrow(
        /source: values in a pattern must be in an array/,
      );
      expect(() => compilePattern({ detail: { a: [{ bogus: 1 }] } })).toThrow(
        /detail\.a: unknown operator "bogus"/,
      );
      expect(() => compilePattern({ a: [] })).toThrow(PatternError);
      expect(() => compilePattern({})).toThrow(PatternError);
      expect(() => compilePattern({ a: [{ prefix: 'x', suffix: 'y' }] })).toThrow(PatternError);
      expect(() => compilePattern({ a: [{ exists: 'yes' }] })).toThrow(PatternError);
      expect(() => compilePattern({ a: [{ cidr: '10.0.0.0/33' }] })).toThrow(PatternError);
    });
  });
});
