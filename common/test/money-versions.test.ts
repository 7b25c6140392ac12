import { centsFromDecimal, isChargeableAmount, decideVersion, decimalFromCents, isUuid } from '../src';

describe('prices: decimals in the API, integer cents inside', () => {
  it.each([
    [20, 2000],
    [20.5, 2050],
    ['20.50', 2050],
    [0.5, 50],
    [' 7.1 ', 710],
    ['999999.99', 99_999_999],
  ])('when the price is %j, then it is %i cents', (input, cents) => {
    expect(centsFromDecimal(input)).toBe(cents);
  });

  it.each([0, -5, 20.555, '1e3', 'abc', '', null, undefined, Number.NaN, 0.01, 0.49, 1_000_000, 0.1 + 0.2, [], '12.'])(
    'when the price is %j, then it is refused',
    (input) => {
      expect(centsFromDecimal(input)).toBeUndefined();
    },
  );

  it.each([
    [49, false],
    [50, true],
    [99_999_999, true],
    [100_000_000, false],
    [50.5, false],
  ])('when an amount is %i cents, then Stripe can charge it: %s', (cents, chargeable) => {
    expect(isChargeableAmount(cents)).toBe(chargeable);
  });

  it('when cents go back to the API, then they are the same decimal', () => {
    expect(decimalFromCents(2050)).toBe(20.5);
    expect(decimalFromCents(centsFromDecimal('19.99') as number)).toBe(19.99);
  });
});

describe('replica versions', () => {
  it.each([
    [undefined, 0, 'apply'],
    [undefined, 1, 'early'],
    [3, 4, 'apply'],
    [3, 3, 'duplicate'],
    [3, 2, 'duplicate'],
    [3, 5, 'early'],
  ] as const)('when the replica holds %s and version %i arrives, then it is %s', (current, incoming, decision) => {
    expect(decideVersion(current, incoming)).toBe(decision);
  });
});

describe('ids', () => {
  it('when an id is a UUID, then it is accepted; anything else is not', () => {
    expect(isUuid('6f1c8e52-3f0e-4b8a-9d43-0a2b8f3c1d2e')).toBe(true);
    expect(isUuid('6f1c8e52-3f0e-4b8a-9d43-0a2b8f3c1d2')).toBe(false);
    expect(isUuid("1' OR '1'='1")).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
