// The partner's rate-deck pages, as routes the app shell registers. Both patterns go to one
// component, which tells the list from a deck's page by the location itself.
import type { ComponentType } from "preact";
import { RateDecks } from "./RateDecks";

export const partnerRoutes: { path: string; component: ComponentType<any> }[] = [
  { path: "/rate-decks", component: RateDecks },
  { path: "/rate-decks/*", component: RateDecks },
];
