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
export const isStaff = (me: Me) => me.role === "platform_admin" || me.role === "support";
/** Sees the tenant admin's pages (support staff read them, and change only with a reason). */
export const isTenantAdmin = (me: Me) =>
  me.role === "tenant_admin" || me.role === "partner_admin" || isStaff(me);

/**
 * Platform staff working inside one tenant (opened from the support search): every page then
 * works on that tenant, as `me.tenant_id`. `reason` is what support staff stated before
 * changing anything; `null` means read-only.
 */
export interface Acting {
  tenant: Schemas["TenantView"];
  reason: string | null;
}

export const ActingContext = createContext<{
  acting: Acting | null;
  setActing: (a: Acting | null) => void;
}>({ acting: null, setActing: () => {} });

export const useActing = () => useContext(ActingContext);
