import fc from 'fast-check';

/**
 * The seed every property here runs with: the same requests on every run. fast-check prints the seed
 * (and the path of the failing case) when a property fails; `WAGGLE_FUZZ_SEED=<seed>` replays that run.
 */
const FUZZ_SEED = Number(process.env.WAGGLE_FUZZ_SEED ?? 20_260_611);

/** fast-check parameters: the fixed seed and a bounded number of runs. */
export function fuzzRuns(numRuns: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns };
}

/** Text PostgreSQL cannot store: NUL, and UTF-16 surrogates without their other half. */
export const POISONS = {
  nul: '\u0000',
  loneHigh: '\ud800',
  lastHigh: '\udbff',
  loneLow: '\udc00',
  lastLow: '\udfff',
  swappedPair: '\udc00\ud800',
  highAtEnd: 'ok\ud83d',
} as const;
export type PoisonName = keyof typeof POISONS;

/** A string with one poison somewhere in it (by name, so a counterexample reads well). */
export interface PoisonedText {
  before: string;
  poison: PoisonName;
  after: string;
}

export const poisonedText: fc.Arbitrary<PoisonedText> = fc.record({
  before: fc.string({ maxLength: 6 }),
  poison: fc.constantFrom(...(Object.keys(POISONS) as PoisonName[])),
  after: fc.string({ maxLength: 6 }),
});

export function textOf(p: PoisonedText): string {
  return `${p.before}${POISONS[p.poison]}${p.after}`;
}

/**
 * How the JSON text carries the poison: as JSON.stringify writes it (`\u0000`, `\ud800`), or with the
 * escapes' hex digits in upper case (`\uD800`), which a parser must read the same.
 */
export type Spelling = 'stringify' | 'upperEscapes';
export const spelling: fc.Arbitrary<Spelling> = fc.constantFrom('stringify', 'upperEscapes');

export function jsonText(value: unknown, how: Spelling = 'stringify'): string {
  const text = JSON.stringify(value);
  return how === 'upperEscapes'
    ? text.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`)
    : text;
}

/** One step down a nested value: a member name or an array index. */
export type Step = string | number;

// Member names a subtree is hung under: short, with the characters a JSON pointer escapes.
const memberName = fc.oneof(
  fc.constantFrom('a', 'b~c', 'd/e', 'x y', '0', ''),
  fc.string({ minLength: 1, maxLength: 4 }),
);

/** A path down a fresh subtree, up to five steps. */
export const subtreePath: fc.Arbitrary<Step[]> = fc.array(fc.oneof(memberName, fc.nat({ max: 3 })), {
  maxLength: 5,
});

/** The subtree that leads down `path` to `leaf` (arrays are padded with harmless items before the index). */
export function subtreeOf(path: Step[], leaf: unknown): unknown {
  let value = leaf;
  for (let i = path.length - 1; i >= 0; i--) {
    const step = path[i] as Step;
    value =
      typeof step === 'number'
        ? [...Array.from({ length: step }, (_, k) => `item-${k}`), value]
        : { [step]: value };
  }
  return value;
}

/** The JSON pointer of `path` below `base`. */
export function pointerOf(base: string, path: Step[]): string {
  return path.reduce<string>(
    (at, step) => `${at}/${typeof step === 'number' ? step : step.replace(/~/g, '~0').replace(/\//g, '~1')}`,
    base,
  );
}

/** Sets the member `pointer` names (creating objects on the way) in a copy of `body`. */
export function withValueAt(
  body: Record<string, unknown>,
  pointer: string,
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(body);
  const tokens = pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  let parent: Record<string, unknown> = copy;
  for (const token of tokens.slice(0, -1)) {
    const next = parent[token];
    if (next === null || typeof next !== 'object') {
      Object.defineProperty(parent, token, {
        value: {},
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    parent = parent[token] as Record<string, unknown>;
  }
  const last = tokens[tokens.length - 1] as string;
  // defineProperty, so a member named __proto__ is a member and not the prototype.
  Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** Byte sequences that are not UTF-8: stray continuations, overlongs, surrogates, past U+10FFFF, cut short. */
export const MALFORMED_UTF8: Record<string, number[]> = {
  strayContinuation: [0x80],
  lastContinuation: [0xbf],
  overlongSlash: [0xc0, 0xaf],
  overlongC1: [0xc1, 0xbf],
  overlongThree: [0xe0, 0x80, 0xaf],
  surrogateHigh: [0xed, 0xa0, 0x80],
  surrogateLow: [0xed, 0xbf, 0xbf],
  pastMax: [0xf4, 0x90, 0x80, 0x80],
  leadF5: [0xf5, 0x80, 0x80, 0x80],
  byteFE: [0xfe],
  byteFF: [0xff],
  cutTwo: [0xe2, 0x82],
  cutThree: [0xf0, 0x9f, 0x98],
  latin1e: [0xe9],
};
export const malformedUtf8 = fc.constantFrom(...Object.keys(MALFORMED_UTF8));

/** Numbers JSON can spell that a double cannot hold exactly, or at all. */
const HOSTILE_NUMBERS = [
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '-0.0e0',
  '18446744073709551616',
  '-9223372036854775809',
  '9007199254740993',
  '0.1e1',
  '1E+2',
  '4'.repeat(400),
  `0.${'0'.repeat(300)}1`,
  `-${'9'.repeat(1000)}.${'9'.repeat(1000)}e-99999`,
];
export const hostileNumber = fc.constantFrom(...HOSTILE_NUMBERS);

/** Member names that mean something to a JavaScript object. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
export const prototypeKey = fc.constantFrom(...PROTOTYPE_KEYS);

/** Content types a JSON body should not be sent with, and some odd spellings of the right one. */
const CONTENT_TYPES = [
  undefined,
  '',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset="utf-8"',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/jsonx',
  'application/',
  ';;;',
  'application/xml',
  'application/cloudevents+json; charset=utf-8',
];
export const contentType = fc.constantFrom(...CONTENT_TYPES);

/** Authorization header values that carry no usable key. */
export const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constantFrom(
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Bearer  ',
    'bearer',
    'Basic dXNlcjpwYXNz',
    'Bearer a b',
    'Token abc',
    'Bearer wgl_',
    'Bearer wgl_not-a-key',
    `Bearer ${'A'.repeat(4_000)}`,
    'Bearer \u00e9\u00e8',
    'Bearer ../../etc/passwd',
    "Bearer ' OR '1'='1",
    'Bearer %00',
  ),
  fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 40 }),
);

// A string no template holds, standing in for raw bytes until the JSON text is made.
const SENTINEL = '\u2063hostile\u2063';

/** Where `spliced` puts its raw text. */
export type SpliceAt =
  /** As the whole value of the member `pointer` names. */
  | { value: string }
  /** Inside the string value of the member `pointer` names. */
  | { inString: string }
  /** Inside the name of a new member of the object `pointer` names. */
  | { inName: string }
  /** As members of their own (`"k":1,"k":2`) in the object `pointer` names. */
  | { members: string };

/**
 * The JSON text of `body` with `raw` (bytes, or JSON text) put exactly where `at` says: for what
 * JSON.stringify cannot write (malformed UTF-8, 10,000 levels, 1e400, a member twice).
 */
export function spliced(body: unknown, at: SpliceAt, raw: Buffer | string): Buffer {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const doc = body as Record<string, unknown>;
  let text: string;
  let marker: string;
  if ('value' in at) {
    text = JSON.stringify(withValueAt(doc, at.value, SENTINEL));
    marker = JSON.stringify(SENTINEL);
  } else if ('inString' in at) {
    text = JSON.stringify(withValueAt(doc, at.inString, `a${SENTINEL}b`));
    marker = SENTINEL;
  } else if ('inName' in at) {
    text = JSON.stringify(withValueAt(doc, `${at.inName}/k${SENTINEL}`, 'v'));
    marker = SENTINEL;
  } else {
    text = JSON.stringify(withValueAt(doc, `${at.members}/${SENTINEL}`, 0));
    marker = `${JSON.stringify(SENTINEL)}:0`;
  }
  const cut = text.indexOf(marker);
  return Buffer.concat([
    Buffer.from(text.slice(0, cut), 'utf8'),
    bytes,
    Buffer.from(text.slice(cut + marker.length), 'utf8'),
  ]);
}

/** Nested arrays, objects, or both taking turns, `depth` levels deep, as JSON text. */
export function nestedText(depth: number, shape: 'arrays' | 'objects' | 'mixed'): string {
  if (shape === 'arrays') return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  if (shape === 'objects') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const half = Math.ceil(depth / 2);
  return `${'[{"a":'.repeat(half)}1${'}]'.repeat(half)}`;
}
