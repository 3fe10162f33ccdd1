import { useT } from "../i18n";

/** Shown for an unknown path and for any object the API answers 404 for, including one of
 * another tenant: the app never says whether it exists. */
export function NotFound() {
  const t = useT();
  return (
    <section class="not-found">
      <h1>{t("notFound")}</h1>
      <p>{t("notFoundText")}</p>
      <a href="/">{t("backHome")}</a>
    </section>
  );
}
