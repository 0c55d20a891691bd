// The HTTP client: same-origin requests carrying the session cookie, JSON in and out,
// RFC 9457 problem+json errors turned into ApiError, and one hook for a lost session.
// The API's types come from its OpenAPI document (`npm run api-types` → openapi.d.ts).

import type { components, paths } from "./openapi";

/** Every model of the API by its name, e.g. `Schemas["LeadOut"]`. */
export type Schemas = components["schemas"];
/** Every path of the API and its operations. */
export type ApiPaths = paths;
/** A problem as the API sends it (RFC 9457), with the extensions it may carry. */
export type Problem = Schemas["Problem"] & Partial<Pick<Schemas["ConflictProblem"], "candidates">>;
export type FieldError = Schemas["FieldProblem"];
/** What a collection answers: `{items, next_cursor}` (plus `total` on some). */
export type Page<T> = { items: T[]; next_cursor?: string | null };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string | null,
    readonly errors: FieldError[],
    /** The whole problem+json body (extension members such as `candidates`). */
    readonly problem: Partial<Problem> & Record<string, unknown> = {},
  ) {
    super(detail || title || `HTTP ${status}`);
  }

  /** The problem type's last path segment, e.g. "duplicates". */
  get kind(): string {
    const type = typeof this.problem.type === "string" ? this.problem.type : "";
    return type.split("/").filter(Boolean).pop() ?? "";
  }

  /** The messages for one field, e.g. "email". */
  forField(field: string): string[] {
    return this.errors.filter((e) => e.field === field).map((e) => e.message);
  }
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  etag: string | null;
}

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** A 401 is an answer (signing in), not a lost session. */
  expect401?: boolean;
}

export const BASE = "/api/v1";

let onUnauthenticated: (() => void) | null = null;

/** Called whenever the server says the session is gone (401). */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(BASE + path, {
      method: options.method ?? "GET",
      headers,
      body,
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "network", null, []);
  }
  const text = await response.text();
  let payload: unknown = null;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
  }
  if (!response.ok) {
    const problem = (payload ?? {}) as Partial<Problem>;
    const error = new ApiError(
      response.status,
      problem.title ?? response.statusText,
      problem.detail ?? null,
      Array.isArray(problem.errors) ? problem.errors : [],
      payload && typeof payload === "object" ? (payload as Record<string, unknown>) : {},
    );
    if (response.status === 401 && !options.expect401) onUnauthenticated?.();
    throw error;
  }
  return { data: payload as T, status: response.status, etag: response.headers.get("ETag") };
}

export async function get<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await request<T>(path, { signal })).data;
}

/** The If-Match header for a version (none when it is unknown). */
export function ifMatch(version: number | null | undefined): Record<string, string> {
  return typeof version === "number" ? { "If-Match": `"${version}"` } : {};
}

/** The version an ETag carries: `"3"` or `W/"3"` → 3. */
export function versionOfEtag(etag: string | null): number | null {
  if (!etag) return null;
  const digits = etag.replace(/^W\//, "").replace(/"/g, "");
  return /^\d+$/.test(digits) ? Number(digits) : null;
}
