import { MAX_PRICE_CENTS, MIN_PRICE_CENTS } from '../../common/src/money/money';
import { MAX_PRICE, MIN_PRICE } from '@/lib/price-range';

describe('the sell form’s price range', () => {
  it('when the API’s chargeable range is read, then the form’s bounds are the same amounts in dollars', () => {
    expect(Math.round(MIN_PRICE * 100)).toBe(MIN_PRICE_CENTS);
    expect(Math.round(MAX_PRICE * 100)).toBe(MAX_PRICE_CENTS);
  });
});
