// Which sub-page of an area is shown, read from the whole path rather than a nested
// preact-iso <Router>: it works the same however app.tsx mounts the area (`/users/*`,
// `/users` as well, or `/users/:rest*`), and a deeper unknown path is a not-found page.

import { useLocation } from "preact-iso";

/** The path's segments after the area's own: `/users/abc` → `["abc"]`, `/users` → `[]`. */
export function useSubPath(): string[] {
  const { path } = useLocation();
  return path.split("/").filter(Boolean).slice(1).map(decodeURIComponent);
}
