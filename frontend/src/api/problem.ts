// RFC 9457 problem documents, as every error of the API is one
// (see "Conventions" in API.md), turned into something the UI can show.

export interface ApiProblem {
  /** HTTP status; 0 when the server could not be reached at all. */
  status: number;
  /** Problem type, e.g. "/problems/validation"; "network" without a response. */
  type: string;
  title: string;
  detail?: string;
  /** Field name -> messages, on validation failures (422). */
  errors: Record<string, string[]>;
  /** Seconds from Retry-After (429, 503), when the server sent one. */
  retryAfter?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (header == null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function parseErrors(value: unknown): Record<string, string[]> {
  if (!isRecord(value)) return {};
  const out: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(value)) {
    if (Array.isArray(messages)) {
      const strings = messages.filter((m): m is string => typeof m === 'string');
      if (strings.length) out[field] = strings;
    } else if (typeof messages === 'string') {
      out[field] = [messages];
    }
  }
  return out;
}

/**
 * Builds an ApiProblem from a failed response and its (already parsed) body.
 * Tolerates bodies that are not problem documents (a proxy's HTML page, an
 * empty body): the HTTP status always wins over the body's own `status`.
 */
export function toProblem(response: Pick<Response, 'status' | 'statusText' | 'headers'>, body: unknown): ApiProblem {
  const doc = isRecord(body) ? body : {};
  const problem: ApiProblem = {
    status: response.status,
    type: typeof doc.type === 'string' ? doc.type : 'about:blank',
    title:
      typeof doc.title === 'string' && doc.title
        ? doc.title
        : response.statusText || `HTTP ${response.status}`,
    errors: parseErrors(doc.errors),
  };
  if (typeof doc.detail === 'string' && doc.detail) problem.detail = doc.detail;
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
  if (retryAfter !== undefined) problem.retryAfter = retryAfter;
  return problem;
}

export function networkProblem(error: unknown): ApiProblem {
  return {
    status: 0,
    type: 'network',
    title: 'Network error',
    detail:
      'Could not reach the server. Check your connection and try again.' +
      (error instanceof Error && error.message ? ` (${error.message})` : ''),
    errors: {},
  };
}

/** The problem type's slug: "/problems/email-taken" -> "email-taken". */
export function problemSlug(problem: ApiProblem): string {
  const parts = problem.type.split('/');
  return parts[parts.length - 1] ?? '';
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function retryHint(problem: ApiProblem): string {
  return problem.retryAfter !== undefined ? ` Try again in ${formatSeconds(problem.retryAfter)}.` : ' Try again later.';
}

/** One sentence for a form-level error message. */
export function problemMessage(problem: ApiProblem): string {
  switch (problem.status) {
    case 0:
      return problem.detail ?? problem.title;
    case 429:
      return `Too many attempts.${retryHint(problem)}`;
    case 503:
      return `The service is temporarily unavailable.${retryHint(problem)}`;
    case 500:
      return 'Something went wrong on the server. Please try again.';
    default: {
      const text = problem.detail ?? problem.title;
      return text.endsWith('.') ? text : `${text}.`;
    }
  }
}

/** Messages for one field, or undefined. */
export function fieldError(problem: ApiProblem | null | undefined, field: string): string | undefined {
  const messages = problem?.errors[field];
  return messages && messages.length ? messages.join(' ') : undefined;
}

/** Field errors for fields that the form does not show next to an input. */
export function otherFieldErrors(problem: ApiProblem, shown: readonly string[]): string[] {
  return Object.entries(problem.errors)
    .filter(([field]) => !shown.includes(field))
    .map(([field, messages]) => `${field}: ${messages.join(' ')}`);
}
