/**
 * SpecError is the one way a renderer refuses input. fn.ts turns it into a single fatal result, which
 * makes Crossplane apply nothing and delete nothing: existing resources stay exactly as they are.
 * Every message names the field, the value received and the fix.
 */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SpecError";
  }

  static field(field: string, problem: string, fix: string): SpecError {
    return new SpecError(`${field}: ${problem}; ${fix}`);
  }
}

export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
