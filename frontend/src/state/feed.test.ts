import { describe, expect, it } from 'vitest';
import type { Status } from '../api/client';
import { feedReducer, hasMore, initialFeed, mergeStatuses, nextQuery, type FeedState } from './feed';

const s = (id: number): Status => ({ id, text: `status ${id}`, created_at: '2026-11-26T11:05:37Z' });
const ids = (state: FeedState) => state.items.map((x) => x.id);
const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => s(from - i));

describe('feedReducer', () => {
  it('loads the first page, then older pages until next_before is null', () => {
    let state = feedReducer(initialFeed, { type: 'load-first' });
    expect(state.loading).toBe('first');
    expect(hasMore(state)).toBe(false);
    expect(nextQuery(state, true)).toEqual({ limit: 20 });

    state = feedReducer(state, { type: 'page-loaded', first: true, page: { items: range(45, 26), next_before: 26 } });
    expect(state.loaded).toBe(true);
    expect(state.loading).toBe('none');
    expect(ids(state)).toHaveLength(20);
    expect(hasMore(state)).toBe(true);
    expect(nextQuery(state, false)).toEqual({ limit: 20, before: 26 });

    state = feedReducer(state, { type: 'load-more' });
    expect(state.loading).toBe('more');
    // A second click while loading changes nothing.
    expect(feedReducer(state, { type: 'load-more' })).toBe(state);

    state = feedReducer(state, { type: 'page-loaded', first: false, page: { items: range(25, 6), next_before: 6 } });
    state = feedReducer(state, { type: 'load-more' });
    state = feedReducer(state, { type: 'page-loaded', first: false, page: { items: range(5, 1), next_before: null } });
    expect(ids(state)).toEqual(range(45, 1).map((x) => x.id));
    expect(hasMore(state)).toBe(false);
    expect(feedReducer(state, { type: 'load-more' })).toBe(state);
  });

  it('has an empty state', () => {
    const state = feedReducer(feedReducer(initialFeed, { type: 'load-first' }), {
      type: 'page-loaded',
      first: true,
      page: { items: [], next_before: null },
    });
    expect(state.loaded).toBe(true);
    expect(state.items).toEqual([]);
    expect(hasMore(state)).toBe(false);
  });

  it('puts a new status on top at once, without duplicates', () => {
    let state = feedReducer(initialFeed, { type: 'page-loaded', first: true, page: { items: [s(3), s(2)], next_before: 2 } });
    state = feedReducer(state, { type: 'posted', status: s(10) });
    expect(ids(state)).toEqual([10, 3, 2]);
    state = feedReducer(state, { type: 'posted', status: s(10) });
    expect(ids(state)).toEqual([10, 3, 2]);
    expect(state.nextBefore).toBe(2);
  });

  it('keeps statuses posted while the first page was loading', () => {
    let state = feedReducer(initialFeed, { type: 'load-first' });
    state = feedReducer(state, { type: 'posted', status: s(9) });
    state = feedReducer(state, { type: 'page-loaded', first: true, page: { items: [s(8), s(7)], next_before: null } });
    expect(ids(state)).toEqual([9, 8, 7]);
    // ...or when the page already contains it.
    state = feedReducer(feedReducer(initialFeed, { type: 'posted', status: s(9) }), {
      type: 'page-loaded',
      first: true,
      page: { items: [s(9), s(8)], next_before: null },
    });
    expect(ids(state)).toEqual([9, 8]);
  });

  it('records a failure and allows a retry', () => {
    let state = feedReducer(initialFeed, { type: 'load-first' });
    state = feedReducer(state, { type: 'load-failed', message: 'The service is temporarily unavailable.' });
    expect(state).toMatchObject({ loading: 'none', loaded: false, error: 'The service is temporarily unavailable.' });
    state = feedReducer(state, { type: 'load-first' });
    expect(state.error).toBeNull();
  });
});

describe('mergeStatuses', () => {
  it('sorts newest first and dedupes by id', () => {
    expect(mergeStatuses([s(1), s(3)], [s(2), s(3)]).map((x) => x.id)).toEqual([3, 2, 1]);
  });
});
