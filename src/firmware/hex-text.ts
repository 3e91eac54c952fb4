// How firmware messages write numbers: upper-case hexadecimal, as datasheets, avrdude and the
// Intel HEX format print them — addresses `0x7E00`, bytes `1E`, signatures `1E 95 0F`.

/** `value` as `digits` upper-case hex digits, no prefix: `hexDigits(0x1e, 2)` is `1E`. */
export function hexDigits(value: number, digits: number): string {
  return value.toString(16).toUpperCase().padStart(digits, '0');
}

/** `value` with a `0x` prefix, at least `digits` digits (4: an address): `0x7E00`. */
export function hexValue(value: number, digits = 4): string {
  return `0x${hexDigits(value, digits)}`;
}

/** Bytes as `1E 95 0F`. */
export function hexBytes(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => hexDigits(b, 2)).join(' ');
}
