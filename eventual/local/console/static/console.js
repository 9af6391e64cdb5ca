// The eventual local console: the service's sockets, every event live, the open connections
// (and channels, once the server has them) and a client, from the dev server's own endpoints:
//   GET  state   sockets, connections, channels (null: the server has none)
//   GET  events  Server-Sent Events, one per record of the server's feed
//   POST send | disconnect   what a handler does, through the management API
// Preact + htm, vendored as one file: no build step, nothing fetched from elsewhere.
import { html, render, useState, useEffect, useRef, useMemo, useCallback } from "./vendor/preact-htm.js";

const BASE = "/__eventual/console/";

async function getJSON(path) {
  const answer = await fetch(BASE + path, { cache: "no-store" });
  if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
  return answer.json();
}

async function act(action, fields) {
  const answer = await fetch(BASE + action, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(fields),
  });
  const body = await answer.json().catch(() => ({}));
  return { ok: answer.ok, status: answer.status, message: body.message || "" };
}

const pad = (n, width = 2) => String(n).padStart(width, "0");
function clock(ms) {
  const t = new Date(ms);
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}
function since(ms) {
  const seconds = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  return `${Math.floor(seconds / 3600)}h ago`;
}
function identityText(identity) {
  if (!identity) return "";
  return Object.entries(identity)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}
const statusClass = (status) => (status >= 500 ? "failed" : status >= 400 ? "refused" : "ok");
const routeOf = (event) => (event.kind === "management" ? `@connections ${event.route}` : event.route);

// -- the live feed ---------------------------------------------------------------------------

function useConsole() {
  const [state, setState] = useState(null);
  const [events, setEvents] = useState([]);
  const [feed, setFeed] = useState("connecting");
  const [dropped, setDropped] = useState(0);
  const known = useRef({ instance: null, lastSeq: 0, limit: 1000, refresh: null });

  const reload = useCallback(async () => {
    try {
      const next = await getJSON("state");
      known.current.limit = next.recentEvents;
      setState(next);
    } catch (error) {
      setFeed("offline");
    }
  }, []);

  const refreshSoon = useCallback(() => {
    if (known.current.refresh) return;
    known.current.refresh = setTimeout(() => {
      known.current.refresh = null;
      reload();
    }, 150);
  }, [reload]);

  useEffect(() => {
    reload();
    // Who is connected moves with the events; a reload of the server's handlers does not.
    const every = setInterval(() => document.visibilityState === "visible" && reload(), 5000);
    const source = new EventSource(BASE + "events");
    let batch = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const arrived = batch;
      batch = [];
      setEvents((old) => {
        const all = old.concat(arrived);
        return all.length > known.current.limit ? all.slice(all.length - known.current.limit) : all;
      });
    };
    source.onopen = () => setFeed("live");
    source.onerror = () => setFeed(source.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    source.addEventListener("hello", (message) => {
      const hello = JSON.parse(message.data);
      known.current.limit = hello.recentEvents;
      if (known.current.instance !== null && known.current.instance !== hello.instance) {
        // Another run of the server: its events start over.
        known.current.lastSeq = 0;
        batch = [];
        setEvents([]);
        reload();
      }
      known.current.instance = hello.instance;
      setFeed("live");
    });
    source.addEventListener("dropped", (message) => setDropped((n) => n + Number(message.data)));
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (event.seq <= known.current.lastSeq) return; // already shown (a resumed stream)
      known.current.lastSeq = event.seq;
      batch.push(event);
      if (event.kind === "connect" || event.kind === "disconnect" || event.kind === "management") {
        refreshSoon();
      } else if (event.kind === "message") {
        setState((old) => old && touch(old, event));
      }
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(flush);
        setTimeout(() => scheduled && flush(), 100); // a hidden tab gets no animation frames
      }
    };
    return () => {
      clearInterval(every);
      source.close();
    };
  }, []);

  return { state, events, feed, dropped, reload, clear: () => setEvents([]), clearDropped: () => setDropped(0) };
}

function touch(state, event) {
  // A message is the connection's latest activity (GetConnection's lastActiveAt).
  let changed = false;
  const connections = state.connections.map((conn) => {
    if (conn.connectionId !== event.connection || conn.lastActiveAt >= event.at) return conn;
    changed = true;
    return { ...conn, lastActiveAt: event.at };
  });
  return changed ? { ...state, connections } : state;
}

// -- panels ----------------------------------------------------------------------------------

function Sockets({ state }) {
  return html`<section id="sockets">
    <h2>Sockets</h2>
    ${state.sockets.map((sock) => html`<article class="socket" data-socket=${sock.name} key=${sock.name}>
      <h3>${sock.name} <a class="docs" href=${sock.docs}>docs</a></h3>
      <p class="url"><code>${sock.url}</code></p>
      <dl>
        <dt>Route selection</dt><dd><code>${sock.routeSelection}</code></dd>
        <dt>Authorizer</dt><dd class="authorizer">${sock.authorizer || "none"}</dd>
        ${sock.middleware.length ? html`<dt>Middleware</dt><dd>${sock.middleware.join(" → ")}</dd>` : null}
        <dt>Timeout</dt><dd>${sock.options.integrationTimeout} s${sock.options.timeout === null ? " (API Gateway's)" : ""}</dd>
        <dt>Memory</dt><dd>${sock.options.memorySize === null ? "default" : `${sock.options.memorySize} MB`}</dd>
        <dt>Tracks connections</dt><dd>${sock.options.trackConnections ? "yes" : "no"}</dd>
        ${sock.options.fanOutAbove !== null ? html`<dt>Fan out above</dt><dd>${sock.options.fanOutAbove}</dd>` : null}
        ${sock.location ? html`<dt>Declared</dt><dd><code>${sock.location}</code></dd>` : null}
      </dl>
      <table class="routes">
        <thead><tr><th>Route</th><th>Handler</th></tr></thead>
        <tbody>${sock.routes.map((route) => html`<tr class="route" data-route=${route.key} key=${route.key}>
          <td><code>${route.key}</code></td>
          <td>${route.handler || html`<em>none: accepted and ignored</em>`}
            ${route.message ? html`<details class="schema"><summary>message schema</summary><pre>${JSON.stringify(route.message, null, 2)}</pre></details>` : null}
            ${route.reply ? html`<details class="schema"><summary>reply schema</summary><pre>${JSON.stringify(route.reply, null, 2)}</pre></details>` : null}
          </td>
        </tr>`)}</tbody>
      </table>
    </article>`)}
  </section>`;
}

function ConnectionRow({ conn, showChannels }) {
  const [text, setText] = useState("");
  const [outcome, setOutcome] = useState("");
  const send = async (submit) => {
    submit.preventDefault();
    const result = await act("send", { socket: conn.socket, connectionId: conn.connectionId, data: text });
    setOutcome(result.ok ? "sent" : `${result.status} ${result.message}`);
  };
  const disconnect = async () => {
    const result = await act("disconnect", { socket: conn.socket, connectionId: conn.connectionId });
    setOutcome(result.ok ? "disconnecting" : `${result.status} ${result.message}`);
  };
  return html`<tr class="connection" data-connection=${conn.connectionId} data-socket=${conn.socket}>
    <td>${conn.socket}</td>
    <td><code>${conn.connectionId}</code></td>
    <td class="identity" title=${JSON.stringify(conn.identity)}>${identityText(conn.identity) || html`<em>none</em>`}</td>
    <td title=${new Date(conn.connectedAt).toISOString()}>${clock(conn.connectedAt)}</td>
    <td class="last-active" title=${new Date(conn.lastActiveAt).toISOString()}>${since(conn.lastActiveAt)}</td>
    ${showChannels ? html`<td class="channels">${(conn.channels || []).join(", ")}</td>` : null}
    <td class="actions">
      <form class="send" onSubmit=${send}>
        <input name="data" placeholder="message" value=${text} onInput=${(e) => setText(e.target.value)} />
        <button type="submit">Send</button>
      </form>
      <button class="disconnect" onClick=${disconnect}>Disconnect</button>
      <span class="outcome">${outcome}</span>
    </td>
  </tr>`;
}

function Connections({ state }) {
  const showChannels = state.channels !== null;
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 5000); // "12s ago" moves on
    return () => clearInterval(timer);
  }, []);
  const hidden = state.connectionCount - state.connections.length;
  return html`<section id="connections">
    <h2>Connections <span class="count">${state.connectionCount}</span></h2>
    ${state.connections.length === 0 ? html`<p class="empty">No one is connected.</p>` : html`<table>
      <thead><tr><th>Socket</th><th>Connection</th><th>Identity</th><th>Connected</th><th>Last active</th>
        ${showChannels ? html`<th>Channels</th>` : null}<th></th></tr></thead>
      <tbody>${state.connections.map((conn) => html`<${ConnectionRow} key=${conn.connectionId} conn=${conn} showChannels=${showChannels} />`)}</tbody>
    </table>`}
    ${hidden > 0 ? html`<p class="more">and ${hidden} more, not listed</p>` : null}
  </section>`;
}

function Channels({ state }) {
  // Shown only when the server reports channels (issue 20): members per channel, and publish.
  const [form, setForm] = useState({ socket: "", channel: "", data: "" });
  const [outcome, setOutcome] = useState("");
  const rows = [];
  for (const [socket, channels] of Object.entries(state.channels)) {
    for (const [channel, members] of Object.entries(channels)) rows.push({ socket, channel, members });
  }
  const publish = async (submit) => {
    submit.preventDefault();
    const result = await act("publish", form);
    setOutcome(result.ok ? "published" : `${result.status} ${result.message}`);
  };
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  return html`<section id="channels">
    <h2>Channels</h2>
    ${rows.length === 0 ? html`<p class="empty">No channel has members.</p>` : html`<table>
      <thead><tr><th>Socket</th><th>Channel</th><th>Members</th></tr></thead>
      <tbody>${rows.map((row) => html`<tr class="channel" data-channel=${row.channel} key=${row.socket + " " + row.channel}>
        <td>${row.socket}</td><td>${row.channel}</td><td>${row.members.join(", ")}</td></tr>`)}</tbody>
    </table>`}
    <form id="publish" onSubmit=${publish}>
      <select value=${form.socket} onChange=${set("socket")}>
        <option value="">socket</option>${Object.keys(state.channels).map((name) => html`<option>${name}</option>`)}
      </select>
      <input placeholder="channel" value=${form.channel} onInput=${set("channel")} />
      <input placeholder="message" value=${form.data} onInput=${set("data")} />
      <button type="submit">Publish</button> <span class="outcome">${outcome}</span>
    </form>
  </section>`;
}

function EventRow({ event }) {
  const [open, setOpen] = useState(event.failure !== undefined);
  const more = event.body !== undefined || event.failure !== undefined || event.detail !== undefined;
  return html`<tbody class=${"event " + statusClass(event.status)} data-kind=${event.kind} data-socket=${event.socket}
      data-route=${event.route} data-connection=${event.connection} data-status=${event.status}>
    <tr onClick=${() => more && setOpen(!open)} class=${more ? "expandable" : ""}>
      <td class="time">${clock(event.at)}</td>
      <td>${event.socket}</td>
      <td class="route"><code>${routeOf(event)}</code></td>
      <td class="connection"><code>${event.connection}</code></td>
      <td class="identity">${identityText(event.identity)}</td>
      <td class="status">${event.status}</td>
      <td class="ms">${event.ms}</td>
    </tr>
    ${open ? html`<tr class="details"><td colspan="7">
      ${event.detail !== undefined ? html`<p class="detail">${event.detail}</p>` : null}
      ${event.channel !== undefined ? html`<p class="channel">channel ${event.channel}</p>` : null}
      ${event.body !== undefined ? html`<pre class="body">${event.body}</pre>
        ${event.bodyLength ? html`<p class="note">the first part of ${event.bodyLength}</p>` : null}` : null}
      ${event.failure !== undefined ? html`<pre class="failure">${event.failure}</pre>` : null}
    </td></tr>` : null}
  </tbody>`;
}

function Events({ state, events, dropped, clear, clearDropped }) {
  const [filter, setFilter] = useState({ socket: "", connection: "", channel: "", status: "" });
  const set = (name) => (e) => setFilter({ ...filter, [name]: e.target.value.trim() });
  const showChannels = state.channels !== null;
  const members = useMemo(() => {
    // channel -> its members, to filter by channel the events of its connections too
    const byChannel = {};
    for (const channels of Object.values(state.channels || {})) {
      for (const [channel, ids] of Object.entries(channels)) {
        byChannel[channel] = new Set([...(byChannel[channel] || []), ...ids]);
      }
    }
    return byChannel;
  }, [state.channels]);
  const shown = events.filter((event) => {
    if (filter.socket && event.socket !== filter.socket) return false;
    if (filter.connection && !event.connection.includes(filter.connection)) return false;
    if (filter.status === "ok" && event.status >= 400) return false;
    if (filter.status === "errors" && event.status < 400) return false;
    if (filter.channel && event.channel !== filter.channel && !(members[filter.channel] || new Set()).has(event.connection)) return false;
    return true;
  });
  return html`<section id="events">
    <h2>Live events <span class="count">${shown.length}</span>
      <small>the last ${state.recentEvents} the server keeps</small></h2>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <select id="filter-socket" value=${filter.socket} onChange=${set("socket")}>
        <option value="">all sockets</option>
        ${state.sockets.map((sock) => html`<option value=${sock.name}>${sock.name}</option>`)}
      </select>
      <input id="filter-connection" placeholder="connection" value=${filter.connection} onInput=${set("connection")} />
      ${showChannels ? html`<input id="filter-channel" placeholder="channel" value=${filter.channel} onInput=${set("channel")} />` : null}
      <select id="filter-status" value=${filter.status} onChange=${set("status")}>
        <option value="">any status</option><option value="ok">ok (below 400)</option><option value="errors">errors (400 and up)</option>
      </select>
      <button type="button" onClick=${clear}>Clear</button>
    </form>
    ${dropped > 0 ? html`<p id="dropped" class="warning">${dropped} events were dropped while this tab fell behind.
      <button type="button" onClick=${clearDropped}>OK</button></p>` : null}
    <div class="scroll"><table>
      <thead><tr><th>Time</th><th>Socket</th><th>Route</th><th>Connection</th><th>Identity</th><th>Status</th><th>ms</th></tr></thead>
      ${shown.slice().reverse().map((event) => html`<${EventRow} key=${event.seq} event=${event} />`)}
    </table></div>
  </section>`;
}

function Client({ state }) {
  const [form, setForm] = useState({ socket: state.sockets[0]?.name || "", query: "", subprotocol: "" });
  const [message, setMessage] = useState("");
  const [log, setLog] = useState([]);
  const [open, setOpen] = useState(false);
  const ws = useRef(null);
  const add = (kind, text) => setLog((old) => old.concat({ kind, text, at: Date.now(), n: old.length }).slice(-500));
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const connect = (submit) => {
    submit.preventDefault();
    if (ws.current) ws.current.close(1000);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = form.query.replace(/^\?/, "");
    const url = `${scheme}://${location.host}/__ws/${encodeURIComponent(form.socket)}${query ? "?" + query : ""}`;
    const protocols = form.subprotocol.split(",").map((p) => p.trim()).filter(Boolean);
    const socket = protocols.length ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.current = socket;
    add("info", `connecting to ${url}`);
    socket.onopen = () => {
      setOpen(true);
      add("open", `open${socket.protocol ? ` (subprotocol ${socket.protocol})` : ""}`);
    };
    socket.onmessage = async (message) => {
      const data = typeof message.data === "string" ? message.data : `[binary, ${(await message.data.arrayBuffer()).byteLength} bytes]`;
      add("received", data);
    };
    socket.onerror = () => add("error", "error (the handshake was refused, or the connection failed)");
    socket.onclose = (close) => {
      if (ws.current === socket) setOpen(false);
      add("closed", `closed ${close.code} ${close.reason}`.trim());
    };
  };
  const send = (submit) => {
    submit.preventDefault();
    if (!ws.current || ws.current.readyState !== WebSocket.OPEN) return;
    ws.current.send(message);
    add("sent", message);
  };
  useEffect(() => () => ws.current && ws.current.close(1000), []);
  return html`<section id="client" data-state=${open ? "open" : "closed"}>
    <h2>Client</h2>
    <form id="client-connect" onSubmit=${connect}>
      <select name="socket" value=${form.socket} onChange=${set("socket")}>
        ${state.sockets.map((sock) => html`<option value=${sock.name}>${sock.name}</option>`)}
      </select>
      <input name="query" placeholder="query string: user=ada&room=1" value=${form.query} onInput=${set("query")} />
      <input name="subprotocol" placeholder="subprotocol" value=${form.subprotocol} onInput=${set("subprotocol")} />
      <button type="submit">${open ? "Reconnect" : "Connect"}</button>
      ${open ? html`<button type="button" onClick=${() => ws.current.close(1000)}>Close</button>` : null}
    </form>
    <form id="client-send" onSubmit=${send}>
      <textarea name="message" rows="2" placeholder='{"action": "sendMessage", "data": "hi"}' value=${message}
        onInput=${(e) => setMessage(e.target.value)}></textarea>
      <button type="submit" disabled=${!open}>Send</button>
    </form>
    <ol id="client-log">${log.map((entry) => html`<li class=${entry.kind} key=${entry.n}>
      <span class="time">${clock(entry.at)}</span> <span class="text">${entry.text}</span></li>`)}</ol>
  </section>`;
}

function App() {
  const { state, events, feed, dropped, clear, clearDropped } = useConsole();
  if (!state) return html`<p class="loading">Loading the console…</p>`;
  return html`<header>
      <h1>${state.service} <small>eventual local console</small></h1>
      <span id="feed" data-state=${feed} class=${feed}>${feed}</span>
      <a href=${state.docs}>Message docs</a>
    </header>
    <main>
      <div class="column">
        <${Connections} state=${state} />
        ${state.channels !== null ? html`<${Channels} state=${state} />` : null}
        <${Sockets} state=${state} />
      </div>
      <div class="column wide">
        <${Events} state=${state} events=${events} dropped=${dropped} clear=${clear} clearDropped=${clearDropped} />
        <${Client} state=${state} />
      </div>
    </main>`;
}

render(html`<${App} />`, document.getElementById("app"));
