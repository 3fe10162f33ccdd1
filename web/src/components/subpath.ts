// Which sub-page of an area is shown, read from the whole path rather than a nested
// preact-iso <Router>: it works the same however app.tsx mounts the area (`/x/*` alone, or
// `/x` as well), and a deeper unknown path is simply a not-found page.

import { useLocation } from "preact-iso";

/** The path's segments after the area's own: `/ring-groups/abc` → `["abc"]`, `/users` → `[]`. */
export function useSubPath(): string[] {
  const { path } = useLocation();
  return path.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
}

/** Whether a path segment is an object id (a UUID), not a word like `new`. */
export const isUuid = (segment: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment);
