import { describe, expect, it } from 'vitest';
import type { Status } from '../api/client';
import { deleteLabels, statusSnippet } from './statusText';

const s = (id: number, text: string, created_at = '2026-11-26T11:05:37Z'): Status => ({ id, text, created_at });

describe('statusSnippet', () => {
  it('keeps the first words on one line', () => {
    expect(statusSnippet('Hello')).toBe('Hello');
    expect(statusSnippet('  Shipped it!\nSmall things, done well. ')).toBe('Shipped it! Small things, done well.');
    expect(statusSnippet('one two three four five six seven')).toBe('one two three four five six…');
    expect(statusSnippet('x'.repeat(60))).toBe(`${'x'.repeat(40)}…`);
    expect(statusSnippet(' \n ')).toBe('(empty)');
  });
});

describe('deleteLabels', () => {
  const time = (iso: string) => `T${iso.slice(11, 16)}`;

  it('names each button by its status', () => {
    const labels = deleteLabels([s(2, 'Lunch by the river'), s(1, 'Hello')], time);
    expect([...labels.values()]).toEqual(['Delete status: Lunch by the river', 'Delete status: Hello']);
  });

  it('tells alike statuses apart by time, then by number', () => {
    const labels = deleteLabels(
      [s(4, 'Same', '2026-11-26T12:00:00Z'), s(3, 'Same', '2026-11-26T11:00:00Z'), s(2, 'Same', '2026-11-26T11:00:00Z'), s(1, 'Other')],
      time,
    );
    expect(labels.get(4)).toBe('Delete status: Same, posted T12:00');
    expect(labels.get(3)).toBe('Delete status: Same, posted T11:00 (1)');
    expect(labels.get(2)).toBe('Delete status: Same, posted T11:00 (2)');
    expect(labels.get(1)).toBe('Delete status: Other');
  });
});
