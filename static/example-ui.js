/* The page helpers the examples in /examples/ share: the room from the query string, the
 * status line and the chat panels (a log, a message input and a Send button). Nothing WebRTC
 * lives here: every page keeps its own legacy API calls, so each still reads on its own.
 * Plain ES5 with globals, like the pages: no modules, no build step. */

// Room names go into the relay's URL path: letters, digits, '-' and '_' only.
function roomFromQuery() {
  var match = /[?&]room=([^&#]*)/.exec(window.location.search);
  var room = match ? decodeURIComponent(match[1].replace(/\+/g, ' ')) : '';
  room = room.replace(/[^A-Za-z0-9_-]/g, '');
  return room || 'demo';
}

// Names the room on the page and points the link to the other tab's page at the same room.
function showRoom(room, otherPage) {
  document.getElementById('room-name').textContent = room;
  document.getElementById('other-side').href = otherPage + '?room=' + encodeURIComponent(room);
}

function showStatus(text, isError) {
  var statusLine = document.getElementById('status');
  statusLine.textContent = text;
  statusLine.className = isError ? 'status error' : 'status';
}

// The failure callback the pages hand to the legacy API: the error goes to the status line.
function showError(err) {
  showStatus('Error: ' + (err && err.name ? err.name + ': ' + err.message : err), true);
}

// One chat panel's elements, by id: prefix '' finds #log, #chat, #message and #send;
// 'alice-' finds #alice-log, #alice-chat, #alice-message and #alice-send.
function findChat(prefix) {
  return {
    log: document.getElementById(prefix + 'log'),
    form: document.getElementById(prefix + 'chat'),
    input: document.getElementById(prefix + 'message'),
    button: document.getElementById(prefix + 'send')
  };
}

function addToLog(chat, text, kind) {
  var item = document.createElement('li');
  item.className = kind;
  item.textContent = text;
  chat.log.appendChild(item);
  chat.log.scrollTop = chat.log.scrollHeight;
}

function setChatEnabled(chat, enabled) {
  chat.input.disabled = !enabled;
  chat.button.disabled = !enabled;
}

// When the form is submitted with some text, send(text) gets it. If send returns true (the
// text went out), the text joins the log as "You: …" and the input is cleared for the next.
function onChatSubmit(chat, send) {
  chat.form.onsubmit = function (event) {
    event.preventDefault();
    var text = chat.input.value;
    if (text && send(text)) {
      addToLog(chat, 'You: ' + text, 'mine');
      chat.input.value = '';
      chat.input.focus();
    }
    return false;
  };
}
