// The example page: one WebSocket to a socket of the example service, on the page's own origin.
"use strict";

const log = document.getElementById("log");
const statusText = document.getElementById("status");
const socketSelect = document.getElementById("socket");
const messageInput = document.getElementById("message");
let ws = null;

function show(kind, text) {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = text;
  log.append(item);
}

function setState(state, text) {
  document.body.dataset.state = state;
  statusText.textContent = text;
}

function socketUrl(name) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/__ws/${encodeURIComponent(name)}`;
}

// Sockets that speak a subprotocol: the page asks for it, and $connect selects it.
const SUBPROTOCOLS = { lobby: "lobby.v1" };

function open(name) {
  if (ws) ws.close(1000, "switching sockets");
  const url = socketUrl(name);
  const socket = SUBPROTOCOLS[name] ? new WebSocket(url, SUBPROTOCOLS[name]) : new WebSocket(url);
  ws = socket;
  setState("connecting", `connecting to ${url}…`);
  socket.onopen = () => {
    const protocol = socket.protocol ? ` (subprotocol ${socket.protocol})` : "";
    setState("open", `connected to ${url}${protocol}`);
  };
  socket.onmessage = (event) => show("received", event.data);
  socket.onclose = (event) => {
    show("closed", `closed ${event.code}${event.reason ? " " + event.reason : ""}`);
    if (ws === socket) setState("closed", `closed (${event.code})`);
  };
}

document.getElementById("connect").addEventListener("submit", (event) => {
  event.preventDefault();
  open(socketSelect.value);
});

document.getElementById("send").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!ws || ws.readyState !== WebSocket.OPEN) return show("error", "not connected");
  ws.send(messageInput.value);
  show("sent", messageInput.value);
});

const requested = new URLSearchParams(location.search).get("socket");
if (requested) socketSelect.value = requested;
open(socketSelect.value);
