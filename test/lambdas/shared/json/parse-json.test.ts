import {
  assertJsonDepth,
  JsonTooDeepError,
  jsonTextDepth,
  jsonValueDepth,
  MAX_JSON_DEPTH,
  parseJson,
} from '../../../../lambdas/shared/json/parse-json';

/** `{"a":{"a":…1…}}` nested `depth` levels. */
function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

describe('jsonTextDepth', () => {
  it('counts nested objects and arrays, and nothing for a scalar', () => {
    expect(jsonTextDepth('1')).toBe(0);
    expect(jsonTextDepth('{}')).toBe(1);
    expect(jsonTextDepth('{"a":[1,{"b":[]}],"c":{}}')).toBe(4);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonTextDepth('{"a":"[[[{{{","b":"\\"[[["}')).toBe(1);
  });

  it('measures 5,000 levels without recursion', () => {
    expect(jsonTextDepth(nestedObjects(5000))).toBe(5000);
  });
});

describe('parseJson', () => {
  it('parses JSON within the limit', () => {
    expect(parseJson(nestedObjects(MAX_JSON_DEPTH))).toBeDefined();
    expect(parseJson('{"a":[1,2]}')).toEqual({ a: [1, 2] });
  });

  it('rejects JSON nested deeper than the limit, naming the limit, the depth and the fix', () => {
    expect(() => parseJson(nestedObjects(5000), { what: 'the execution input' })).toThrow(
      new JsonTooDeepError('the execution input', 5000, MAX_JSON_DEPTH),
    );
    expect(() => parseJson('[[[]]]', { maxDepth: 2 })).toThrow(
      'the JSON document nests objects and arrays 3 levels deep, deeper than the limit of 2: flatten it to at most 2 levels',
    );
  });

  it('rejects text that is not JSON with the SyntaxError JSON.parse throws', () => {
    expect(() => parseJson('{"a":')).toThrow(SyntaxError);
  });
});

describe('assertJsonDepth', () => {
  it('measures parsed values with an explicit stack', () => {
    const deep = JSON.parse(nestedObjects(5000));

    expect(jsonValueDepth(deep)).toBe(5000);
    expect(jsonValueDepth([1, { a: [] }])).toBe(3);
    expect(jsonValueDepth('text')).toBe(0);
  });

  it('rejects a parsed value nested deeper than the limit', () => {
    expect(() => assertJsonDepth(JSON.parse(nestedObjects(5000)), { what: 'the payload' })).toThrow(
      'the payload nests objects and arrays 5000 levels deep, deeper than the limit of 100',
    );
    expect(() => assertJsonDepth({ a: { b: 1 } })).not.toThrow();
  });
});
