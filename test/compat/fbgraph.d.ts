/** The slice of fbgraph's API the compatibility suite uses (the package ships no types). */
declare module "fbgraph" {
  type Callback = (error: unknown, result: never) => void;
  interface Fbgraph {
    setGraphUrl(url: string): void;
    /** Without the leading `v`: `"24.0"`. */
    setVersion(version: string): void;
    setAccessToken(token: string | null): void;
    get(path: string, params: Record<string, string>, callback: Callback): void;
    post(path: string, form: Record<string, string>, callback: Callback): void;
    /** A POST with `method=delete`, as Graph takes from clients that cannot send DELETE. */
    del(path: string, form: Record<string, string>, callback: Callback): void;
  }
  const fbgraph: Fbgraph;
  export default fbgraph;
}
