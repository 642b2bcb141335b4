// Reading the server's JSON Schema of the config (GET /api/schema): every field's range and
// option list, when it applies (its `applies_when`: {config path: [values]}), the dataset groups
// and the network's limits. Pure functions: no DOM, so they run under `node --test` too.

import { getPath } from './state.js';

/** Follow $ref and single-branch anyOf/allOf (e.g. "X or null") down to a concrete node. */
function resolve(schema, node) {
  let cur = node;
  for (let guard = 0; cur && guard < 10; guard += 1) {
    if (cur.$ref) {
      const target = cur.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o?.[k], schema);
      const { $ref, ...rest } = cur;
      cur = { ...target, ...rest };
    } else if (cur.anyOf || cur.allOf) {
      const branches = (cur.anyOf || cur.allOf).filter((b) => b.type !== 'null');
      if (branches.length !== 1) return cur;
      const { anyOf, allOf, ...rest } = cur;
      cur = { ...branches[0], ...rest, nullable: Boolean(anyOf && anyOf.length > 1) };
    } else {
      return cur;
    }
  }
  return cur;
}

/** The schema node of the config field at dotted `path` (list items are stepped into), or null. */
export function schemaAt(schema, path) {
  let cur = resolve(schema, schema);
  for (const key of path.split('.')) {
    if (cur?.items && !cur.properties) cur = resolve(schema, cur.items);
    cur = resolve(schema, cur?.properties?.[key]);
    if (!cur) return null;
  }
  return cur;
}

/** The valid range of a numeric node: {min, max, minOpen, maxOpen, integer}. */
export function rangeOf(node) {
  return {
    min: node.minimum ?? node.exclusiveMinimum ?? -Infinity,
    max: node.maximum ?? node.exclusiveMaximum ?? Infinity,
    minOpen: node.minimum === undefined && node.exclusiveMinimum !== undefined,
    maxOpen: node.maximum === undefined && node.exclusiveMaximum !== undefined,
    integer: node.type === 'integer',
  };
}

/** Is `v` inside `range` (open ends excluded, whole numbers for integers)? */
export function inRange(v, range) {
  if (!Number.isFinite(v) || (range.integer && !Number.isInteger(v))) return false;
  const aboveMin = range.minOpen ? v > range.min : v >= range.min;
  const belowMax = range.maxOpen ? v < range.max : v <= range.max;
  return aboveMin && belowMax;
}

/** Does the setting of `node` apply to `config` (every `applies_when` condition holds)? */
export function applies(node, config) {
  const conditions = node?.applies_when;
  if (!conditions) return true;
  return Object.entries(conditions).every(([path, values]) => values.includes(getPath(config, path)));
}

/**
 * Complete a field spec from the schema: its range, its options (the enum, plus null for a
 * nullable field), and `applies(config)`. A spec with `schema: false` is the page's own (clipping).
 */
export function resolveField(schema, spec) {
  if (spec.schema === false) return { ...spec, applies: spec.when ?? (() => true) };
  const path = spec.schema ?? spec.path;
  const node = schemaAt(schema, path);
  if (!node) throw new Error(`the server's config schema has no field ${path}`);
  const out = { ...spec, applies: (cfg) => applies(node, cfg) && (spec.when ? Boolean(spec.when(cfg)) : true) };
  if (node.type === 'number' || node.type === 'integer') out.range = rangeOf(node);
  if (node.enum) out.options = node.nullable ? [null, ...node.enum] : node.enum;
  else if (node.type === 'integer' && spec.kind === 'select' && !spec.choices) {
    const { min, max } = rangeOf(node);
    const values = Array.from({ length: max - min + 1 }, (_, i) => min + i);
    out.options = node.nullable ? [null, ...values] : values;
  }
  if (spec.choices && out.range) {
    out.options = spec.choices.filter((v) => (v === null ? node.nullable : inRange(v, out.range)));
  }
  return out;
}

/** The dataset select's groups, [[title, names]], and the names a generator draws. */
export function datasetInfo(schema) {
  const node = schemaAt(schema, 'dataset.name');
  return { groups: node?.groups ?? [], generated: new Set(node?.generated ?? []), names: node?.enum ?? [] };
}

/** The input features in the schema's order, with their labels: [{name, label}]. */
export function featureInfo(schema) {
  const node = schemaAt(schema, 'dataset.features');
  const labels = node.labels ?? {};
  return resolve(schema, node.items).enum.map((name) => ({ name, label: labels[name] ?? name }));
}

/** What the network editor may build: {maxLayers, minUnits, maxUnits, activations, newLayer}. */
export function networkLimits(schema) {
  const units = rangeOf(schemaAt(schema, 'model.layers.units'));
  const layerProps = Object.keys(resolve(schema, schemaAt(schema, 'model.layers').items).properties);
  return {
    maxLayers: schemaAt(schema, 'model.layers').maxItems,
    minUnits: units.min,
    maxUnits: units.max,
    activations: schemaAt(schema, 'model.layers.activation').enum,
    // A layer added to an empty network: the schema's defaults.
    newLayer: Object.fromEntries(layerProps.map((k) => [k, schemaAt(schema, `model.layers.${k}`).default])),
  };
}
