// The list page of one kind of call-flow object (ring groups, IVR menus, queues,
// conferences): a heading, a link to a new one, and a table a page at a time ("More"), each
// row linking by its number to the object's page. Only the columns differ between kinds.

import type { ComponentChildren } from "preact";
import { Show } from "../load";
import type { Paged } from "../people/paged";
import { MoreButton } from "../people/ui";
import { useT } from "../../i18n";

/** Objects per page. */
export const OBJECT_PAGE = 50;

export interface Column<T> {
  header: string;
  cell: (item: T) => ComponentChildren;
}

export function ObjectList<T extends { id: string; number: string; name: string }>(props: {
  title: string;
  /** The kind's path, e.g. `/queues`: `…/new` creates, `…/{id}` opens one. */
  base: string;
  newLabel: string;
  paged: Paged<T>;
  /** The columns after the number and the name. */
  columns: Column<T>[];
}) {
  const { title, base, newLabel, paged, columns } = props;
  const t = useT();
  return (
    <section>
      <h1>{title}</h1>
      <p>
        <a class="cf-button" href={`${base}/new`}>
          {newLabel}
        </a>
      </p>
      <Show value={paged.list}>
        {(items) =>
          items.length === 0 ? (
            <p>{t("noItems")}</p>
          ) : (
            <div class="cf-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("number")}</th>
                    <th scope="col">{t("name")}</th>
                    {columns.map((c) => (
                      <th scope="col">{c.header}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {items.map((x) => (
                    <tr key={x.id}>
                      <td>
                        <a href={`${base}/${x.id}`}>{x.number}</a>
                      </td>
                      <td>{x.name}</td>
                      {columns.map((c) => (
                        <td>{c.cell(x)}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      <MoreButton paged={paged} />
    </section>
  );
}
