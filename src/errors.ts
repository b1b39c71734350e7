// The one error type for problems a user can fix (a bad file, a bad option). It names where:
// the file, the line (or byte offset) and the field. Anything else thrown is a bug.
export interface ErrorPlace {
  file?: string;
  line?: number;
  byteOffset?: number;
  field?: string;
}

export class SimdnetError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly byteOffset?: number;
  readonly field?: string;

  constructor(message: string, place: ErrorPlace = {}) {
    const where = [
      place.file,
      place.line !== undefined ? `line ${place.line}` : undefined,
      place.byteOffset !== undefined ? `byte ${place.byteOffset}` : undefined,
      place.field !== undefined ? `field ${place.field}` : undefined,
    ].filter((s) => s !== undefined);
    super(where.length ? `${where.join(", ")}: ${message}` : message);
    this.name = "SimdnetError";
    this.file = place.file;
    this.line = place.line;
    this.byteOffset = place.byteOffset;
    this.field = place.field;
  }
}
