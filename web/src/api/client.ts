// The typed API client: every path, parameter and body is checked against the types that
// `npm run gen` generates from `openapi/centralita.json`, so an API change the app does not
// follow fails `npm run build` (and with it `cargo build`).

import createClient from "openapi-fetch";
import type { components, paths } from "../../gen/schema";
import { authFetch } from "./session";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

// Absolute URLs of this origin (the same thing in a browser; needed where `Request` wants
// absolute URLs, as under Node in the unit tests).
export const api = createClient<paths>({
  baseUrl: typeof location !== "undefined" ? location.origin : "",
  fetch: authFetch,
});

/** `If-Match` for a resource at `version` (the API's ETags are the quoted version). */
export function ifMatch(version: number): { "If-Match": string } {
  return { "If-Match": `"${version}"` };
}
