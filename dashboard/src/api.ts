// The one place that talks to the gateway: every request carries the key as a header, never in the URL.

export type Query = Record<string, string | number | null | undefined>;

/** A refused or failed request; status 0 when the gateway could not be reached at all. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }

  /** The key itself is the problem (unknown, revoked, or without the read scope): asking again will not help. */
  get rejectsKey(): boolean {
    return this.status === 401 || this.status === 403;
  }

  static async from(response: Response): Promise<ApiError> {
    let message = `The gateway answered ${response.status} ${response.statusText}.`;
    try {
      const problem = (await response.json()) as { title?: string; detail?: string };
      message = problem.detail ?? problem.title ?? message;
    } catch {
      // Not problem details: the status line says enough.
    }
    return new ApiError(response.status, message);
  }
}

export class Api {
  constructor(readonly base: URL, private readonly key: string) {}

  url(path: string, query: Query = {}): URL {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query)) {
      if (value !== null && value !== undefined && value !== '') url.searchParams.set(name, String(value));
    }
    return url;
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    const response = await this.send(path, query, 'application/json');
    return (await response.json()) as T;
  }

  /** The whole answer as a blob and the file name the gateway suggests: a link cannot carry the key header. */
  async download(path: string, query: Query, fallbackName: string): Promise<{ blob: Blob; fileName: string }> {
    const response = await this.send(path, query, '*/*');
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
    return { blob: await response.blob(), fileName: named?.[1] ? decodeURIComponent(named[1]) : fallbackName };
  }

  async send(path: string, query: Query, accept: string, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.url(path, query), {
        headers: { Authorization: `Bearer ${this.key}`, Accept: accept },
        cache: 'no-store',
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, 'The gateway could not be reached.');
    }
    if (!response.ok) throw await ApiError.from(response);
    return response;
  }
}
