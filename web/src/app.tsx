// The app shell: restores the session from its cookie, loads who is signed in, and shows
// the sign-in page or the signed-in layout with the router.

import { useEffect, useState } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { api } from "./api/client";
import { onSessionChange, refresh, setActingReason, signOut } from "./api/session";
import { ActingBanner } from "./components/ActingBanner";
import { LOCALES, LocaleContext, storeLocale, storedLocale, translate, type Locale } from "./i18n";
import { ApiKeys } from "./pages/ApiKeys";
import { Audit } from "./pages/Audit";
import { OutboundRoutes } from "./pages/OutboundRoutes";
import { Queues } from "./pages/Queues";
import { ChildBilling } from "./pages/partner/ChildBilling";
import { Revenue } from "./pages/partner/Revenue";
import { partnerRoutes } from "./pages/partner/routes";
import { Conferences } from "./pages/Conferences";
import { Dashboard } from "./pages/Dashboard";
import { Support } from "./pages/Support";
import { Users } from "./pages/Users";
import { Voicemail } from "./pages/Voicemail";
import { Calls, MyCalls } from "./pages/Calls";
import { RingGroups } from "./pages/RingGroups";
import { IvrMenus } from "./pages/IvrMenus";
import { Dids } from "./pages/Dids";
import { TimeConditions } from "./pages/TimeConditions";
import { Billing } from "./pages/Billing";
import { ExtensionPage } from "./pages/ExtensionPage";
import { Extensions } from "./pages/Extensions";
import { MyPhones } from "./pages/MyPhones";
import { MyVoicemail } from "./pages/MyVoicemail";
import { NotFound } from "./pages/NotFound";
import { SignIn } from "./pages/SignIn";
import { Tenants } from "./pages/Tenants";
import { ActingContext, MeContext, isPartner, isStaff, isTenantAdmin, type Acting, type Me } from "./state";

type Phase = { at: "starting" } | { at: "signed-out" } | { at: "signed-in"; me: Me };

export function App() {
  const [phase, setPhase] = useState<Phase>({ at: "starting" });
  const [locale, setLocaleState] = useState<Locale>(storedLocale(undefined));
  const [acting, setActing] = useState<Acting | null>(null);

  const loadMe = async () => {
    const { data } = await api.GET("/v1/me").catch(() => ({ data: undefined }));
    if (data) {
      // The language the user chose, kept with their account; else this browser's last.
      setLocaleState(data.user?.locale ?? storedLocale(data.id));
      setPhase({ at: "signed-in", me: data });
    } else setPhase({ at: "signed-out" });
  };

  useEffect(() => {
    void refresh().then((ok) => (ok ? loadMe() : setPhase({ at: "signed-out" })));
    return onSessionChange((signedIn) => {
      if (!signedIn) {
        setActing(null);
        setActingReason(null);
        setPhase({ at: "signed-out" });
      }
    });
  }, []);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // The reason staff stated travels with every call while, and only while, they act inside
  // the tenant they stated it for: opening another tenant starts read-only again.
  useEffect(() => setActingReason(acting?.reason ?? null), [acting]);

  const signedIn = phase.at === "signed-in" ? phase.me : null;
  // Staff inside a tenant see every page as that tenant's.
  const me = signedIn && acting ? { ...signedIn, tenant_id: acting.tenant.id } : signedIn;
  const setLocale = (l: Locale) => {
    storeLocale(signedIn?.id, l);
    setLocaleState(l);
    // Kept per user on the server, so it follows them to other browsers.
    if (signedIn?.user) void api.PATCH("/v1/me", { body: { locale: l } });
  };

  return (
    <LocaleContext.Provider value={{ locale, setLocale }}>
      {phase.at === "starting" && <p aria-busy="true">{translate(locale, "loading")}</p>}
      {phase.at === "signed-out" && <SignIn onSignedIn={loadMe} />}
      {me && (
        <MeContext.Provider value={me}>
          <ActingContext.Provider value={{ acting, setActing }}>
            <LocationProvider>
              <Layout me={me} locale={locale} setLocale={setLocale} />
            </LocationProvider>
          </ActingContext.Provider>
        </MeContext.Provider>
      )}
    </LocaleContext.Provider>
  );
}

function Layout({ me, locale, setLocale }: { me: Me; locale: Locale; setLocale: (l: Locale) => void }) {
  const t = (k: Parameters<typeof translate>[1]) => translate(locale, k);
  const tenantScoped = me.tenant_id != null;
  return (
    <>
      <a class="skip" href="#main">
        {t("skipToContent")}
      </a>
      <header class="top">
        <span class="brand">{t("appName")}</span>
        <nav aria-label={t("menu")}>
          <a href="/">{t("dashboard")}</a>
          {tenantScoped && !isStaff(me) && (
            <>
              <a href="/me/phone">{t("myPhone")}</a>
              <a href="/me/voicemail">{t("myVoicemail")}</a>
              <a href="/me/calls">{t("myCalls")}</a>
            </>
          )}
          {tenantScoped && isTenantAdmin(me) && (
            <>
              <a href="/extensions">{t("extensions")}</a>
              <a href="/users">{t("users")}</a>
              <a href="/voicemail">{t("voicemail")}</a>
              <a href="/ring-groups">{t("ringGroups")}</a>
              <a href="/ivr-menus">{t("ivrMenus")}</a>
              <a href="/queues">{t("queues")}</a>
              <a href="/conferences">{t("conferences")}</a>
              <a href="/time-conditions">{t("timeConditions")}</a>
              <a href="/dids">{t("dids")}</a>
              <a href="/outbound-routes">{t("outboundRoutes")}</a>
              <a href="/calls">{t("calls")}</a>
              <a href="/billing">{t("billing")}</a>
            </>
          )}
          {tenantScoped && isTenantAdmin(me) && <a href="/api-keys">{t("apiKeys")}</a>}
          {tenantScoped && isTenantAdmin(me) && <a href="/audit">{t("audit")}</a>}
          {isPartner(me) && <a href="/tenants">{t("tenants")}</a>}
          {isPartner(me) && tenantScoped && <a href="/rate-decks">{t("rateDecks")}</a>}
          {isPartner(me) && tenantScoped && <a href="/revenue">{t("revenue")}</a>}
          {isStaff(me) && <a href="/support">{t("findCustomer")}</a>}
        </nav>
        <div class="who">
          <label>
            <span class="sr-only">{t("language")}</span>
            <select value={locale} onChange={(e) => setLocale(e.currentTarget.value as Locale)} aria-label={t("language")}>
              {LOCALES.map((l) => (
                <option value={l}>{l === "en" ? "English" : "Español"}</option>
              ))}
            </select>
          </label>
          <span>{me.user?.display_name ?? me.role}</span>
          <button type="button" onClick={() => void signOut()}>
            {t("signOut")}
          </button>
        </div>
      </header>
      <ActingBanner />
      <main id="main" tabIndex={-1}>
        <Router>
          <Route path="/" component={Dashboard} />
          <Route path="/extensions" component={Extensions} />
          <Route path="/extensions/:id" component={ExtensionPage} />
          <Route path="/tenants" component={Tenants} />
          <Route path="/tenants/:id/billing" component={ChildBilling} />
          <Route path="/revenue" component={Revenue} />
          {partnerRoutes.map((r) => (
            <Route path={r.path} component={r.component} />
          ))}
          <Route path="/users" component={Users} />
          <Route path="/users/*" component={Users} />
          <Route path="/voicemail" component={Voicemail} />
          <Route path="/voicemail/*" component={Voicemail} />
          <Route path="/calls" component={Calls} />
          <Route path="/calls/*" component={Calls} />
          <Route path="/ring-groups" component={RingGroups} />
          <Route path="/ring-groups/*" component={RingGroups} />
          <Route path="/ivr-menus" component={IvrMenus} />
          <Route path="/queues" component={Queues} />
          <Route path="/queues/*" component={Queues} />
          <Route path="/conferences" component={Conferences} />
          <Route path="/conferences/*" component={Conferences} />
          <Route path="/ivr-menus/*" component={IvrMenus} />
          <Route path="/dids" component={Dids} />
          <Route path="/dids/*" component={Dids} />
          <Route path="/time-conditions" component={TimeConditions} />
          <Route path="/time-conditions/*" component={TimeConditions} />
          <Route path="/billing" component={Billing} />
          <Route path="/billing/*" component={Billing} />
          <Route path="/me/phone" component={MyPhones} />
          <Route path="/me/voicemail" component={MyVoicemail} />
          <Route path="/me/calls" component={MyCalls} />
          <Route path="/support" component={Support} />
          <Route path="/audit" component={Audit} />
          <Route path="/api-keys" component={ApiKeys} />
          <Route path="/outbound-routes" component={OutboundRoutes} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </>
  );
}
