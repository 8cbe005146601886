// The inspector page (static/inspector.html): renders what /inspector/feed pushes
// (server/inspector/feed.py: a snapshot, then `session`, `peerConnection` and `forget`
// messages) and draws the stats charts on canvases. No framework, no shim.js.
(function inspector(window) {
  'use strict';
  const document = window.document;
  // Filled in by the server, for its own pages on this machine (as /shim.js's token).
  const servedToken = null;
  const LOG_KEPT = 500;  // as the server's bounds (server/inspector/records.py)
  const POINTS_KEPT = 300;
  const RECONNECT_MS = 1000;
  const COLORS = ['#1f5fbf', '#d9480f', '#16794c', '#7c3aed', '#b42318', '#0e7490'];

  const hashToken = new URLSearchParams(window.location.hash.slice(1)).get('token');
  const token = hashToken || servedToken;
  const sessions = new Map();  // id -> {view, element}
  const peerConnections = new Map();  // handle -> {view, log, points, element, shown}

  // --- small DOM helpers -----------------------------------------------------------------

  const make = (tag, attributes = {}, ...children) => {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined && value !== null) element.setAttribute(name, value);
    }
    for (const child of children) element.append(child instanceof Node ? child : String(child ?? ''));
    return element;
  };
  const clock = (ms) => (ms ? new Date(ms).toISOString().slice(11, 23) : '');
  const relative = (ms, origin) => `+${((ms - origin) / 1000).toFixed(3)} s`;
  const number = (value) => (value === null || value === undefined ? '' : value);
  const table = (className, headings, rows) => make('table', { class: className },
    make('thead', {}, make('tr', {}, ...headings.map((heading) => make('th', {}, heading)))),
    make('tbody', {}, ...rows));
  const cell = (value, className) => make('td', { class: className }, value);
  const replaceSection = (container, selector, content) => {
    container.querySelector(selector).replaceChildren(...[content].flat());
  };

  // --- the feed ----------------------------------------------------------------------------

  const setStatus = (status, text) => {
    const element = document.getElementById('feed-status');
    element.dataset.status = status;
    element.textContent = text;
  };

  const connect = () => {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const protocols = token ? ['rtcshim', `rtcshim-token.${token}`] : ['rtcshim'];
    const socket = new WebSocket(`${scheme}//${window.location.host}/inspector/feed`, protocols);
    socket.onopen = () => setStatus('live', 'live');
    socket.onmessage = (event) => receive(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (event.code === 1008) {
        setStatus('refused', `refused: ${event.reason}`);
        return;  // admission says no: retrying would not change it
      }
      setStatus('disconnected', 'disconnected from the server; reconnecting…');
      setTimeout(connect, RECONNECT_MS);
    };
  };

  const receive = (message) => {
    if (message.type === 'snapshot') {
      sessions.clear();
      peerConnections.clear();
      document.getElementById('sessions').replaceChildren();
      for (const session of message.sessions) updateSession(session, session.log);
      for (const pc of message.peerConnections) updatePeerConnection(pc, pc.log, pc.points);
    } else if (message.type === 'session') {
      updateSession(message.session, message.log);
    } else if (message.type === 'peerConnection') {
      updatePeerConnection(message.peerConnection, message.log, message.points);
    } else if (message.type === 'forget' && message.session) {
      forgetSession(message.session);
    } else if (message.type === 'forget') {
      peerConnections.get(message.peerConnection)?.element.remove();
      peerConnections.delete(message.peerConnection);
    }
    showEmpty();
  };

  const showEmpty = () => {
    const main = document.getElementById('sessions');
    const empty = main.querySelector('.empty');
    if (sessions.size === 0 && !empty) main.append(make('p', { class: 'empty' }, 'No session yet: open a page that loads the shim.'));
    if (sessions.size > 0 && empty) empty.remove();
  };

  // --- sessions ------------------------------------------------------------------------------

  const updateSession = (view, log = []) => {
    let session = sessions.get(view.id);
    if (!session) {
      const element = make('section', { class: 'session', 'data-session': view.id },
        make('h2', {}), make('div', { class: 'session-pcs' }),
        make('details', { class: 'session-log' }, make('summary', {}, 'session calls and events'),
          make('div', { class: 'log' }, table('log-table', ['time', 'call / event', 'value', 'outcome'], []))));
      document.getElementById('sessions').prepend(element);
      session = { view, element, log: [] };
      sessions.set(view.id, session);
    }
    session.view = view;
    session.element.dataset.closed = String(view.closedAt !== null);
    session.element.querySelector('h2').replaceChildren(
      `Session ${view.id} `, make('span', { class: 'badge', 'data-value': view.closedAt ? 'closed' : 'open' },
        view.closedAt ? 'closed' : 'open'),
      make('span', { class: 'note' }, ` origin ${view.origin ?? '(none)'} · opened ${clock(view.openedAt)}`
        + (view.closedAt ? ` · closed ${clock(view.closedAt)}` : '')
        + (view.seenFromStart ? '' : ' · recorded from when the inspector opened')));
    appendLog(session.element.querySelector('.session-log tbody'), session.log, log, view.openedAt);
  };

  const forgetSession = (id) => {
    const session = sessions.get(id);
    if (!session) return;
    for (const handle of session.view.peerConnections) peerConnections.delete(handle);
    session.element.remove();
    sessions.delete(id);
  };

  const appendLog = (tbody, kept, entries, origin) => {
    for (const entry of entries) {
      kept.push(entry);
      const row = make('tr', { 'data-kind': entry.kind, class: entry.outcome?.startsWith('rejected') ? 'rejected' : null },
        cell(`${clock(entry.time)} (${relative(entry.time, origin)})`), cell(entry.name, 'name'),
        cell(entry.value, 'value'), cell(entry.outcome ?? '', 'value'));
      tbody.append(row);
    }
    while (kept.length > LOG_KEPT) {
      kept.shift();
      tbody.firstElementChild?.remove();
    }
  };

  // --- peer connections ------------------------------------------------------------------------


  const newPeerConnection = (view) => {
    const element = make('article', { class: 'pc', 'data-pc': view.handle },
      make('h3', {}), make('div', { class: 'states' }),
      make('h4', {}, 'charts'), make('div', { class: 'charts' }),
      make('div', { class: 'grid2' },
        make('div', {}, make('h4', {}, 'state timeline'), make('div', { class: 'timeline' })),
        make('div', {}, make('h4', {}, 'ICE candidate pairs and candidates'), make('div', { class: 'ice' }))),
      make('h4', {}, 'tracks'), make('div', { class: 'tracks' }),
      make('h4', {}, 'data channels'), make('div', { class: 'channels' }),
      make('h4', {}, 'API calls and events'), make('div', { class: 'log' },
        table('log-table', ['time', 'call / event', 'value', 'outcome'], [])),
      make('h4', {}, 'session descriptions'), make('div', { class: 'sdp grid2' },
        make('div', { class: 'sdp-local' }), make('div', { class: 'sdp-remote' })),
      make('details', { class: 'configuration' }, make('summary', {}, 'configuration'), make('pre', {})));
    return { view, element, log: [], points: [], shown: {} };
  };

  const updatePeerConnection = (view, log = [], points = []) => {
    let pc = peerConnections.get(view.handle);
    if (!pc) {
      pc = newPeerConnection(view);
      peerConnections.set(view.handle, pc);
      const session = sessions.get(view.session);
      (session ? session.element.querySelector('.session-pcs') : document.getElementById('sessions')).append(pc.element);
    }
    pc.view = view;
    pc.element.dataset.closed = String(view.closedAt !== null);
    pc.element.querySelector('h3').replaceChildren(`${view.handle} `, make('span', { class: 'note' },
      `made ${clock(view.createdAt)}` + (view.closedAt ? ` · closed ${clock(view.closedAt)}` : '')
      + (view.seenFromStart ? '' : ' · recorded from when the inspector opened')));
    renderStates(pc);
    renderTimeline(pc);
    renderIce(pc);
    renderTracks(pc);
    renderChannels(pc);
    renderDescriptions(pc);
    pc.element.querySelector('.configuration pre').textContent = JSON.stringify(view.configuration, null, 2);
    appendLog(pc.element.querySelector('.log tbody'), pc.log, log, view.createdAt);
    pc.points.push(...points);
    pc.points.splice(0, Math.max(0, pc.points.length - POINTS_KEPT));
    if (points.length || !pc.element.querySelector('.chart-box')) renderCharts(pc);
  };

  const renderStates = (pc) => {
    replaceSection(pc.element, '.states', Object.entries(pc.view.states).map(([name, value]) => make('span', {},
      `${name} `, make('span', { class: 'badge', 'data-state': name, 'data-value': value }, value), ' ')));
  };

  const renderTimeline = (pc) => {
    const rows = pc.view.timeline.map((change) => make('tr', {},
      cell(`${clock(change.time)} (${relative(change.time, pc.view.createdAt)})`), cell(change.state),
      make('td', {}, make('span', { class: 'badge', 'data-value': change.value }, change.value))));
    replaceSection(pc.element, '.timeline', table('timeline-table', ['time', 'state', 'value'], rows));
  };

  const renderIce = (pc) => {
    const { pairs, candidates } = pc.view;
    if (!pairs.length && !candidates.length) {
      replaceSection(pc.element, '.ice', make('p', { class: 'note' }, pc.view.statsTimestamp ? 'no candidates yet' : 'waiting for the first stats report'));
      return;
    }
    const pairRows = pairs.map((pair) => make('tr', { class: pair.selected ? 'selected' : null, 'data-pair': pair.id },
      cell(pair.selected ? '✔ selected' : ''), cell(pair.local), cell(pair.remote), cell(pair.state),
      cell(number(pair.rttMs), 'number'), cell(number(pair.bytesSent), 'number'), cell(number(pair.bytesReceived), 'number')));
    const candidateRows = candidates.map((candidate) => make('tr', {}, cell(candidate.side), cell(candidate.type),
      cell(candidate.protocol), cell(`${candidate.address}:${candidate.port}`), cell(number(candidate.priority), 'number')));
    replaceSection(pc.element, '.ice', [
      table('pairs', ['', 'local', 'remote', 'state', 'RTT ms', 'bytes sent', 'bytes received'], pairRows),
      table('candidates', ['side', 'type', 'protocol', 'address', 'priority'], candidateRows)]);
  };

  const trackName = (track) => (track ? `${track.label} (${track.readyState}${track.muted ? ', muted' : ''})` : '—');
  const rates = (stream) => (stream ? [cell(number(stream.fps), 'number fps'), cell(number(stream.kbps), 'number kbps'),
    cell(stream.size ?? '')] : [cell(''), cell(''), cell('')]);

  const renderTracks = (pc) => {
    if (!pc.view.tracks.length) {
      replaceSection(pc.element, '.tracks', make('p', { class: 'note' }, 'no transceiver'));
      return;
    }
    const rows = [];
    for (const track of pc.view.tracks) {
      for (const [direction, stream, side] of [['send', track.sent, track.sender], ['receive', track.received, track.receiver]]) {
        rows.push(make('tr', { 'data-mid': track.mid, 'data-direction': direction, 'data-kind': track.kind },
          cell(track.mid ?? '—'), cell(track.kind), cell(`${direction} (${track.currentDirection ?? track.direction})`),
          cell(trackName(side)), cell(stream?.codec ?? ''), ...rates(stream), cell(number(stream?.frames), 'number')));
      }
    }
    replaceSection(pc.element, '.tracks', table('tracks-table',
      ['mid', 'kind', 'direction', 'track', 'codec', 'frames/s', 'kbit/s', 'size', 'frames'], rows));
  };

  const renderChannels = (pc) => {
    if (!pc.view.dataChannels.length) {
      replaceSection(pc.element, '.channels', make('p', { class: 'note' }, 'no data channel'));
      return;
    }
    const rows = pc.view.dataChannels.map((channel) => make('tr', { 'data-label': channel.label },
      cell(channel.label), cell(number(channel.id)), make('td', {}, make('span', { class: 'badge', 'data-value': channel.readyState }, channel.readyState)),
      cell(channel.messagesSent, 'number messagesSent'), cell(channel.bytesSent, 'number bytesSent'),
      cell(channel.messagesReceived, 'number messagesReceived'), cell(channel.bytesReceived, 'number bytesReceived'),
      cell(channel.bufferedAmount, 'number')));
    replaceSection(pc.element, '.channels', table('channels-table',
      ['label', 'id', 'state', 'messages sent', 'bytes sent', 'messages received', 'bytes received', 'buffered'], rows));
  };

  // Redrawn only when the text changed: a reader's open or closed sections stay so.
  const renderDescriptions = (pc) => {
    for (const side of ['local', 'remote']) {
      const description = pc.view[`${side}Description`];
      const key = description ? `${description.type}\n${description.sdp}` : '';
      if (pc.shown[side] === key) continue;
      pc.shown[side] = key;
      const title = make('strong', {}, `${side} description` + (description ? ` (${description.type})` : ': none yet'));
      const sections = (description?.sections ?? []).map((section) => make('details',
        { class: 'sdp-section', open: section.heading === 'session' ? null : '' },
        make('summary', {}, section.heading), make('pre', {}, section.lines.join('\n'))));
      replaceSection(pc.element, `.sdp-${side}`, [title, ...sections]);
    }
  };

  // --- charts --------------------------------------------------------------------------------

  const renderCharts = (pc) => {
    const container = pc.element.querySelector('.charts');
    const names = [];
    // A chart shows once one of its series has a value (no data channel: no messages chart).
    for (const point of pc.points) {
      for (const [name, series] of Object.entries(point.charts)) {
        if (Object.keys(series).length && !names.includes(name)) names.push(name);
      }
    }
    if (!names.length) {
      container.replaceChildren(make('p', { class: 'note' }, pc.view.closedAt ? 'no stats were read' : 'waiting for the first stats report'));
      return;
    }
    for (const name of names) {
      let box = [...container.querySelectorAll('.chart-box')].find((candidate) => candidate.dataset.chart === name);
      if (!box) {
        container.querySelector('.note')?.remove();
        box = make('div', { class: 'chart-box', 'data-chart': name }, make('strong', {}, name),
          make('canvas', { class: 'chart', 'data-chart': name }), make('div', { class: 'legend' }));
        container.append(box);
      }
      drawChart(box, pc.points, name);
    }
  };

  // Each series of chart `name` as a line over the points' times, from 0 to its largest value.
  const drawChart = (box, points, name) => {
    const canvas = box.querySelector('canvas');
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 360;
    const height = canvas.clientHeight || 140;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const context = canvas.getContext('2d');
    context.scale(ratio, ratio);
    context.clearRect(0, 0, width, height);
    const series = [];
    for (const point of points) for (const key of Object.keys(point.charts[name] ?? {})) if (!series.includes(key)) series.push(key);
    const values = points.flatMap((point) => Object.values(point.charts[name] ?? {}));
    const top = Math.max(1, ...values) * 1.1;
    const first = points[0].t;
    const span = Math.max(1, points[points.length - 1].t - first);
    const left = 44;
    const plotWidth = width - left - 6;
    const plotHeight = height - 18;
    context.strokeStyle = '#d0d4da';
    context.fillStyle = '#5b6470';
    context.font = '10px system-ui, sans-serif';
    for (const fraction of [0, 0.5, 1]) {
      const y = 4 + plotHeight * (1 - fraction);
      context.beginPath();
      context.moveTo(left, y);
      context.lineTo(width - 6, y);
      context.stroke();
      context.fillText(formatAxis(top * fraction), 2, y + 3);
    }
    context.fillText(`${(span / 1000).toFixed(0)} s`, width - 30, height - 2);
    let drawn = 0;
    series.forEach((key, index) => {
      context.strokeStyle = COLORS[index % COLORS.length];
      context.lineWidth = 1.5;
      context.beginPath();
      let started = false;
      for (const point of points) {
        const value = point.charts[name]?.[key];
        if (value === undefined) continue;
        const x = left + plotWidth * ((point.t - first) / span);
        const y = 4 + plotHeight * (1 - value / top);
        if (started) context.lineTo(x, y); else context.moveTo(x, y);
        started = true;
        drawn += 1;
      }
      context.stroke();
    });
    canvas.dataset.points = String(drawn);
    const last = points[points.length - 1].charts[name] ?? {};
    box.querySelector('.legend').replaceChildren(...series.map((key, index) => make('span', {},
      make('i', { style: `background:${COLORS[index % COLORS.length]}` }), `${key}: ${number(last[key])}`)));
  };

  const formatAxis = (value) => (value >= 10000 ? `${(value / 1000).toFixed(0)}k` : value >= 10 ? value.toFixed(0) : value.toFixed(1));

  // --- the page's controls ----------------------------------------------------------------------

  const exportJson = async () => {
    const response = await fetch('/inspector/dump', { headers: token ? { Authorization: `Bearer ${token}` } : {} });
    if (!response.ok) {
      setStatus('refused', `export refused: ${await response.text()}`);
      return;
    }
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'rtcshim-inspector.json';
    const link = make('a', { href: URL.createObjectURL(await response.blob()), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  };

  document.getElementById('export').addEventListener('click', exportJson);
  document.getElementById('hide-closed').addEventListener('change', (event) => {
    document.body.classList.toggle('hide-closed', event.target.checked);
  });
  connect();
}(window));
