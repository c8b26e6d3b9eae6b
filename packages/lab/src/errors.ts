// API errors as the services send them: a code the SDK turns into a named exception, a message, an HTTP
// status. Validation failures use AWS's own wording ("1 validation error detected: Value … at 'comment'
// failed to satisfy constraint: …") so that what a client logs from the lab reads like what it would log
// from AWS.

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export function validationError(problems: string[]): ApiError {
  const n = problems.length;
  return new ApiError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`);
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Collects constraint violations for one request, then throws them together as AWS does. */
export class Checks {
  private readonly problems: string[] = [];

  private fail(value: unknown, field: string, constraint: string): void {
    this.problems.push(`Value '${show(value)}' at '${field}' failed to satisfy constraint: ${constraint}`);
  }

  required(value: unknown, field: string): this {
    if (value === undefined || value === null) this.problems.push(`Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return this;
  }

  length(value: string | unknown[] | undefined, field: string, min: number, max: number): this {
    if (value === undefined) return this;
    if (value.length < min) this.fail(value, field, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.fail(value, field, `Member must have length less than or equal to ${max}`);
    return this;
  }

  range(value: number | undefined, field: string, min: number, max: number): this {
    if (value === undefined) return this;
    if (!Number.isInteger(value) || value < min) this.fail(value, field, `Member must have value greater than or equal to ${min}`);
    else if (value > max) this.fail(value, field, `Member must have value less than or equal to ${max}`);
    return this;
  }

  pattern(value: string | undefined, field: string, re: RegExp): this {
    if (value !== undefined && !re.test(value)) this.fail(value, field, `Member must satisfy regular expression pattern: ${re.source}`);
    return this;
  }

  oneOf(value: string | undefined, field: string, allowed: readonly string[]): this {
    if (value !== undefined && !allowed.includes(value)) this.fail(value, field, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    return this;
  }

  done(): void {
    if (this.problems.length > 0) throw validationError(this.problems);
  }
}
