// Room mode's REST calls: JSON in and out; a lost room pass sends the page back to the join form.

/** Call a room route; returns its JSON (null for 204), throws the server's message. */
export async function roomApi(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    location.assign('/join?left=1'); // removed, or the server restarted: the pass is gone
    throw new Error('not in the room');
  }
  if (!response.ok) {
    let detail = '';
    try {
      detail = (await response.json()).detail;
    } catch {
      // no JSON body
    }
    throw new Error(detail || `${response.status} ${response.statusText}`);
  }
  return response.status === 204 ? null : response.json();
}
