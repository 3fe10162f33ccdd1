// Money as the API gives it: exact decimal strings with their currency. Never parsed into a
// float (which would round sub-cent fees and rates) and never recomputed here.

/** An amount exactly as the API wrote it, with its currency: `100.50 EUR`. */
export function money(amount: string, currency: string): string {
  return `${amount} ${currency}`;
}

/** Whether a decimal string is below zero (by its sign, not by converting it). */
export const isNegative = (amount: string) => /^\s*-/.test(amount) && /[1-9]/.test(amount);
