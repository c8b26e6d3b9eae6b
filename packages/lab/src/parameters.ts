// Parameter Store: String, StringList and SecureString parameters. A SecureString read without
// WithDecryption returns ciphertext, never the value, as with the default KMS key.
import { createHash } from 'node:crypto';
import { ApiError } from './errors.js';

export type ParameterType = 'String' | 'StringList' | 'SecureString';
export const PARAMETER_TYPES: readonly ParameterType[] = ['String', 'StringList', 'SecureString'];

export interface Parameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  lastModified: Date;
  description?: string;
}

export class ParameterStore {
  private readonly params = new Map<string, Parameter>();

  constructor(private readonly region: string, private readonly account: string) {}

  get(name: string): Parameter {
    const p = this.params.get(name);
    if (!p) throw new ApiError('ParameterNotFound', `Parameter ${name} not found.`);
    return p;
  }

  has(name: string): boolean {
    return this.params.has(name);
  }

  put(p: { name: string; type: ParameterType; value: string; description?: string; overwrite: boolean }): Parameter {
    const old = this.params.get(p.name);
    if (old && !p.overwrite) {
      throw new ApiError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    const next: Parameter = { name: p.name, type: p.type, value: p.value, version: (old?.version ?? 0) + 1, lastModified: new Date() };
    if (p.description !== undefined) next.description = p.description;
    this.params.set(p.name, next);
    return next;
  }

  delete(name: string): void {
    if (!this.params.delete(name)) throw new ApiError('ParameterNotFound', `Parameter ${name} not found.`);
  }

  arn(name: string): string {
    return `arn:aws:ssm:${this.region}:${this.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  /** What GetParameter(s) return for `p`. */
  view(p: Parameter, decrypt: boolean): Record<string, unknown> {
    const value = p.type === 'SecureString' && !decrypt ? ciphertext(p.value) : p.value;
    return { Name: p.name, Type: p.type, Value: value, Version: p.version, LastModifiedDate: p.lastModified.getTime() / 1000, ARN: this.arn(p.name), DataType: 'text' };
  }
}

/** Stands in for a KMS ciphertext blob: base64, fixed for a value, and free of the value. */
function ciphertext(value: string): string {
  const h = createHash('sha512').update(`lab-kms\0${value}`).digest();
  return Buffer.concat([Buffer.from([1, 2, 2, 0, 0x78]), h, h]).toString('base64');
}
