// Which sub-page of an area is shown. The areas read the path themselves instead of nesting
// a preact-iso <Router>: that works the same whether app.tsx mounts the area at `/x/*`
// alone or at `/x` as well, and an unknown deeper path is simply a not-found page.

import { useLocation } from "preact-iso";

/** The path's segments after the area's own: `/ring-groups/abc` → `["abc"]`. */
export function useSubPath(): string[] {
  const { path } = useLocation();
  return path.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
}
