// The control panel: the sidebar sections with every config knob, plus the transport and the
// dataset picker (transport.js, dataset-picker.js). The knobs are built once the server's schema
// has arrived (their ranges, options and when they apply come from it); they send partial configs
// and what they show always comes from the server's echo. Presentation is in control-fields.js.

import { datasetInfo, resolveField } from './config-schema.js';
import { FIELDS, SECTIONS } from './control-fields.js';
import { createDatasetPicker } from './dataset-picker.js';
import { $, el } from './dom.js';
import { buildField } from './field-widgets.js';
import { getPath, partialAt } from './state.js';
import { createTransport } from './transport.js';

/** Build the sidebar's sections, each open or closed as the user last left it. */
function buildSections(sidebar) {
  const bodies = {};
  const saved = JSON.parse(localStorage.getItem('bpl.sections') || '{}');
  for (const [key, title, open] of SECTIONS) {
    const body = el('div', { class: 'fields' });
    const details = el('details', { class: 'section', 'data-section': key, testid: `section-${key}` },
      el('summary', { text: title }), body);
    details.open = saved[key] ?? open;
    details.addEventListener('toggle', () => {
      saved[key] = details.open;
      localStorage.setItem('bpl.sections', JSON.stringify(saved));
    });
    sidebar.append(details);
    bodies[key] = body;
  }
  return bodies;
}

/**
 * @param {object} opts
 * @param {HTMLElement} opts.sidebar       where the field sections go
 * @param {() => object|null} opts.getConfig  the server's config (state.config)
 * @param {(partial: object) => void} opts.onConfigure
 * @param {(message: object) => void} opts.onCommand   play/pause/step/reset/regenerate
 * @param {(value: string) => void} opts.onDatasetPick  a value from the dataset select
 */
export function createControls({ sidebar, getConfig, onConfigure, onCommand, onDatasetPick }) {
  const headerRegen = [...document.querySelectorAll('[data-action="regenerate"]')]; // before ours exists
  let fields = []; // built by applySchema

  const send = (spec, value) => {
    const cfg = getConfig();
    if (!cfg) return;
    onConfigure(spec.set ? spec.set(value, cfg) : partialAt(spec.path, value));
  };

  const sectionBodies = buildSections(sidebar);
  const fieldSlots = Object.fromEntries(SECTIONS.map(([key]) => {
    const slot = el('div', { class: 'field-list' });
    sectionBodies[key].append(slot);
    return [key, slot];
  }));

  // Data section extras: regenerate, plus a slot for the upload panel.
  const regen = el('button', { type: 'button', class: 'btn btn-secondary block', 'data-action': 'regenerate',
    testid: 'regenerate', title: 'Draw new points with a new seed; the weights stay' },
  el('span', { text: '↻ New points' }));
  const uploadSlot = el('div', { class: 'upload-slot' });
  sectionBodies.data.append(el('div', { class: 'field-actions' }, regen), uploadSlot);
  const regenButtons = [regen, ...headerRegen];
  for (const b of regenButtons) b.addEventListener('click', () => onCommand({ type: 'regenerate' }));

  const transport = createTransport(onCommand);
  const datasets = createDatasetPicker($('dataset'), regenButtons, onDatasetPick, getConfig);

  /** Show the server's config in every knob: its value, and whether it applies. */
  function update(cfg) {
    for (const f of fields) {
      f.row.hidden = !f.spec.applies(cfg);
      const enabled = f.spec.enabled ? f.spec.enabled(cfg) : true;
      for (const c of f.controls) c.disabled = !enabled;
      const v = f.spec.get ? f.spec.get(cfg) : getPath(cfg, f.spec.path);
      if (v === null && f.spec.get && f.showMixed) f.showMixed();
      else f.show(v);
    }
    datasets.show(cfg);
    transport.setLimits(cfg.training);
  }

  return {
    uploadSlot,
    update,
    /** Show the session's run state on the play button. */
    setRunState: transport.setRunState,
    /** Show the epoch counter. */
    setEpoch: transport.setEpoch,
    /** List the user's uploads in the dataset select. */
    setUploads: datasets.setUploads,
    /** Build the knobs from the server's JSON Schema of the config (once, before any config). */
    applySchema(schema) {
      fields = FIELDS.map((spec) => {
        const field = buildField(resolveField(schema, spec), send);
        field.row.hidden = true; // until a config says whether it applies
        fieldSlots[spec.section].append(field.row);
        return field;
      });
      datasets.setSchema(datasetInfo(schema));
      const cfg = getConfig();
      if (cfg) update(cfg);
    },
  };
}
