// The page's reading of the config schema: ranges, options and when each knob applies.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applies, datasetInfo, featureInfo, inRange, networkLimits, resolveField, schemaAt,
} from '../../static/js/config-schema.js';
import { FIELDS } from '../../static/js/control-fields.js';
import { defaultConfig, schema } from './schema-fixture.js';

const base = defaultConfig();
const withSchedule = (kind) => ({ ...base, training: { ...base.training, schedule: { ...base.training.schedule, kind } } });
const withOptimizer = (optimizer) => ({ ...base, training: { ...base.training, optimizer } });
const field = (testid) => resolveField(schema, FIELDS.find((f) => f.testid === testid));

test('Min LR applies to every decaying schedule, not only cosine', () => {
  const minLr = field('schedule-min-lr');
  for (const kind of ['step', 'exponential', 'cosine', 'plateau']) assert.ok(minLr.applies(withSchedule(kind)), kind);
  assert.equal(minLr.applies(withSchedule('constant')), false);
});

test('momentum applies to SGD and RMSProp only, from the schema alone', () => {
  const momentum = field('momentum');
  assert.ok(momentum.applies(withOptimizer('sgd')));
  assert.ok(momentum.applies(withOptimizer('rmsprop')));
  for (const name of ['adagrad', 'adam', 'adamw']) assert.equal(momentum.applies(withOptimizer(name)), false, name);
});

test('a knob without a condition always applies; warm-up applies to every schedule', () => {
  assert.ok(field('lr').applies(base));
  for (const kind of schemaAt(schema, 'training.schedule.kind').enum) {
    assert.ok(field('schedule-warmup-epochs').applies(withSchedule(kind)), kind);
  }
});

test('every field of the page resolves against the schema, with its range or options', () => {
  for (const spec of FIELDS) {
    const f = resolveField(schema, spec);
    if (['number', 'range', 'log'].includes(spec.kind)) assert.ok(f.range, spec.path);
    if (['select', 'choice'].includes(spec.kind)) assert.ok(f.options?.length, spec.path);
  }
  assert.throws(() => resolveField(schema, { path: 'training.nope', kind: 'number' }), /no field training\.nope/);
});

test('ranges and options are the schema\'s', () => {
  assert.deepEqual(field('momentum').range, { min: 0, max: 1, minOpen: false, maxOpen: true, integer: false });
  assert.equal(field('samples').range.max, schemaAt(schema, 'dataset.samples').maximum);
  assert.deepEqual(field('optimizer').options, ['sgd', 'rmsprop', 'adagrad', 'adam', 'adamw']);
  assert.deepEqual(field('classes').options, [null, 2, 3, 4, 5, 6]);
  assert.ok(field('batch-size').options.every((v) => inRange(v, field('batch-size').range)));
});

test('a nullable field keeps its null choice (Full speed); a choice out of range is dropped', () => {
  assert.deepEqual(field('speed').options, [null, 100, 20, 5, 2, 1]);
  const spec = { path: 'training.epochs_per_second', kind: 'choice', choices: [null, 0.1, 5, 5000] };
  assert.deepEqual(resolveField(schema, spec).options, [null, 5]);
  const notNullable = { path: 'training.batch_size', kind: 'choice', choices: [null, 8] };
  assert.deepEqual(resolveField(schema, notNullable).options, [8]);
});

test('inRange honours open ends and whole numbers', () => {
  const r = { min: 0, max: 1, minOpen: true, maxOpen: true, integer: false };
  assert.equal(inRange(0, r), false);
  assert.equal(inRange(0.5, r), true);
  assert.equal(inRange(1, r), false);
  assert.equal(inRange(2.5, { min: 1, max: 5, minOpen: false, maxOpen: false, integer: true }), false);
  assert.equal(inRange(Number.NaN, r), false);
});

test('the network editor may build what the server allows: 10 layers of up to 256 units', () => {
  const limits = networkLimits(schema);
  assert.equal(limits.maxLayers, 10);
  assert.equal(limits.minUnits, 1);
  assert.equal(limits.maxUnits, 256);
  assert.deepEqual(limits.activations, schemaAt(schema, 'model.layers.activation').enum);
  assert.deepEqual(limits.newLayer, { units: 8, activation: 'tanh', batch_norm: false, dropout: 0 });
});

test('dataset groups and generated names come from the schema', () => {
  const info = datasetInfo(schema);
  assert.deepEqual(info.groups.map(([title]) => title), ['2-D classification', '2-D regression', 'Real data']);
  assert.ok(info.generated.has('spiral'));
  assert.equal(info.generated.has('iris'), false);
  const noise = field('noise');
  assert.ok(noise.applies(base));
  assert.equal(noise.applies({ ...base, dataset: { ...base.dataset, name: 'iris' } }), false);
});

test('conditions on booleans: early-stopping knobs show only while it is on', () => {
  const patience = schemaAt(schema, 'training.early_stopping.patience');
  const on = { ...base, training: { ...base.training, early_stopping: { ...base.training.early_stopping, enabled: true } } };
  assert.equal(applies(patience, base), false);
  assert.ok(applies(patience, on));
});

test('input features: the schema\'s names and labels, each with a picture on the page', async () => {
  const { PAINTERS } = await import('../../static/js/feature-tiles.js');
  const features = featureInfo(schema);
  assert.deepEqual(features.slice(0, 2), [{ name: 'x1', label: 'X₁' }, { name: 'x2', label: 'X₂' }]);
  assert.deepEqual(Object.keys(PAINTERS).sort(), features.map((f) => f.name).sort());
});

test('every slider has finite ends: the schema\'s range or its own narrower end', () => {
  for (const spec of FIELDS.filter((f) => f.kind === 'range' || f.kind === 'log')) {
    const { range } = resolveField(schema, spec);
    const lo = spec.sliderMin ?? range.min;
    const hi = spec.sliderMax ?? range.max;
    assert.ok(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi, spec.path);
    if (spec.kind === 'log') assert.ok(lo > 0, `${spec.path}: a log scale starts above 0`);
    assert.ok(lo >= range.min && hi <= range.max, `${spec.path}: the slider stays inside the schema's range`);
  }
});
