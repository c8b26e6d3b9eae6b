// Reading request members without trusting their types: a wrong type is a SerializationException, as the
// services answer for a body that does not match the model.
import { ApiError } from './errors.js';

export type Json = Record<string, unknown>;

function bad(field: string, want: string): ApiError {
  return new ApiError('SerializationException', `Unexpected value at '${field}': expected ${want}`);
}

export function obj(v: unknown, field = 'body'): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(field, 'a structure');
  return v as Json;
}

export function optStr(o: Json, k: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(k, 'a string');
  return v;
}

export function optNum(o: Json, k: string): number | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw bad(k, 'a number');
  return v;
}

export function optBool(o: Json, k: string): boolean | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(k, 'a boolean');
  return v;
}

/** A timestamp member (epoch seconds in awsJson1_1). */
export function optDate(o: Json, k: string): Date | undefined {
  const v = optNum(o, k);
  return v === undefined ? undefined : new Date(v * 1000);
}

export function optStrList(o: Json, k: string): string[] | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(k, 'a list of strings');
  return v as string[];
}

export function optList(o: Json, k: string): Json[] | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(k, 'a list');
  return v.map((x, i) => obj(x, `${k}.${i + 1}`));
}

export function optMap(o: Json, k: string): Record<string, string[]> | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  const m = obj(v, k);
  const out: Record<string, string[]> = {};
  for (const [key, val] of Object.entries(m)) {
    if (!Array.isArray(val) || val.some((x) => typeof x !== 'string')) throw bad(`${k}.${key}`, 'a list of strings');
    out[key] = val as string[];
  }
  return out;
}

/** AWS timestamps in awsJson1_1: epoch seconds. */
export function epoch(d: Date | undefined): number | undefined {
  return d === undefined ? undefined : d.getTime() / 1000;
}
