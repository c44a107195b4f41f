import type { FastifyError, FastifyRequest } from 'fastify';

type ValidationContext = 'body' | 'params' | 'querystring' | 'headers';

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const part of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

/**
 * One readable line per schema violation, naming the field, what is allowed and the value given,
 * e.g. `body/move must be one of rock, paper, scissors (got "lizard")`.
 */
export function describeValidationError(err: FastifyError, req: FastifyRequest): string {
  const context = (err.validationContext ?? 'body') as ValidationContext;
  const data = context === 'querystring' ? req.query : context === 'params' ? req.params : req[context];
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of err.validation ?? []) {
    const params = e.params as Record<string, unknown>;
    let field = `${context}${e.instancePath}`;
    let text: string;
    if (e.keyword === 'required') {
      field = `${field}/${String(params.missingProperty)}`;
      text = `${field} is required`;
    } else {
      const got = valueAt(data, e.instancePath);
      const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
      if (e.keyword === 'enum') {
        text = `${field} must be one of ${(params.allowedValues as unknown[]).join(', ')}${shown}`;
      } else if (e.keyword === 'additionalProperties') {
        text = `${field} has an unknown field "${String(params.additionalProperty)}"`;
      } else {
        text = `${field} ${e.message ?? 'is invalid'}${shown}`;
      }
    }
    if (!seen.has(text)) lines.push(text);
    seen.add(text);
  }
  return lines.join('; ') || err.message;
}
