// The dataset select in the top bar: the server's dataset groups, the user's CSV uploads; and the
// "new points" buttons, enabled for data a generator draws. Names and groups come from the schema.

import { el, toOption } from './dom.js';
import { label } from './format.js';

/**
 * Wire `select` (value: a dataset name or `csv:<upload id>`) to `onPick`; `regenButtons` are
 * enabled only while the data come from a generator; `getConfig()` is the server's config.
 * Returns {setSchema, setUploads, show}.
 */
export function createDatasetPicker(select, regenButtons, onPick, getConfig) {
  let uploads = [];
  let info = { groups: [], generated: new Set(), names: [] }; // from the schema (datasetInfo)

  select.addEventListener('change', () => onPick(select.value));

  /** Select the config's dataset (adding an entry if the list lacks it). */
  function show(cfg) {
    const d = cfg.dataset;
    const value = d.name === 'csv' ? `csv:${d.upload_id}` : d.name;
    if (![...select.options].some((o) => o.value === value)) {
      select.append(toOption(value, d.name === 'csv' ? 'Uploaded CSV' : label(d.name)));
    }
    select.value = value;
    const generated = info.generated.has(d.name);
    for (const b of regenButtons) b.disabled = !generated;
  }

  function render() {
    const keep = select.value;
    const groups = info.groups.map(([title, names]) =>
      el('optgroup', { label: title }, ...names.map((n) => toOption(n, label(n)))));
    const grouped = new Set(info.groups.flatMap(([, names]) => names).concat('csv'));
    const others = info.names.filter((n) => !grouped.has(n));
    if (others.length) groups.push(el('optgroup', { label: 'More' }, ...others.map((n) => toOption(n, label(n)))));
    if (uploads.length) {
      groups.push(el('optgroup', { label: 'Your uploads' }, ...uploads.map((u) => {
        const name = u.filename || `Upload ${u.id}`;
        return toOption(`csv:${u.id}`, u.target ? `${name} → ${u.target}` : name);
      })));
    }
    select.replaceChildren(...groups);
    if (keep) select.value = keep;
    const cfg = getConfig();
    if (cfg) show(cfg);
  }

  return {
    show,
    /** Take the dataset names and groups from the schema (config-schema.js datasetInfo). */
    setSchema(next) {
      info = next;
      render();
    },
    /** List the user's uploads. */
    setUploads(list) {
      uploads = list.slice();
      render();
    },
  };
}
