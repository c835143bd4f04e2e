// Talking to the web server: actions as POSTs (with the header that proves they come from
// this page), and the live feed as a websocket that reconnects by itself.

const HEADERS = {"X-Discordlocal": "1"};

export class ApiError extends Error {}

async function answer(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) throw new ApiError((body && body.error) || `The playground answered HTTP ${response.status}.`);
  return body;
}

export async function postForm(path, fields, files) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) form.append(key, value);
  }
  for (const [field, file] of files || []) form.append(field, file, file.name);
  return answer(await fetch(path, {method: "POST", headers: HEADERS, body: form}));
}

export async function postJson(path, body) {
  return answer(await fetch(path, {
    method: "POST", headers: {...HEADERS, "Content-Type": "application/json"}, body: JSON.stringify(body),
  }));
}

// onEvent({t, d}) for every event; onStatus(connected) when the socket opens or drops.
export function connect(onEvent, onStatus) {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/events`;
  let delay = 500;
  const open = () => {
    const ws = new WebSocket(url);
    ws.onopen = () => { delay = 500; onStatus(true); };
    ws.onmessage = (e) => onEvent(JSON.parse(e.data));
    ws.onclose = () => {
      onStatus(false);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  open();
}
