/**
 * The most a bought ticket may be listed again for: the price paid times the cap (RESALE_PRICE_CAP),
 * rounded down to the cent. The cap is held in ten-thousandths so the product is exact integer arithmetic
 * (1005 × 1.1 in floating point is 1105.4999…, or 1105.5000…1, depending on the operands).
 */
export function maxResalePriceCents(pricePaidCents: number, cap: number): number {
  const capTenThousandths = Math.round(cap * 10_000);
  return Math.floor((pricePaidCents * capTenThousandths) / 10_000);
}
