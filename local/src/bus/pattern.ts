/**
 * EventBridge event patterns (content filtering), with the semantics of AWS's own matcher
 * (aws/event-ruler, `rulesForJSONEvent`):
 *
 * - every field named in the pattern must match (AND); the values listed for a field are
 *   alternatives (OR); `$or: [{...}, {...}]` ORs whole sub-patterns;
 * - nested objects in the pattern follow the nesting of the event; where the event has an
 *   array of objects, one element must match the whole sub-pattern (array-consistent);
 * - where the event has an array of values, the field matches if any element does;
 * - operators: exact value (string, number, boolean, null), prefix, suffix (each optionally
 *   `{ "equals-ignore-case": ... }`), equals-ignore-case, wildcard, anything-but (a value, a
 *   list, or prefix / suffix / equals-ignore-case / wildcard), numeric ranges, exists, cidr;
 * - exists works on leaves only: an object is not a value, so `exists: false` matches it;
 * - string operators match strings only, numeric operators numbers only.
 *
 * A malformed pattern throws PatternError when it is compiled, not when an event arrives.
 */

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

export type EventMatcher = (event: unknown) => boolean;

type Leaf = string | number | boolean | null;
type LevelMatcher = (level: unknown) => boolean;
/** Tests the leaf values found for a field; `values` is empty when the field is absent. */
type FieldTest = (values: readonly Leaf[]) => boolean;

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
]);

const cache = new WeakMap<object, EventMatcher>();

/** True when `event` matches `pattern`; compiled patterns are cached per pattern object. */
export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  let m = cache.get(pattern);
  if (!m) {
    m = compilePattern(pattern);
    cache.set(pattern, m);
  }
  return m(event);
}

export function compilePattern(pattern: unknown): EventMatcher {
  if (!isPlainObject(pattern)) throw new PatternError('an event pattern must be a JSON object');
  if (Object.keys(pattern).length === 0)
    throw new PatternError('an event pattern must name at least one field');
  return compileObject(pattern, '');
}

function compileObject(pattern: Record<string, unknown>, path: string): LevelMatcher {
  const tests: LevelMatcher[] = [];
  for (const [key, spec] of Object.entries(pattern)) {
    const where = path ? `${path}.${key}` : key;
    if (key === '$or' && isOrList(spec)) {
      const alternatives = spec.map((alt, i) => compileObject(alt, `${where}[${i}]`));
      tests.push((level) => alternatives.some((alt) => alt(level)));
    } else if (Array.isArray(spec)) {
      const test = compileField(spec, where);
      tests.push((level) => test(leafValues(child(level, key))));
    } else if (isPlainObject(spec)) {
      if (Object.keys(spec).length === 0)
        throw new PatternError(`${where}: an empty object matches nothing`);
      const sub = compileObject(spec, where);
      tests.push((level) => matchNested(sub, child(level, key)));
    } else {
      throw new PatternError(
        `${where}: values in a pattern must be in an array, e.g. [${JSON.stringify(spec)}]`,
      );
    }
  }
  return (level) => tests.every((t) => t(level));
}

/** `$or` is the OR primitive only as a list of 2+ sub-patterns, else a plain field name (as in event-ruler). */
function isOrList(spec: unknown): spec is Record<string, unknown>[] {
  return (
    Array.isArray(spec) &&
    spec.length >= 2 &&
    spec.every(
      (s) =>
        isPlainObject(s) &&
        Object.keys(s).length > 0 &&
        Object.keys(s).every((k) => !OPERATORS.has(k)),
    )
  );
}

function matchNested(sub: LevelMatcher, value: unknown): boolean {
  if (Array.isArray(value)) {
    const objects = flatten(value).filter(isPlainObject);
    // No object below: the sub-pattern's fields are all absent here.
    return objects.length === 0 ? sub(undefined) : objects.some((o) => sub(o));
  }
  return sub(isPlainObject(value) ? value : undefined);
}

function child(level: unknown, key: string): unknown {
  return isPlainObject(level) && Object.prototype.hasOwnProperty.call(level, key)
    ? level[key]
    : undefined;
}

/** The leaf values of a field: arrays are crushed, objects are not values. */
function leafValues(value: unknown): Leaf[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return flatten(value).filter(isLeaf);
  return isLeaf(value) ? [value] : [];
}

function compileField(spec: unknown[], where: string): FieldTest {
  if (spec.length === 0) throw new PatternError(`${where}: an empty list matches nothing`);
  const conditions = spec.map((c) => compileCondition(c, where));
  return (values) => conditions.some((c) => c(values));
}

function compileCondition(c: unknown, where: string): FieldTest {
  if (isLeaf(c)) return anyValue((v) => v === c);
  if (!isPlainObject(c))
    throw new PatternError(`${where}: ${JSON.stringify(c)} is not a value or an operator`);
  const keys = Object.keys(c);
  if (keys.length !== 1) {
    throw new PatternError(
      `${where}: an operator object has exactly one key, got ${JSON.stringify(c)}`,
    );
  }
  const op = keys[0];
  const arg = c[op];
  switch (op) {
    case 'exists':
      if (typeof arg !== 'boolean') throw new PatternError(`${where}: exists takes true or false`);
      return arg ? (values) => values.length > 0 : (values) => values.length === 0;
    case 'prefix':
    case 'suffix': {
      const test = affixTest(op, arg, where);
      return anyString(test);
    }
    case 'equals-ignore-case': {
      const expected = stringArg(arg, where, op).toLowerCase();
      return anyString((s) => s.toLowerCase() === expected);
    }
    case 'wildcard': {
      const re = wildcardRegExp(stringArg(arg, where, op), where);
      return anyString((s) => re.test(s));
    }
    case 'numeric': {
      const test = numericTest(arg, where);
      return anyValue((v) => typeof v === 'number' && test(v));
    }
    case 'cidr': {
      const test = cidrTest(stringArg(arg, where, op), where);
      return anyString(test);
    }
    case 'anything-but':
      return anythingBut(arg, where);
    default:
      throw new PatternError(`${where}: unknown operator "${op}"`);
  }
}

function anythingBut(arg: unknown, where: string): FieldTest {
  if (isLeaf(arg) || Array.isArray(arg)) {
    const excluded = Array.isArray(arg) ? arg : [arg];
    if (excluded.length === 0)
      throw new PatternError(`${where}: anything-but needs at least one value`);
    if (
      !excluded.every((e) => typeof e === 'string') &&
      !excluded.every((e) => typeof e === 'number')
    ) {
      throw new PatternError(`${where}: an anything-but list holds only strings or only numbers`);
    }
    const set = new Set<unknown>(excluded);
    return anyValue((v) => !set.has(v));
  }
  if (!isPlainObject(arg) || Object.keys(arg).length !== 1) {
    throw new PatternError(
      `${where}: anything-but takes a value, a list, or one of prefix/suffix/equals-ignore-case/wildcard`,
    );
  }
  const [op] = Object.keys(arg);
  const inner = arg[op];
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const test = affixTest(op, inner, where);
      return anyString((s) => !test(s));
    }
    case 'equals-ignore-case': {
      const list = stringList(inner, where, op).map((s) => s.toLowerCase());
      return anyString((s) => !list.includes(s.toLowerCase()));
    }
    case 'wildcard': {
      const res = stringList(inner, where, op).map((w) => wildcardRegExp(w, where));
      return anyString((s) => !res.some((re) => re.test(s)));
    }
    default:
      throw new PatternError(`${where}: anything-but does not take "${op}"`);
  }
}

function affixTest(op: 'prefix' | 'suffix', arg: unknown, where: string): (s: string) => boolean {
  let ignoreCase = false;
  let affix: string;
  if (isPlainObject(arg)) {
    if (Object.keys(arg).length !== 1 || typeof arg['equals-ignore-case'] !== 'string') {
      throw new PatternError(`${where}: ${op} takes a string or { "equals-ignore-case": string }`);
    }
    ignoreCase = true;
    affix = (arg['equals-ignore-case'] as string).toLowerCase();
  } else {
    affix = stringArg(arg, where, op);
  }
  const starts = op === 'prefix';
  return (s) => {
    const v = ignoreCase ? s.toLowerCase() : s;
    return starts ? v.startsWith(affix) : v.endsWith(affix);
  };
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);

function numericTest(arg: unknown, where: string): (n: number) => boolean {
  const bad = () =>
    new PatternError(`${where}: numeric takes ["op", n] or [">"|">=", low, "<"|"<=", high]`);
  if (!Array.isArray(arg) || (arg.length !== 2 && arg.length !== 4)) throw bad();
  const checks: ((n: number) => boolean)[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const bound = arg[i + 1];
    if (typeof op !== 'string' || typeof bound !== 'number' || !Number.isFinite(bound)) throw bad();
    if (arg.length === 4 && !(i === 0 ? LOWER : UPPER).has(op)) throw bad();
    switch (op) {
      case '<':
        checks.push((n) => n < bound);
        break;
      case '<=':
        checks.push((n) => n <= bound);
        break;
      case '=':
        checks.push((n) => n === bound);
        break;
      case '>':
        checks.push((n) => n > bound);
        break;
      case '>=':
        checks.push((n) => n >= bound);
        break;
      default:
        throw bad();
    }
  }
  return (n) => checks.every((c) => c(n));
}

/**
 * `*` matches any run of characters (including none); `\*` is a literal star and `\\` a
 * literal backslash; any other escape, and `**`, are rejected as EventBridge does.
 */
function wildcardRegExp(pattern: string, where: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new PatternError(`${where}: in a wildcard, a backslash escapes only * or \\`);
      }
      re += escapeRegExp(next);
      i++;
    } else if (ch === '*') {
      if (pattern[i + 1] === '*')
        throw new PatternError(`${where}: a wildcard cannot have consecutive *`);
      re += '.*';
    } else {
      re += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${re}$`, 's');
}

function cidrTest(cidr: string, where: string): (s: string) => boolean {
  const [addr, bitsText, extra] = cidr.split('/');
  const parsed = parseIp(addr);
  const bits = Number(bitsText);
  if (
    !parsed ||
    extra !== undefined ||
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > parsed.width
  ) {
    throw new PatternError(`${where}: "${cidr}" is not a CIDR block`);
  }
  const shift = BigInt(parsed.width - bits);
  const network = parsed.value >> shift;
  return (s) => {
    const ip = parseIp(s);
    return ip !== undefined && ip.width === parsed.width && ip.value >> shift === network;
  };
}

function parseIp(s: string): { value: bigint; width: 32 | 128 } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) {
    const parts = s.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), width: 32 };
  }
  if (!s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return { value: all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n), width: 128 };
}

function anyValue(test: (v: Leaf) => boolean): FieldTest {
  return (values) => values.some(test);
}

function anyString(test: (s: string) => boolean): FieldTest {
  return (values) => values.some((v) => typeof v === 'string' && test(v));
}

function stringArg(arg: unknown, where: string, op: string): string {
  if (typeof arg !== 'string') throw new PatternError(`${where}: ${op} takes a string`);
  return arg;
}

function stringList(arg: unknown, where: string, op: string): string[] {
  const list = Array.isArray(arg) ? arg : [arg];
  if (list.length === 0 || !list.every((s) => typeof s === 'string')) {
    throw new PatternError(`${where}: anything-but ${op} takes a string or a list of strings`);
  }
  return list as string[];
}

function flatten(values: unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

function isLeaf(v: unknown): v is Leaf {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
