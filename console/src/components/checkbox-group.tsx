/**
 * A group of checkboxes in a fieldset: its legend names the choice, each box has its label and a
 * hint, and a problem (e.g. "choose at least one") is said under the group and tied to every box.
 * Native checkboxes: Tab reaches each, Space toggles it.
 */

export interface CheckboxGroupProps<T extends string> {
  /** The group's question, e.g. "What it receives". */
  legend: string;
  /** Prefix of the boxes' ids (`<idPrefix>-<value>`, `<idPrefix>-problem`): unique on the page. */
  idPrefix: string;
  options: readonly { value: T; label: string; hint: string }[];
  values: readonly T[];
  /** What is wrong with the choice, shown under the group (empty: nothing). */
  problem?: string | undefined;
  disabled?: boolean;
  onChange(values: T[]): void;
}

/** The checkboxes of one choice; `onChange` gets the values checked, in the options' order. */
export function CheckboxGroup<T extends string>({
  legend,
  idPrefix,
  options,
  values,
  problem,
  disabled,
  onChange,
}: CheckboxGroupProps<T>) {
  const problemId = `${idPrefix}-problem`;
  return (
    <fieldset class="choices">
      <legend>{legend}</legend>
      {options.map((option) => {
        const id = `${idPrefix}-${option.value.replace(/[^a-z0-9]+/gi, "-")}`;
        return (
          <div class="choice" key={option.value}>
            <input
              type="checkbox"
              id={id}
              value={option.value}
              checked={values.includes(option.value)}
              disabled={disabled}
              aria-invalid={problem ? true : undefined}
              aria-describedby={`${id}-hint ${problemId}`}
              onChange={(event) => {
                const checked = event.currentTarget.checked;
                const next = new Set(values);
                if (checked) next.add(option.value);
                else next.delete(option.value);
                onChange(options.map((o) => o.value).filter((value) => next.has(value)));
              }}
            />
            <label for={id}>{option.label}</label>
            <p id={`${id}-hint`} class="hint">
              {option.hint}
            </p>
          </div>
        );
      })}
      <p id={problemId} class="field-error">
        {problem ?? ""}
      </p>
    </fieldset>
  );
}
