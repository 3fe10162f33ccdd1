// Who is signed in, shared by every page.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Schemas } from "./api/client";

export type Me = Schemas["MeView"];

export const MeContext = createContext<Me | null>(null);

/** The signed-in caller; pages are only rendered once it is known. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside a signed-in page");
  return me;
}

export const isPartner = (me: Me) => me.role === "partner_admin" || me.role === "platform_admin";
export const isTenantAdmin = (me: Me) =>
  me.role === "tenant_admin" || me.role === "partner_admin" || me.role === "platform_admin";
