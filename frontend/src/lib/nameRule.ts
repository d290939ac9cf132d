import { NAME_MAX, codePointLength } from './text';

// The display name rule of /register and PATCH /me, checked before sending so
// that the form can say what is wrong at once. The server's 422 still wins.

/** C0 and C1 controls (DEL included): what the server calls control characters. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/** Why `name` would be refused, or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (codePointLength(name) > NAME_MAX) return `Must be at most ${NAME_MAX} characters.`;
  if (CONTROL.test(name)) return 'Must not contain control characters (tabs, line breaks, …).';
  if (name.trim() === '') return 'Must not be empty.';
  return null;
}
