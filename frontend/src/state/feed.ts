import type { Status, StatusPage } from '../api/client';

/** The home page's list of the user's statuses, newest first. */
export interface FeedState {
  items: Status[];
  /** `before` for the next (older) page; null when there is none. */
  nextBefore: number | null;
  /** Whether the first page has arrived. */
  loaded: boolean;
  loading: 'none' | 'first' | 'more';
  error: string | null;
}

export type FeedAction =
  | { type: 'load-first' }
  | { type: 'load-more' }
  | { type: 'page-loaded'; page: StatusPage; first: boolean }
  | { type: 'load-failed'; message: string }
  | { type: 'posted'; status: Status };

export const PAGE_SIZE = 20;

export const initialFeed: FeedState = {
  items: [],
  nextBefore: null,
  loaded: false,
  loading: 'none',
  error: null,
};

/** Merges lists by id (later wins), newest (highest id) first. */
export function mergeStatuses(...lists: Status[][]): Status[] {
  const byId = new Map<number, Status>();
  for (const list of lists) for (const s of list) byId.set(s.id, s);
  return [...byId.values()].sort((a, b) => b.id - a.id);
}

export function feedReducer(state: FeedState, action: FeedAction): FeedState {
  switch (action.type) {
    case 'load-first':
      return { ...state, loading: 'first', error: null };
    case 'load-more':
      if (state.loading !== 'none' || state.nextBefore === null) return state;
      return { ...state, loading: 'more', error: null };
    case 'page-loaded': {
      const { page, first } = action;
      // The first page replaces what was loaded (but keeps statuses posted
      // meanwhile); a later page only appends older ones.
      const items = first
        ? mergeStatuses(state.items.filter((s) => page.items.length === 0 || s.id > page.items[0]!.id), page.items)
        : mergeStatuses(state.items, page.items);
      // `?? null`: the contract always sends next_before, but the spec marks it optional.
      return { items, nextBefore: page.next_before ?? null, loaded: true, loading: 'none', error: null };
    }
    case 'load-failed':
      return { ...state, loading: 'none', error: action.message };
    case 'posted':
      return { ...state, items: mergeStatuses([action.status], state.items) };
    default:
      return state;
  }
}

export function hasMore(state: FeedState): boolean {
  return state.loaded && state.nextBefore !== null;
}

/** The query for the next request: the first page, or the one after. */
export function nextQuery(state: FeedState, first: boolean): { limit: number; before?: number } {
  if (first || state.nextBefore === null) return { limit: PAGE_SIZE };
  return { limit: PAGE_SIZE, before: state.nextBefore };
}
