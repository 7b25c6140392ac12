import { assertNever } from '../src';

type Outcome = 'locked' | 'released';

function describeOutcome(outcome: Outcome): string {
  switch (outcome) {
    case 'locked':
      return 'held';
    case 'released':
      return 'free';
    default:
      return assertNever(outcome, 'outcome');
  }
}

describe('assertNever, the default of an exhaustive switch', () => {
  it('when every member of the union has its case, then the switch answers for each', () => {
    expect(describeOutcome('locked')).toBe('held');
    expect(describeOutcome('released')).toBe('free');
  });

  it('when a value outside the union reaches the switch at run time, then it throws naming the value', () => {
    expect(() => describeOutcome('sold' as Outcome)).toThrow('unexpected outcome: "sold"');
  });
});
