// A region is checked by its form (src/inventory/region.ts), not against a list: every region AWS has, and
// any it opens next (or the lab's), is AREA[-QUALIFIER]-DIRECTION-N. A typo in the direction (us-eest-1) is
// refused, with a suggestion, in the inventory at its file:line as on the command line.
import { describe, expect, test } from 'vitest';
import { isRegion, regionProblem } from '../../src/inventory/region.js';
import { expectAt, MINIMAL, onlyProblem, problemsOf } from './helpers.js';

describe('well-formed regions are accepted, listed or not', () => {
  test.each([
    'us-east-1',
    'ap-northeast-1',
    'eu-west-3',
    'us-gov-west-1',
    'us-iso-east-1',
    'us-isob-east-1',
    'cn-northwest-1',
    'il-central-1',
    'mx-central-1',
    'ap-southeast-7',
    'eusc-de-east-1',
    'ca-west-1',
    // Not a region today, but shaped like one: accepted, so a new region needs no new stns-fleet.
    'sa-west-4',
  ])('%s', (r) => {
    expect(isRegion(r)).toBe(true);
    expect(regionProblem(r)).toBeUndefined();
  });
});

describe('malformed ones are refused, saying why', () => {
  test.each([
    ['us-eest-1', '"us-eest-1" is not an AWS region name (did you mean us-east-1?)'],
    ['ap-nrotheast-1', '"ap-nrotheast-1" is not an AWS region name (did you mean ap-northeast-1?)'],
    ['US-EAST-1', '"US-EAST-1" is not an AWS region name (did you mean us-east-1?)'],
    ['us-foo-1', '"us-foo-1" is not an AWS region name: "foo" is not a direction (north, south, east, west, central, northeast, northwest, southeast, southwest), as in ap-northeast-1 or us-gov-west-1'],
    ['tokyo', '"tokyo" is not an AWS region name (such as ap-northeast-1)'],
    ['us-east', '"us-east" is not an AWS region name (such as ap-northeast-1)'],
    ['us-east-0', '"us-east-0" is not an AWS region name (such as ap-northeast-1)'],
  ])('%s', (r, message) => {
    expect(isRegion(r)).toBe(false);
    expect(regionProblem(r)).toBe(message);
  });
});

test("the inventory's aws.region: the problem at its line and column, with the suggestion", () => {
  const p = onlyProblem(MINIMAL.replace('region: ap-northeast-1', 'region: us-eest-1'));
  expectAt(p, 3, 11, 'aws.region', '"us-eest-1" is not an AWS region name (did you mean us-east-1?)');
});

test('the lab\'s and every documented region still validate', () => {
  for (const r of ['us-east-1', 'ap-northeast-1', 'eu-west-1']) expect(problemsOf(MINIMAL.replace('ap-northeast-1', r))).toEqual([]);
});
