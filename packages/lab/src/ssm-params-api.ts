// Parameter Store operations: GetParameter(s), PutParameter, DeleteParameter.
import { ApiError, Checks } from './errors.js';
import { optBool, optStr, optStrList, type Json } from './input.js';
import { PARAMETER_TYPES, type ParameterType } from './parameters.js';
import type { LabState } from './state.js';

const NAME = /^[a-zA-Z0-9_.\-/]+$/;

export function getParameter(s: LabState, input: Json): unknown {
  const name = optStr(input, 'Name');
  new Checks().required(name, 'name').length(name, 'name', 1, 2048).done();
  return { Parameter: s.params.view(s.params.get(name!), optBool(input, 'WithDecryption') ?? false) };
}

export function getParameters(s: LabState, input: Json): unknown {
  const names = optStrList(input, 'Names');
  new Checks().required(names, 'names').length(names, 'names', 1, 10).done();
  const decrypt = optBool(input, 'WithDecryption') ?? false;
  const found = names!.filter((n) => s.params.has(n));
  return {
    Parameters: found.map((n) => s.params.view(s.params.get(n), decrypt)),
    InvalidParameters: names!.filter((n) => !s.params.has(n)),
  };
}

export function putParameter(s: LabState, input: Json): unknown {
  const name = optStr(input, 'Name');
  const value = optStr(input, 'Value');
  const type = optStr(input, 'Type');
  const description = optStr(input, 'Description');
  new Checks()
    .required(name, 'name')
    .length(name, 'name', 1, 2048)
    .pattern(name, 'name', NAME)
    .required(value, 'value')
    .length(value, 'value', 0, 4096)
    .oneOf(type, 'type', PARAMETER_TYPES)
    .length(description, 'description', 0, 1024)
    .done();
  const overwrite = optBool(input, 'Overwrite') ?? false;
  const existing = s.params.has(name!) ? s.params.get(name!) : undefined;
  const t = (type ?? existing?.type) as ParameterType | undefined;
  if (!t) throw new ApiError('ValidationException', 'A parameter type is required when you create a parameter.');
  const p = s.params.put({ name: name!, type: t, value: value!, overwrite, ...(description !== undefined ? { description } : {}) });
  return { Version: p.version, Tier: 'Standard' };
}

export function deleteParameter(s: LabState, input: Json): unknown {
  const name = optStr(input, 'Name');
  new Checks().required(name, 'name').done();
  s.params.delete(name!);
  return {};
}
