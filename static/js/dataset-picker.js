// The dataset select in the top bar: generators and real data in groups, any further names the
// server offers, the user's CSV uploads; and the "new points" buttons, enabled for generated data.

import { DATASET_GROUPS, GENERATED } from './control-fields.js';
import { el, toOption } from './dom.js';
import { label } from './format.js';

/**
 * Wire `select` (value: a dataset name or `csv:<upload id>`) to `onPick`; `regenButtons` are
 * enabled only while the data come from a generator. Returns {setOptions, show}.
 */
export function createDatasetPicker(select, regenButtons, onPick) {
  let knownUploads = [];
  let availableNames = null;
  let config = null;

  select.addEventListener('change', () => onPick(select.value));

  /** Select the config's dataset (adding an entry if the list lacks it). */
  function show(cfg) {
    config = cfg;
    const d = cfg.dataset;
    const value = d.name === 'csv' ? `csv:${d.upload_id}` : d.name;
    if (![...select.options].some((o) => o.value === value)) {
      select.append(toOption(value, d.name === 'csv' ? 'Uploaded CSV' : label(d.name)));
    }
    select.value = value;
    const generated = GENERATED.has(d.name);
    for (const b of regenButtons) b.disabled = !generated;
  }

  /** List the uploads and (when known) only the dataset names the server offers. */
  function setOptions(uploads = knownUploads, available = availableNames) {
    knownUploads = uploads;
    availableNames = available;
    const keep = select.value;
    const groups = DATASET_GROUPS.map(([title, names]) => {
      const g = el('optgroup', { label: title });
      for (const n of names) if (!available || available.has(n)) g.append(toOption(n, label(n)));
      return g;
    });
    const grouped = new Set(DATASET_GROUPS.flatMap(([, names]) => names).concat('csv'));
    const others = available ? [...available].filter((n) => !grouped.has(n)) : [];
    if (others.length) {
      const g = el('optgroup', { label: 'More' });
      for (const n of others) g.append(toOption(n, label(n)));
      groups.push(g);
    }
    if (uploads.length) {
      const g = el('optgroup', { label: 'Your uploads' });
      for (const u of uploads) {
        const name = u.filename || `Upload ${u.id}`;
        g.append(toOption(`csv:${u.id}`, u.target ? `${name} → ${u.target}` : name));
      }
      groups.push(g);
    }
    select.replaceChildren(...groups);
    if (keep) select.value = keep;
    if (config) show(config);
  }

  return { setOptions, show, uploads: () => knownUploads };
}
