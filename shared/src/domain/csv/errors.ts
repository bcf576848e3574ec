/** A CSV problem at a known place; line and field are 1-based, as a person counts them. */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly field?: number,
  ) {
    super(
      field === undefined ? `line ${line}: ${message}` : `line ${line}, field ${field}: ${message}`,
    );
    this.name = 'CsvError';
  }
}
