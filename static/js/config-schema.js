// Reading the server's JSON Schema of the config (GET /api/schema): option lists for selects
// and, from the descriptions, which optimiser or schedule kinds each knob applies to.

import { RELEVANT } from './control-fields.js';

/** Follow $ref and single-branch anyOf/allOf (e.g. "X or null") down to a concrete node. */
function resolve(schema, node) {
  let cur = node;
  for (let guard = 0; cur && guard < 10; guard += 1) {
    if (cur.$ref) {
      cur = cur.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], schema);
    } else if (cur.anyOf || cur.allOf) {
      const branches = (cur.anyOf || cur.allOf).filter((b) => b.type !== 'null');
      cur = branches.length === 1 ? { ...branches[0], description: cur.description ?? branches[0].description } : cur;
      if (cur.anyOf || cur.allOf) return cur;
    } else {
      return cur;
    }
  }
  return cur;
}

/** The schema node of the config field at dotted `path`, or null. */
export function schemaAt(schema, path) {
  let cur = resolve(schema, schema);
  for (const key of path.split('.')) {
    cur = resolve(schema, cur?.properties?.[key]);
    if (!cur) return null;
  }
  return cur;
}

/** Give `fields` the schema's option lists and update RELEVANT from the kind lists it describes. */
export function applySchemaToFields(schema, fields) {
  for (const f of fields) {
    const node = schemaAt(schema, f.spec.path);
    if (node?.enum && f.spec.kind === 'select' && f.setOptions && !f.spec.optionLabel) {
      f.setOptions(node.enum);
    }
    const desc = node?.description;
    if (desc && RELEVANT[f.spec.path] && /^[a-z_]+(, [a-z_]+)*$|^all kinds$/.test(desc)) {
      RELEVANT[f.spec.path] = desc === 'all kinds'
        ? schemaAt(schema, 'training.schedule.kind')?.enum ?? RELEVANT[f.spec.path]
        : desc.split(', ');
    }
  }
}
