// The few API calls the kiosk and the phone page make. Never throws: a network failure comes
// back as status 0.

/** `{ok, status, data}` for a JSON request. */
export async function api(path, { method = 'GET', body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    return { ok: res.ok, status: res.status, data };
  } catch {
    return { ok: false, status: 0, data: null };
  }
}

/** The error code of a failed call (`network` when the server was not reached). */
export function errorCode(res) {
  if (res.status === 0) return 'network';
  return res.data?.error?.code || 'failed';
}
