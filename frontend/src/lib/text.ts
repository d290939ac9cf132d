/** Length in Unicode code points (scalar values), as the API counts. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Length in UTF-8 bytes (the password rule is 8 to 72 bytes). */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

export const STATUS_MAX = 500;
export const NAME_MAX = 64;
export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 72;
export const EMAIL_MAX = 254;

/** A cheap "could be an address" test before asking the server. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+$/.test(value) && codePointLength(value) <= EMAIL_MAX;
}
