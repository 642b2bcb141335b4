// The real config schema, as GET /api/schema serves it: dumped by the project's Python (so these
// tests check the page against the server it talks to, never against a copy that could drift).

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DUMP = 'import json; from app.schemas.config import SessionConfig; print(json.dumps(SessionConfig.model_json_schema()))';

export function python() {
  if (process.env.BACKPROP_PYTHON) return process.env.BACKPROP_PYTHON;
  return existsSync(`${ROOT}.venv/bin/python`) ? `${ROOT}.venv/bin/python` : 'python3';
}

/** The config's JSON Schema. */
export const schema = JSON.parse(execFileSync(python(), ['-c', DUMP], { cwd: ROOT, encoding: 'utf8' }));

/** A full config with the server's defaults, plus `patch` per section. */
export function defaultConfig(patch = {}) {
  const out = JSON.parse(execFileSync(python(), ['-c',
    'import json; from app.schemas.config import SessionConfig; print(json.dumps(SessionConfig().model_dump()))'],
  { cwd: ROOT, encoding: 'utf8' }));
  for (const [section, values] of Object.entries(patch)) out[section] = { ...out[section], ...values };
  return out;
}
