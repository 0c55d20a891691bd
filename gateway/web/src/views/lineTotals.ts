// An order line's amounts, computed the way the orders service does: quantity × price
// rounded half up to the currency's minor unit, then the discount and the tax on the
// rounded amounts, each rounded half up. Exact decimals (BigInt), never floats.

/** Currencies without a minor unit (as the orders service knows them). */
const ZERO_DECIMAL = new Set(["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]);

interface Dec {
  units: bigint;
  scale: number;
}

/** "12.5" → {125n, 1}; null when it is not a plain decimal number. */
export function parseDecimal(text: unknown): Dec | null {
  if (typeof text === "number") text = String(text);
  if (typeof text !== "string") return null;
  const match = /^\s*(-)?(\d*)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (!match[2] && !match[3])) return null;
  const fraction = match[3] ?? "";
  const units = BigInt((match[2] || "0") + fraction);
  return { units: match[1] ? -units : units, scale: fraction.length };
}

/** Round a decimal half up (away from zero) to `digits` places, as whole minor units. */
function roundTo(value: Dec, digits: number): bigint {
  if (value.scale <= digits) return value.units * 10n ** BigInt(digits - value.scale);
  const divisor = 10n ** BigInt(value.scale - digits);
  const negative = value.units < 0n;
  const abs = negative ? -value.units : value.units;
  const rounded = (abs + divisor / 2n) / divisor;
  return negative ? -rounded : rounded;
}

export function minorDigits(currency: string | null | undefined): number {
  return ZERO_DECIMAL.has((currency ?? "").toUpperCase()) ? 0 : 2;
}

/** Whole minor units back to the API's decimal string. */
export function unitsText(units: bigint, digits: number): string {
  if (digits === 0) return units.toString();
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(digits);
  return `${negative ? "-" : ""}${abs / base}.${(abs % base).toString().padStart(digits, "0")}`;
}

export interface LineAmounts {
  amount: bigint;
  discount: bigint;
  net: bigint;
  tax: bigint;
  total: bigint;
}

export interface LineInput {
  quantity?: unknown;
  price?: unknown;
  discount?: unknown;
  tax_rate?: unknown;
}

/** One line's amounts in minor units; null while a number is missing or malformed. */
export function lineAmounts(line: LineInput, currency: string | null | undefined): LineAmounts | null {
  const digits = minorDigits(currency);
  const quantity = parseDecimal(line.quantity);
  const price = parseDecimal(line.price);
  const discount = line.discount === undefined || line.discount === null || line.discount === "" ? { units: 0n, scale: 0 } : parseDecimal(line.discount);
  const taxRate = line.tax_rate === undefined || line.tax_rate === null || line.tax_rate === "" ? { units: 0n, scale: 0 } : parseDecimal(line.tax_rate);
  if (!quantity || !price || !discount || !taxRate) return null;
  const amount = roundTo({ units: quantity.units * price.units, scale: quantity.scale + price.scale }, digits);
  // amount (minor units, `digits` places) × percent / 100
  const percentOf = (base: bigint, rate: Dec) => roundTo({ units: base * rate.units, scale: digits + rate.scale + 2 }, digits);
  const discountAmount = percentOf(amount, discount);
  const net = amount - discountAmount;
  const tax = percentOf(net, taxRate);
  return { amount, discount: discountAmount, net, tax, total: net + tax };
}

export interface OrderTotals {
  subtotal: string;
  discount_total: string;
  tax_total: string;
  total: string;
}

/** The order's totals: the sums of its lines' rounded amounts; null while a line is incomplete. */
export function orderTotals(lines: LineInput[], currency: string | null | undefined): OrderTotals | null {
  const digits = minorDigits(currency);
  let subtotal = 0n;
  let discount = 0n;
  let tax = 0n;
  for (const line of lines) {
    const amounts = lineAmounts(line, currency);
    if (!amounts) return null;
    subtotal += amounts.amount;
    discount += amounts.discount;
    tax += amounts.tax;
  }
  return {
    subtotal: unitsText(subtotal, digits),
    discount_total: unitsText(discount, digits),
    tax_total: unitsText(tax, digits),
    total: unitsText(subtotal - discount + tax, digits),
  };
}
