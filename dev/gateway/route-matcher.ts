/**
 * Route selection the way an API Gateway HTTP API does it for explicit routes: the method must
 * be the route's own and every segment must match; `{name}` matches one whole, non-empty
 * segment (never a `/`). One trailing slash is ignored, as API Gateway ignores it. No `ANY`, no
 * greedy `{proxy+}`: infra/routes.ts uses neither.
 */

export interface MatchableRoute {
  method: string;
  /** API Gateway path syntax, e.g. /meta/whatsapp/{version}/{phone_number_id}/username */
  path: string;
}

export interface RouteMatch<R extends MatchableRoute> {
  route: R;
  /** Absent when the route has no parameters, as in API Gateway's event. */
  pathParameters?: Record<string, string>;
}

type Segment = { literal: string } | { param: string };

interface CompiledRoute<R> {
  route: R;
  segments: Segment[];
}

export interface RouteMatcher<R extends MatchableRoute> {
  /** `decodedPath` is the request path after API Gateway's decoding (see request-path.ts). */
  match(method: string, decodedPath: string): RouteMatch<R> | undefined;
}

function compile(path: string): Segment[] {
  return path
    .split("/")
    .slice(1)
    .map((part) => {
      const param = /^\{([A-Za-z0-9_.-]+)\}$/.exec(part);
      if (param?.[1]) return { param: param[1] };
      if (part.includes("{")) throw new Error(`unsupported route path segment "${part}" in ${path}`);
      return { literal: part };
    });
}

export function createRouteMatcher<R extends MatchableRoute>(routes: readonly R[]): RouteMatcher<R> {
  const compiled: CompiledRoute<R>[] = routes.map((route) => ({ route, segments: compile(route.path) }));
  // Literal segments win over parameters (API Gateway picks the most specific route).
  const specificity = (c: CompiledRoute<R>) => c.segments.filter((s) => "literal" in s).length;
  compiled.sort((a, b) => specificity(b) - specificity(a));

  return {
    match(method, decodedPath) {
      // API Gateway selects the route of `//a/b` as if it were `/a/b`, and that of `/a/b/` as if it
      // were `/a/b` (a trailing slash is not part of route selection; the event keeps the raw path).
      const parts = `/${decodedPath.replace(/^\/+/, "").replace(/\/$/, "")}`.split("/").slice(1);
      for (const { route, segments } of compiled) {
        if (route.method !== method || segments.length !== parts.length) continue;
        const params: Record<string, string> = {};
        const matched = segments.every((segment, i) => {
          const part = parts[i] ?? "";
          if ("literal" in segment) return segment.literal === part;
          if (part === "") return false;
          params[segment.param] = part;
          return true;
        });
        if (matched) return Object.keys(params).length > 0 ? { route, pathParameters: params } : { route };
      }
      return undefined;
    },
  };
}
