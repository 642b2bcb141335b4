// The control panel: the sidebar sections with every config knob, plus the transport and the
// dataset picker (transport.js, dataset-picker.js). Controls send partial configs; what they show
// always comes from the server's echo. The knobs themselves are described in control-fields.js.

import { applySchemaToFields, schemaAt } from './config-schema.js';
import { FIELDS, SECTIONS, rememberClip } from './control-fields.js';
import { createDatasetPicker } from './dataset-picker.js';
import { el } from './dom.js';
import { buildField } from './field-widgets.js';
import { getPath, partialAt } from './state.js';
import { createTransport } from './transport.js';

/** Build the sidebar's sections, each open or closed as the user last left it. */
function buildSections(sidebar) {
  const bodies = {};
  const saved = JSON.parse(localStorage.getItem('bpl.sections') || '{}');
  for (const [key, title, open] of SECTIONS) {
    const details = el('details', { class: 'section', 'data-section': key, testid: `section-${key}` });
    details.open = saved[key] ?? open;
    details.addEventListener('toggle', () => {
      saved[key] = details.open;
      localStorage.setItem('bpl.sections', JSON.stringify(saved));
    });
    const body = el('div', { class: 'fields' });
    details.append(el('summary', { text: title }), body);
    sidebar.append(details);
    bodies[key] = body;
  }
  return bodies;
}

/**
 * @param {object} opts
 * @param {HTMLElement} opts.sidebar       where the field sections go
 * @param {() => object|null} opts.getConfig
 * @param {(partial: object) => void} opts.onConfigure
 * @param {(message: object) => void} opts.onCommand   play/pause/step/reset/regenerate
 * @param {(value: string) => void} opts.onDatasetPick  a value from the dataset select
 */
export function createControls({ sidebar, getConfig, onConfigure, onCommand, onDatasetPick }) {
  const headerRegen = [...document.querySelectorAll('[data-action="regenerate"]')]; // before ours exists
  let config = null;

  const send = (spec, value) => {
    const cfg = getConfig();
    if (!cfg) return;
    onConfigure(spec.set ? spec.set(value, cfg) : partialAt(spec.path, value));
  };

  const sectionBodies = buildSections(sidebar);
  const fields = FIELDS.map((spec) => {
    const field = buildField(spec, send);
    sectionBodies[spec.section].append(field.row);
    return field;
  });

  // Data section extras: regenerate, plus a slot for the upload panel.
  const regen = el('button', { type: 'button', class: 'btn btn-secondary block', 'data-action': 'regenerate',
    testid: 'regenerate', title: 'Draw new points with a new seed; the weights stay' });
  regen.append(el('span', { text: '↻ New points' }));
  sectionBodies.data.append(el('div', { class: 'field-actions' }, regen));
  const uploadSlot = el('div', { class: 'upload-slot' });
  sectionBodies.data.append(uploadSlot);
  const regenButtons = [regen, ...headerRegen];
  for (const b of regenButtons) b.addEventListener('click', () => onCommand({ type: 'regenerate' }));

  const transport = createTransport(onCommand);
  const datasets = createDatasetPicker(document.querySelector('[data-testid="dataset"]'), regenButtons, onDatasetPick);

  return {
    uploadSlot,
    /** Show the server's config. */
    update(cfg) {
      config = cfg;
      for (const f of fields) {
        const visible = f.spec.when ? Boolean(f.spec.when(cfg)) : true;
        f.row.hidden = !visible;
        const enabled = f.spec.enabled ? f.spec.enabled(cfg) : true;
        for (const c of f.controls) c.disabled = !enabled;
        const v = f.spec.get ? f.spec.get(cfg) : getPath(cfg, f.spec.path);
        if (v === null && f.spec.get && f.showMixed) f.showMixed();
        else f.show(v);
      }
      rememberClip(cfg);
      datasets.show(cfg);
    },
    /** Show the session's run state on the play button. */
    setRunState: transport.setRunState,
    /** Show the epoch counter. */
    setEpoch: transport.setEpoch,
    /** List the user's uploads (and, when given, only these dataset names) in the dataset select. */
    setDatasetOptions: datasets.setOptions,
    /** Take option lists and knob relevance from the server's JSON Schema. */
    applySchema(schema) {
      applySchemaToFields(schema, fields);
      const names = schemaAt(schema, 'dataset.name')?.enum;
      if (names) datasets.setOptions(datasets.uploads(), new Set(names));
      if (config) this.update(config);
    },
  };
}
