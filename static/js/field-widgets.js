// One sidebar field's widget, built from its spec in control-fields.js: slider + number (log or
// linear), number, select/choice, or checkbox. A widget sends its value (debounced while a slider
// moves) and shows the server's echo, without overwriting what the user is still editing.

import { inRange } from './config-schema.js';
import { el, toOption } from './dom.js';
import { fmt, label } from './format.js';

const DEBOUNCE_MS = 150;

/** Mark a number input invalid with `message` as its tooltip, or clear the mark (message null). */
function flagInvalid(input, message) {
  input.classList.toggle('invalid', Boolean(message));
  input.title = message || '';
}

/** "a number from 0 to 1" / "a whole number from 1 to 100" / "a number above 0 up to 10". */
function expected(range) {
  const what = range.integer ? 'a whole number' : 'a number';
  const lo = range.minOpen ? `above ${fmt(range.min)}` : `from ${fmt(range.min)}`;
  if (!Number.isFinite(range.max)) return `Expected ${what} ${lo.replace('from', 'of at least')}`;
  const hi = range.maxOpen ? `below ${fmt(range.max)}` : `to ${fmt(range.max)}`;
  return `Expected ${what} ${lo} ${hi}`;
}

/** The min/max attributes of a number box (an unbounded end has none). */
const bounds = (range) => ({ min: Number.isFinite(range.min) ? range.min : undefined,
  max: Number.isFinite(range.max) ? range.max : undefined });

/** Check a typed number against the schema's range; flags the input and returns the value or null. */
function readNumber(input, range) {
  const v = Number(input.value);
  if (input.value === '' || !inRange(v, range)) {
    flagInvalid(input, expected(range));
    return null;
  }
  flagInvalid(input, null);
  return v;
}

function sliderWidget(spec, id, field, commit, ctl) {
  const isLog = spec.kind === 'log';
  const { range } = spec;
  // The slider spans the schema's range unless the spec narrows an end (sliderMin/sliderMax); the
  // number box takes anything the schema allows. An open end stops one step short.
  const spanLo = spec.sliderMin ?? (range.minOpen ? range.min + spec.step : range.min);
  const spanHi = spec.sliderMax ?? (range.maxOpen ? range.max - spec.step : range.max);
  const lo = isLog ? Math.log10(spanLo) : spanLo;
  const hi = isLog ? Math.log10(spanHi) : spanHi;
  const slider = el('input', { type: 'range', id, min: isLog ? 0 : lo, max: isLog ? 1000 : hi,
    step: isLog ? 1 : spec.step, testid: `${spec.testid}-slider`, 'aria-label': spec.label });
  const num = el('input', { type: 'number', id: `${id}-input`, class: 'num', ...bounds(range), step: isLog || !range.integer ? 'any' : spec.step, testid: `${spec.testid}-input`,
    'aria-label': spec.label });
  const toSlider = (v) => (isLog ? Math.round(((Math.log10(v) - lo) / (hi - lo)) * 1000) : v);
  const fromSlider = (s) => {
    if (!isLog) return Number(s);
    return Number((10 ** (lo + (Number(s) / 1000) * (hi - lo))).toPrecision(2));
  };
  slider.addEventListener('pointerdown', () => (field.dragging = true));
  window.addEventListener('pointerup', () => (field.dragging = false));
  slider.addEventListener('input', () => {
    const v = fromSlider(slider.value);
    num.value = fmt(v, 3);
    flagInvalid(num, null);
    commit(v);
  });
  num.addEventListener('change', () => {
    const v = readNumber(num, range);
    if (v === null) return;
    slider.value = toSlider(v);
    commit(v, true);
  });
  ctl.append(slider, num);
  field.show = (v) => {
    if (v === null || v === undefined) return;
    if (!field.dragging && !field.pending) slider.value = toSlider(v);
    if (document.activeElement !== num && !field.pending) num.value = fmt(v, 3);
    field.row.classList.toggle('mixed', false);
  };
  field.showMixed = () => field.row.classList.add('mixed');
  field.controls = [slider, num];
}

function numberWidget(spec, id, field, commit, ctl) {
  const { range } = spec;
  const num = el('input', { type: 'number', id, class: 'num wide', ...bounds(range),
    step: range.integer ? 1 : 'any', testid: spec.testid, 'aria-label': spec.label });
  num.addEventListener('change', () => {
    if (num.value === '' && spec.emptyIsNull) { // an empty box means "no value" (e.g. no limit)
      flagInvalid(num, null);
      commit(null, true);
      return;
    }
    const v = readNumber(num, range);
    if (v !== null) commit(v, true);
  });
  ctl.append(num);
  field.show = (v) => {
    if (document.activeElement === num || v === undefined) return;
    num.value = v === null ? '' : range.integer ? String(Math.round(v)) : fmt(v, 6);
  };
  field.controls = [num];
}

function selectWidget(spec, id, field, commit, ctl) {
  const sel = el('select', { id, testid: spec.testid, 'aria-label': spec.label });
  field.setOptions = (values) => {
    sel.replaceChildren(
      ...values.map((v) => toOption(v, spec.optionLabel ? spec.optionLabel(v) : spec.kind === 'choice' ? (v === 0 ? 'Off' : fmt(v)) : label(v))),
    );
    field.values = values;
  };
  field.setOptions(spec.options);
  const mixed = toOption('__mixed__', 'Mixed');
  mixed.disabled = true;
  sel.addEventListener('change', () => {
    const raw = sel.value;
    const match = field.values.find((v) => (v === null ? '' : String(v)) === raw);
    commit(match === undefined ? raw : match, true);
  });
  ctl.append(sel);
  field.show = (v) => {
    if (v === undefined) return;
    if (v === null && spec.get) {
      if (!mixed.isConnected) sel.append(mixed);
      sel.value = '__mixed__';
      return;
    }
    mixed.remove();
    const key = v === null ? '' : String(v);
    if (spec.kind === 'choice' && !field.values.some((x) => String(x) === key)) {
      // a value the list lacks (from a preset or a link): show it as it is
      field.setOptions([...field.values, v].sort((a, b) => a - b));
    }
    sel.value = key;
  };
  field.controls = [sel];
}

function checkWidget(spec, id, field, commit, ctl) {
  const box = el('input', { type: 'checkbox', id, testid: spec.testid, 'aria-label': spec.label });
  box.addEventListener('change', () => commit(box.checked, true));
  ctl.append(box);
  field.show = (v) => {
    box.indeterminate = v === null && Boolean(spec.get);
    if (v !== undefined && v !== null) box.checked = Boolean(v);
  };
  field.controls = [box];
}

const WIDGETS = { log: sliderWidget, range: sliderWidget, number: numberWidget, select: selectWidget,
  choice: selectWidget, check: checkWidget };

/**
 * Build the row for field `spec` (resolved against the schema: `range`, `options`, `applies`);
 * `send(spec, value)` is called when the user sets a value.
 * Returns {spec, row, controls, show(v), showMixed?(), setOptions?(values)}.
 */
export function buildField(spec, send) {
  const id = `f-${spec.testid}`;
  const row = el('div', { class: `field field-${spec.kind}${spec.stacked ? ' stacked' : ''}`, 'data-path': spec.path });
  const lab = el('label', { for: spec.kind === 'log' || spec.kind === 'range' ? `${id}-input` : id, text: spec.label });
  if (spec.hint) lab.title = spec.hint;
  row.append(lab);
  const ctl = el('div', { class: 'field-control' });
  row.append(ctl);
  const field = { spec, row, pending: false, dragging: false };
  let timer = null;

  const commit = (value, immediate = false) => {
    field.pending = true;
    clearTimeout(timer);
    const go = () => {
      field.pending = false;
      send(spec, value);
    };
    if (immediate) go();
    else timer = setTimeout(go, DEBOUNCE_MS);
  };

  WIDGETS[spec.kind]?.(spec, id, field, commit, ctl);
  return field;
}
