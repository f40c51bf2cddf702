/** A default value and the one-line reason a reviewer accepts it; rendered into the README table. */
export interface Documented<T> {
  readonly value: T;
  readonly why: string;
  /** How the README shows the value when the raw value does not read well (enums, numeric enums). */
  readonly shown?: string;
}

/** A value that differs between the two stages. */
export interface PerStage<T> {
  readonly dev: T;
  readonly prod: T;
}

export type DefaultsTable = Readonly<Record<string, Documented<unknown>>>;
