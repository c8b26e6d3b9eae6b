// The stns.conf redactor (templates/host/redact-stns.awk) and the template comments it keeps, as shell data:
// the facts script shows a host's stns.conf through it, and the host script compares against it.
import { REDACT_AWK, templateComments } from '../render/redact-stns-conf.js';
import type { Templates } from '../render/templates.js';
import { shq } from './shq.js';

export function redactorData(t: Templates): string[] {
  // The program travels without its comment lines (they are for readers of templates/host/redact-stns.awk).
  const program = t.data(REDACT_AWK).toString('utf8').split('\n').filter((l) => !l.startsWith('#')).join('\n').trim();
  return [
    '# shellcheck disable=SC2016 # an awk program: its $ are awk\'s',
    `SF_REDACT_AWK=${shq(program)}`,
    `SF_KEEP_COMMENTS=${shq(templateComments(t.source('stns.conf.hbs')).join('\n'))}`,
  ];
}
