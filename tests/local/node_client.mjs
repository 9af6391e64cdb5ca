// A Node client with Node's built-in WebSocket (node --experimental-websocket on Node 20).
// Usage: node --experimental-websocket node_client.mjs URL [MESSAGE ...]
// Sends each MESSAGE once the previous answer arrived ("<binary>" sends a binary frame),
// prints one JSON line per event and exits when the connection closes.
const [url, ...messages] = process.argv.slice(2);
const print = (record) => console.log(JSON.stringify(record));
const ws = new WebSocket(url);

function next() {
  const message = messages.shift();
  if (message === undefined) return ws.close(1000, "done");
  if (message === "<binary>") return ws.send(new Uint8Array([1, 2, 3]));
  ws.send(message);
}

ws.onopen = () => {
  print({ open: true });
  next();
};
ws.onmessage = (event) => {
  print({ message: event.data });
  next();
};
ws.onerror = () => {
  print({ error: true });
  // Node 20's WebSocket may report a refused handshake with "error" alone, without "close".
  setTimeout(() => process.exit(0), 1000);
};
ws.onclose = (event) => {
  print({ close: event.code, reason: event.reason, clean: event.wasClean });
  process.exit(0);
};
setTimeout(() => {
  print({ timeout: true });
  process.exit(1);
}, 15000);
