/**
 * The head of a console table (`<table class="… responsive">`): its caption, for screen
 * readers only (on screen the page's headings say what it lists), then one `<th
 * scope="col">` a column and, for a table whose last column holds each row's buttons or links, a
 * header there whose name "Actions" only screen readers read. One component, so every table
 * names itself and its columns the same way. Each row's cells still carry their own `data-label`
 * (the narrow layout's labels, styles.css): keep them the same as `columns`.
 */

export interface TableHeadProps {
  /** What the table lists, e.g. "Webhook endpoints, oldest first". */
  caption: string;
  /** The columns' headers, in order, without the actions column. */
  columns: readonly string[];
  /** Whether the last column holds the rows' buttons or links (a header named "Actions"). */
  actions?: boolean | undefined;
}

/** A table's visually hidden caption and its `<thead>`. */
export function TableHead({ caption, columns, actions }: TableHeadProps) {
  return (
    <>
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
          {actions ? (
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
    </>
  );
}
