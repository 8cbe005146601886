/*
 * rtcshim: the whole browser side. Include it with one <script src="/shim.js"> and the
 * page gets a complete WebRTC API whose every call runs, over one WebSocket, in a real
 * aiortc peer connection on the rtcshim server. No build step; plain modern JavaScript.
 *
 * What crosses the socket is described in server/protocol.toml; keep both in step.
 *
 * Options, set before this script loads:
 *   window.rtcshimOptions = {
 *     url: 'ws://host:port/bridge',  // default: /bridge on the origin this script came from
 *     mode: 'replace',               // 'replace' the native API, or install only 'missing' names
 *     capture: 'server',             // getUserMedia from the server's sources, or 'browser':
 *                                    // the browser's own capture, uploaded as the source
 *     idpTimeout: 15000,             // ms an identity provider may take (load plus one call)
 *     prefixes: 'auto',              // prefixed names to install ('webkit', 'moz', 'ms'): 'auto'
 *                                    // (those of the engine's family), 'all', or a list
 *     token: null,                   // the server's --token; a page the server serves has it
 *     debug: false,                  // true: every call to the server on console.debug, with
 *                                    // its params, its outcome and the time it took
 *   };
 * Afterwards `window.rtcshim` holds the version, the options, the engine `family` and the
 * `prefixes` installed, the native objects that were replaced (`rtcshim.native`),
 * `rtcshim.session()`, a promise of the server's session id for this page,
 * `rtcshim.handleOf(object)`, the handle the server knows one of the page's objects by
 * (`PeerConnection@…`; null for other objects and closed ones: Python's typed handles,
 * docs/python-api.md, find the server's object by it), and
 * `rtcshim.webSocketProtocols`, to pass to `new WebSocket(url, protocols)` for the
 * server's other sockets (/signal/<room>): they carry the token, if any.
 * When the bridge to the server is lost (the server stopped or closed it, the network
 * failed), the console gets a warning saying why and `rtcshim.events`, an EventTarget, fires
 * `bridgeclose`, a CustomEvent whose `detail` is `{reason, code}` (code: the WebSocket close
 * code, null when the shim itself gave up); every call after it fails with an OperationError.
 *
 * Layout: the Symbols the classes share; helpers (among them exposeInterface, the WebIDL
 * binding); the engine family's legacy prefixes and how a global or a navigator member is
 * installed (window.rtcshim keeps the native objects replaced); the bridge (socket, calls,
 * handle table, the factories of the objects the server creates); then the interfaces, one
 * section each (a class or a few, with their helpers; bridge events are handled in each
 * class's `[EVENTS]` table). Each section's install function, `installX(window)`,
 * feature-guarded and run once per window, follows the classes it installs (the media
 * section has two; configuration, which only normalises, has none). At the bottom, the one
 * sequence that calls them, with the reasons for its order. docs/design.md's module map
 * lists the sections in order.
 */
(function (window) {
  'use strict';

  if (window.rtcshim && window.rtcshim.installed) {
    return; // loaded twice: the first copy already owns the globals
  }

  const VERSION = '0.1.0';
  const PROTOCOL_VERSION = 1;
  const options = Object.assign({ url: null, mode: 'replace', capture: 'server' }, window.rtcshimOptions);
  // The server fills this in for its own pages when it has a token (server/app.py says when).
  const servedToken = null;
  // The token travels as a subprotocol, beside 'rtcshim' which the server selects
  // (server/admission.py says why not in the URL).
  const token = options.token || servedToken;
  const WEBSOCKET_PROTOCOLS = Object.freeze(token ? ['rtcshim', `rtcshim-token.${token}`] : []);
  // Offered on the bridge only: this shim reads batch frames (protocol.toml, "Framing").
  const BATCH_PROTOCOL = 'rtcshim-batch';
  // The most messages, and about the most characters, a batch frame to the server holds
  // (the server's frames: 20 MiB at most; a character is at most 3 bytes of UTF-8).
  const OUTGOING_BATCH_MESSAGES = 256;
  const OUTGOING_BATCH_CHARACTERS = 1 << 20;
  // Kept before anything is replaced: the browser's own capture, for capture: 'browser'.
  const nativeMediaDevices = window.navigator && window.navigator.mediaDevices;
  // And the engine's own MediaStream and MediaStreamTrack, where the page still has them
  // (see engineMedia).
  const keptMediaStream = window.MediaStream;
  const keptMediaStreamTrack = window.MediaStreamTrack;
  const scriptSource = window.document && window.document.currentScript
    ? window.document.currentScript.src : window.location.href;
  // Guards the constructors the page must not call (RTCDataChannel has none in the spec).
  const INTERNAL = Symbol('rtcshim internal');
  // What one class keeps to itself is a private #member. These keys name the internal
  // members that one part of the shim uses on another's objects, kept off the page's
  // surface (the WebIDL binding wraps string-named members only):
  // - each class's brand test, for exposeInterface;
  const HAS_BRAND = Symbol('is an instance of this interface');
  // - what the Bridge uses on every object in its handle table, and its factories on a
  //   peer connection (the objects the server made for it);
  const EVENTS = Symbol('bridge events');
  const BRIDGE_LOST = Symbol('bridge lost');
  const ADOPT = Symbol('adopt an object the server made');
  // - the handle the server knows a certificate, track or transceiver by;
  const GUID = Symbol('handle');
  // - what a peer connection asks of the objects it closes, and what its data channels,
  //   its senders (replaceTrack's place in the operations chain), its transceivers (a
  //   change an offer made meanwhile misses) and the getStats section ask of it;
  const CLOSE_QUIETLY = Symbol('close or end without events');
  const MAX_MESSAGE_SIZE = Symbol('max message size');
  const STATS = Symbol('request stats');
  const INITIAL_OFFERER = Symbol('made the first offer');
  const CHAIN = Symbol('chain an operation');
  const DESCRIBED_CHANGED = Symbol('what a description describes changed');
  // - a transceiver's, for its peer connection, sender, receiver and DTMF sender;
  const KIND = Symbol('kind');
  const CALL = Symbol('call');
  const CHECK_USABLE = Symbol('check usable');
  const SET_DIRECTION = Symbol('set direction');
  const NEGOTIATED = Symbol('negotiated');
  const STOPPED = Symbol('stopped');
  const USED_TO_SEND = Symbol('used to send');
  const TRANSPORT = Symbol('transport');
  const TELEPHONE_EVENT = Symbol('telephone-event negotiated');
  // - a sender's and a receiver's, for their transceiver and peer connection;
  const SET_TRACK = Symbol('set track');
  const SET_SOURCES = Symbol('set the sources heard');
  // - between tracks, the streams they are in, the peer connection that receives them
  //   and media playback;
  const STREAMS = Symbol('streams the track is in');
  const TRACK_ENDED = Symbol('a track ended');
  const LISTEN_PLAYBACK = Symbol("listen to the track's playback stream");
  const NATIVE_TRACK = Symbol('native track for playback');
  const NATIVE_STREAM = Symbol('native stream for playback');
  const WITH_ID = Symbol('stream with a given id');
  const ADD_REMOTE_TRACK = Symbol('remote track added');
  const REMOVE_REMOTE_TRACK = Symbol('remote track removed');
  // - an ICE and a DTLS transport's, for the peer connection's states (what they return
  //   fires their events, once every state of the moment is in).
  const UPDATE = Symbol('update');

  // --- helpers ---------------------------------------------------------------

  function makeError(name, message, constraint = '') {
    if (name === 'TypeError') {
      return new TypeError(message);
    }
    if (name === 'OverconstrainedError') {
      return new (window.OverconstrainedError || OverconstrainedError)(constraint, message);
    }
    return new DOMException(message, name);
  }

  // A reply's error: an RTCError when it carries an errorDetail, else by name.
  function errorFromWire(error) {
    if (error.errorDetail !== undefined) {
      return new RTCError({ errorDetail: error.errorDetail, sdpLineNumber: error.sdpLineNumber }, error.message);
    }
    return makeError(error.name, error.message, error.constraint);
  }

  function randomHandle(type) {
    const bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    let text = '';
    for (const byte of bytes) {
      text += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[byte & 63];
    }
    return type + '@' + text;
  }

  // A version 4 UUID (stream and track ids): crypto.randomUUID needs a secure context,
  // and old pages are often opened over plain http.
  function randomUuid() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const utf8 = new TextEncoder();
  const utf8Decoder = new TextDecoder();

  // WebIDL's USVString: a lone surrogate becomes U+FFFD.
  function usvString(value) {
    const text = String(value);
    return typeof text.toWellFormed === 'function'
      ? text.toWellFormed()
      // Pairs stay; any other surrogate is alone (no lookbehind: WPE 2.38's JavaScriptCore has none).
      : text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]|[\uD800-\uDFFF]/g, (match) => (match.length === 2 ? match : '\uFFFD'));
  }

  // A dictionary member: left out (undefined) takes its default; null is a value, which an
  // enum refuses (WebIDL converts it to the string 'null').
  function memberOr(value, fallback) {
    return value === undefined ? fallback : value;
  }

  function enumValue(value, allowed, typeName) {
    const text = String(value);
    if (!allowed.includes(text)) {
      throw new TypeError(`The provided value '${text}' is not a valid enum value of type ${typeName}.`);
    }
    return text;
  }

  // WebIDL [EnforceRange] unsigned short / octet.
  function enforceRange(value, max, what) {
    const number = Number(value);
    if (!Number.isFinite(number) || number < 0 || number > max) {
      throw new TypeError(`${what} is outside the range [0, ${max}].`);
    }
    return Math.trunc(number);
  }

  // Event handler IDL attributes (onfoo) over the EventTarget the class extends.
  const eventHandlers = new WeakMap();
  function defineEventHandlers(proto, names) {
    for (const name of names) {
      Object.defineProperty(proto, 'on' + name, {
        enumerable: true,
        configurable: true,
        get() {
          const handlers = eventHandlers.get(this);
          return (handlers && handlers.get(name)) || null;
        },
        set(value) {
          let handlers = eventHandlers.get(this);
          if (!handlers) {
            handlers = new Map();
            eventHandlers.set(this, handlers);
          }
          if (!handlers.has(name)) {
            // The listener's place among listeners is fixed by the first assignment.
            this.addEventListener(name, (event) => {
              const handler = handlers.get(name);
              if (typeof handler === 'function') {
                handler.call(this, event);
              }
            });
          }
          handlers.set(name, typeof value === 'function' ? value : null);
        },
      });
    }
  }

  // The members whose IDL type is a promise: WebIDL turns their exceptions into rejections.
  const PROMISE_MEMBERS = new Set(['createOffer', 'createAnswer', 'setLocalDescription', 'setRemoteDescription',
    'addIceCandidate', 'getStats', 'replaceTrack', 'setParameters', 'applyConstraints', 'enumerateDevices',
    'getUserMedia', 'generateCertificate', 'getIdentityAssertion', 'peerIdentity']);

  function named(name, fn) {
    return Object.defineProperty(fn, 'name', { value: name });
  }

  // WebIDL's binding of an interface: every operation and attribute is enumerable, checks
  // that `this` is one of ours (cls[HAS_BRAND], a private field test) and has the IDL's
  // .name and .length (from `lengths`, which may also give the constructor's); the
  // prototype carries a toStringTag.
  function exposeInterface(cls, name, lengths = {}) {
    const hasBrand = cls[HAS_BRAND];
    if (!Object.hasOwn(cls, HAS_BRAND)) {
      throw new Error(`rtcshim: ${name} has no brand test of its own`);
    }
    const guard = (member, fn) => {
      const isPromise = PROMISE_MEMBERS.has(member);
      return function (...args) {
        try {
          if (!hasBrand(this)) {
            throw new TypeError(`Illegal invocation: ${name}.${member} was called on an object that is not a ${name}`);
          }
          return fn.apply(this, args);
        } catch (error) {
          if (isPromise) return Promise.reject(error);
          throw error;
        }
      };
    };
    const proto = cls.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor') {
        continue;
      }
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (descriptor.value) {
        const length = key in lengths ? lengths[key] : descriptor.value.length;
        descriptor.value = Object.defineProperty(named(key, guard(key, descriptor.value)), 'length', { value: length });
      } else {
        descriptor.get = descriptor.get && named(`get ${key}`, guard(key, descriptor.get));
        descriptor.set = descriptor.set && named(`set ${key}`, guard(key, descriptor.set));
      }
      descriptor.enumerable = true;
      Object.defineProperty(proto, key, descriptor);
    }
    for (const key of Object.getOwnPropertyNames(cls)) {
      if (!['length', 'name', 'prototype'].includes(key)) {
        Object.defineProperty(cls, key, { enumerable: true });
      }
    }
    if (Object.hasOwn(lengths, 'constructor')) {
      Object.defineProperty(cls, 'length', { value: lengths.constructor });
    }
    Object.defineProperty(proto, Symbol.toStringTag, { value: name, configurable: true });
    return cls;
  }

  // --- the legacy prefixes of the engine's family --------------------------------

  // Pages and libraries of 2013-2016 tell browsers apart by their prefixed names (period
  // adapter.js tests navigator.mozGetUserMedia first, then webkitGetUserMedia), then parse
  // the user agent for that browser's version: a page works only if the names it finds
  // name the browser its user agent names. So a page gets the prefixes its engine family
  // shipped, told from the engine's own features, never from the user agent (which a
  // test may override): Gecko (user agent "Firefox/") the moz names; Blink ("Chrome/") and
  // WebKit the webkit names; any other engine none, so that libraries take their
  // standards branch. The ms names only when asked. rtcshimOptions.prefixes overrides the
  // rule: 'auto', 'all', or a list such as ['webkit'].
  const ALL_PREFIXES = ['webkit', 'moz', 'ms'];
  const FAMILY_PREFIXES = { gecko: ['moz'], blink: ['webkit'], webkit: ['webkit'], other: [] };

  function engineFamily(window) {
    const cssSupports = (property, value) => Boolean(window.CSS && window.CSS.supports(property, value));
    if ('mozInnerScreenX' in window || cssSupports('-moz-appearance', 'none')) {
      return 'gecko';
    }
    if ('chrome' in window || 'webkitRequestFileSystem' in window) {
      return 'blink';
    }
    return cssSupports('-webkit-appearance', 'none') ? 'webkit' : 'other';
  }

  function chosenPrefixes(window, option) {
    if (option === undefined || option === 'auto') {
      return FAMILY_PREFIXES[engineFamily(window)];
    }
    if (option === 'all') {
      return ALL_PREFIXES;
    }
    if (Array.isArray(option) && option.every((prefix) => ALL_PREFIXES.includes(prefix))) {
      return ALL_PREFIXES.filter((prefix) => option.includes(prefix));
    }
    console.error(`rtcshim: rtcshimOptions.prefixes must be 'auto', 'all' or a list of ${ALL_PREFIXES.join(', ')};`
      + ` got ${JSON.stringify(option)}, so the engine's own are used`);
    return FAMILY_PREFIXES[engineFamily(window)];
  }

  const PREFIXES = chosenPrefixes(window, options.prefixes);

  // `name` and its prefixed forms among `shipped` (the prefixes browsers really had for
  // it) that this page gets: webkitRTCPeerConnection, mozGetUserMedia, ...
  function withPrefixes(name, shipped) {
    const capitalized = name[0].toUpperCase() + name.slice(1);
    return [name, ...PREFIXES.filter((prefix) => shipped.includes(prefix)).map((prefix) => prefix + capitalized)];
  }

  // --- installing: the page's globals, navigator's members, window.rtcshim ------------

  // Every install function does its work once per window, and so is idempotent: it starts
  // with `if (!firstInstall(window, installX)) return;`. Each is also guarded by feature
  // detection where it needs something of the engine's: what an engine lacks is left out,
  // and the rest of the shim still installs.
  const installedOn = new WeakMap(); // window -> the install functions that ran on it
  function firstInstall(window, install) {
    let done = installedOn.get(window);
    if (!done) {
      done = new Set();
      installedOn.set(window, done);
    }
    if (done.has(install)) {
      return false;
    }
    done.add(install);
    return true;
  }

  // Expose an interface under its names (the standard one first, then the prefixed
  // aliases), keeping any native one in rtcshim.native. In 'missing' mode a browser's own
  // interface stays, and the aliases it lacks point to it, as adapter.js does.
  function installGlobal(window, names, value) {
    const nativePrimary = window[names[0]];
    const chosen = options.mode === 'missing' && nativePrimary ? nativePrimary : value;
    for (const name of names) {
      if (name in window) {
        window.rtcshim.native[name] = window[name];
        if (options.mode === 'missing') {
          continue;
        }
      }
      Object.defineProperty(window, name, { value: chosen, writable: true, configurable: true, enumerable: false });
    }
  }

  // Navigator members live on Navigator.prototype, as a browser's do, with the brand check
  // of the realm's one navigator. In 'missing' mode the browser's own members stay. A
  // global without Navigator (not a window) gets none.
  function installOnNavigator(window, names, descriptor) {
    if (!window.Navigator) {
      return;
    }
    const proto = window.Navigator.prototype;
    const guard = (member, fn) => function (...args) {
      if (this !== window.navigator) {
        throw new TypeError(`Illegal invocation: ${member} was called on an object that is not a Navigator`);
      }
      return fn.apply(this, args);
    };
    for (const name of names) {
      if (name in proto) {
        window.rtcshim.native[`navigator.${name}`] = window.navigator[name];
        if (options.mode === 'missing') {
          continue;
        }
      }
      const member = descriptor.get
        ? { get: named(`get ${name}`, guard(name, descriptor.get)) }
        : { value: Object.defineProperty(named(name, guard(name, descriptor.value)), 'length', { value: descriptor.value.length }), writable: true };
      Object.defineProperty(proto, name, { ...member, enumerable: true, configurable: true });
    }
  }

  function installRtcshim(window) {
    if (!firstInstall(window, installRtcshim)) {
      return;
    }
    Object.defineProperty(window, 'rtcshim', {
      value: {
        installed: true,
        version: VERSION,
        options,
        // The engine family the legacy prefixes were chosen for, and the prefixes installed.
        family: engineFamily(window),
        prefixes: Object.freeze([...PREFIXES]),
        native: {},
        session: () => getBridge().sessionReady,
        handleOf,
        events: bridgeEvents,
        webSocketProtocols: WEBSOCKET_PROTOCOLS,
      },
      configurable: true,
      writable: true,
    });
  }

  // --- the bridge ------------------------------------------------------------

  // Where the page hears that the bridge is lost (rtcshim.events; the header says what it fires).
  const bridgeEvents = new EventTarget();

  // One WebSocket per page, opened on first use. Calls made before it opens wait.
  class Bridge {
    constructor(url) {
      this.url = url;
      this.nextId = 1;
      this.pending = new Map(); // call id -> {resolve, reject}
      this.objects = new Map(); // handle -> page object
      this.waiting = []; // frames sent before the socket opened
      this.lostError = null;
      this.opened = false;
      this.sessionReady = new Promise((resolve, reject) => {
        this.sessionResolve = resolve;
        this.sessionReject = reject;
      });
      this.sessionReady.catch(() => {}); // observed through rtcshim.session()
      // What came in and is not handled yet, in order, one a task (see `deliver`).
      this.inbox = [];
      this.nextTask = nextTaskScheduler(() => this.handleNext());
      this.nextScheduled = false;
      this.outgoing = []; // unanswered calls' text frames, not sent yet (see `notify`)
      this.socket = new WebSocket(url, [...new Set([...WEBSOCKET_PROTOCOLS, 'rtcshim', BATCH_PROTOCOL])]);
      this.socket.binaryType = 'arraybuffer';
      this.socket.onopen = () => {
        this.opened = true;
        for (const frame of this.waiting) {
          this.socket.send(frame);
        }
        this.waiting = [];
      };
      this.socket.onmessage = (message) => this.deliver(message.data);
      // After the messages that came before it: their replies are not rejected as lost.
      this.socket.onclose = (event) => this.afterInbox(() => {
        if (event.reason) {
          // The server closed with its reason (an origin or token refused, a limit): every call says it.
          const reason = `the rtcshim server closed the connection: ${event.reason}`;
          console.error(`rtcshim: ${reason}`);
          this.lose(reason, event.code);
        } else {
          const reason = this.opened
            ? `the connection to the rtcshim server was lost (${describeCloseCode(event.code)})`
            : `could not connect to the rtcshim server at ${this.url} (${describeCloseCode(event.code)})`;
          if (!this.lostError) {
            console.warn(`rtcshim: ${reason}; the page's peer connections have failed`);
          }
          this.lose(reason, event.code);
        }
      });
      this.objects.set('Session', this);
      this.spareCertificates = []; // {spare, fingerprints}: see generateCertificate
    }

    call(guid, method, params, payload) {
      const reply = this.send(guid, method, params, payload);
      return options.debug ? traceCall(`${guid.split('@')[0]}.${method}`, params, payload, reply) : reply;
    }

    send(guid, method, params, payload) {
      if (this.lostError) {
        return Promise.reject(makeError('OperationError', this.lostError));
      }
      const id = this.nextId++;
      const message = { id, guid, method, params };
      this.sendUnbatched(payload === undefined ? JSON.stringify(message) : binaryFrame(message, payload));
      return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    }

    // A call the server answers with nothing (protocol.toml: `reply = false`): no id, no
    // promise; a failure comes back as the object's events. Text ones made in one task go
    // in batch frames, at the end of the task (a burst of data-channel sends: a socket
    // write and a frame for the server to read per 256, not per message). Calls with an id
    // are not batched: a batch refused as too large would leave their promises pending.
    notify(guid, method, params, payload) {
      if (this.lostError) {
        return;
      }
      const message = { guid, method, params };
      if (payload !== undefined) {
        this.sendUnbatched(binaryFrame(message, payload));
        return;
      }
      this.outgoing.push(JSON.stringify(message));
      if (this.outgoing.length === 1) {
        queueMicrotask(() => this.flushOutgoing());
      }
    }

    // After the batched notifications before it: frames leave in the order they were made.
    sendUnbatched(frame) {
      this.flushOutgoing();
      this.write(frame);
    }

    flushOutgoing() {
      let batch = [];
      let characters = 0;
      for (const text of this.outgoing) {
        if (batch.length === OUTGOING_BATCH_MESSAGES || characters + text.length > OUTGOING_BATCH_CHARACTERS) {
          this.write(batch.length === 1 ? batch[0] : `[${batch.join(',')}]`);
          batch = [];
          characters = 0;
        }
        batch.push(text);
        characters += text.length;
      }
      if (batch.length > 0) {
        this.write(batch.length === 1 ? batch[0] : `[${batch.join(',')}]`);
      }
      this.outgoing = [];
    }

    write(frame) {
      if (this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(frame);
      } else {
        this.waiting.push(frame);
      }
    }

    // A frame from the server: one message, or a batch of them (protocol.toml, "Framing"),
    // each handled in a task of its own, as if it had come in its own frame: the promise
    // reactions to one (a reply's `await`) run before the next message is handled.
    deliver(data) {
      if (typeof data !== 'string') {
        this.afterInbox(() => this.receive(parseBinaryFrame(data)));
      } else if (data.charCodeAt(0) === 0x5b) { // '[': a batch
        const idle = this.inbox.length === 0;
        for (const message of JSON.parse(data)) {
          this.inbox.push(() => this.receive(message));
        }
        if (idle) {
          this.handleNext(); // the first now, as a frame of its own would be
        }
      } else {
        this.afterInbox(() => this.receive(JSON.parse(data)));
      }
    }

    // `handle` now if nothing waits in the inbox, else in its turn (a next task is
    // scheduled whenever the inbox holds something).
    afterInbox(handle) {
      if (this.inbox.length === 0) {
        handle();
      } else {
        this.inbox.push(handle);
      }
    }

    scheduleNext() {
      if (this.inbox.length > 0 && !this.nextScheduled) {
        this.nextScheduled = true;
        this.nextTask();
      }
    }

    handleNext() {
      this.nextScheduled = false;
      const handle = this.inbox.shift();
      this.scheduleNext(); // first: a handler that throws stops no later message
      handle();
    }

    receive(message) {
      if ('id' in message) {
        const call = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!call) {
          console.error('rtcshim: the server rejected a malformed message:', message.error);
        } else if (message.error) {
          call.reject(errorFromWire(message.error));
        } else {
          call.resolve(message.result);
        }
        return;
      }
      const target = this.objects.get(message.guid);
      if (!target) {
        return; // an object the page already closed
      }
      if (message.event === '__create__') {
        const { type, guid, initializer } = message.params;
        this.objects.set(guid, FACTORIES[type](target, guid, initializer));
      } else if (message.event === '__dispose__') {
        this.objects.delete(message.guid);
      } else {
        target[EVENTS][message.event](message.params);
      }
    }

    // The bridge's events for this object (protocol.toml: Session events).
    [EVENTS] = {
      hello: (params) => {
        if (params.version !== PROTOCOL_VERSION) {
          this.lose(`the server speaks protocol ${params.version}, this shim ${PROTOCOL_VERSION}`);
          this.socket.close();
          return;
        }
        this.sessionResolve(params.session);
      },
      spareCertificate: (params) => {
        this.spareCertificates.push(params);
      },
    };

    register(guid, object) {
      this.objects.set(guid, object);
    }

    lose(reason, code = null) {
      if (this.lostError) {
        return;
      }
      this.lostError = reason;
      bridgeEvents.dispatchEvent(new CustomEvent('bridgeclose', { detail: { reason, code } }));
      this.sessionReject(makeError('OperationError', reason));
      for (const call of this.pending.values()) {
        call.reject(makeError('OperationError', reason));
      }
      this.pending.clear();
      this.spareCertificates = [];
      for (const object of this.objects.values()) {
        if (object !== this) {
          object[BRIDGE_LOST]();
        }
      }
      this.objects.clear();
    }
  }

  // rtcshim.handleOf: the handle table, read backwards (a peer connection, data channel,
  // track, transceiver, transport or certificate of the page; null for anything else).
  function handleOf(object) {
    for (const [guid, known] of bridge ? bridge.objects : []) {
      if (known === object && known !== bridge) return guid;
    }
    return null;
  }

  // What a WebSocket close code says about why the bridge went (RFC 6455, 7.4.1).
  function describeCloseCode(code) {
    const meanings = {
      1000: 'the server closed it', 1001: 'the server is going away', 1006: 'closed abnormally: the server '
        + 'stopped or the network failed', 1011: 'the server failed', 1012: 'the server is restarting',
    };
    return `WebSocket code ${code}${meanings[code] ? `: ${meanings[code]}` : ''}`;
  }

  // rtcshimOptions.debug: each call to the server on the console once settled, with its
  // params (long strings cut), its outcome and the time it took.
  function traceCall(name, params, payload, reply) {
    const started = performance.now();
    const call = `rtcshim: ${name}(${summarize(params)}${payload === undefined ? '' : `, ${payload.byteLength} bytes`})`;
    const took = () => `${Math.round(performance.now() - started)} ms`;
    reply.then(
      (result) => console.debug(`${call} -> ${summarize(result)} in ${took()}`),
      (error) => console.debug(`${call} -> ${error.name}: ${error.message} in ${took()}`));
    return reply;
  }

  function summarize(value) {
    const text = JSON.stringify(value, (key, item) => (
      typeof item === 'string' && item.length > 60 ? `${item.slice(0, 60)}…(${item.length} chars)` : item)) ?? '';
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }

  // Objects the server creates, by protocol type: (parent, handle, initializer) -> object.
  // Bridge.receive reads it for __create__, which arrives only after this script has run,
  // so the classes it names may be defined further down.
  const FACTORIES = {
    DataChannel: (peerConnection, guid, initializer) => peerConnection[ADOPT](
      new RTCDataChannel(INTERNAL, peerConnection, guid, initializer)),
    MediaStreamTrack: (parent, guid, initializer) => new MediaStreamTrack(INTERNAL, guid, initializer),
    Transceiver: (peerConnection, guid, initializer) => peerConnection[ADOPT](new RTCRtpTransceiver(
      INTERNAL, peerConnection, guid, initializer, getBridge().objects.get(initializer.receiverTrack))),
    DtlsTransport: (peerConnection, guid, initializer) => peerConnection[ADOPT](
      new RTCDtlsTransport(INTERNAL, initializer)),
    SctpTransport: (peerConnection, guid, initializer) => peerConnection[ADOPT](
      new RTCSctpTransport(INTERNAL, getBridge().objects.get(initializer.transport), initializer)),
    Certificate: (session, guid, initializer) => new RTCCertificate(INTERNAL, guid, initializer),
  };

  // A function that runs `callback` in a task of its own, soon: a MessageChannel's message
  // (timers are clamped and throttled; a page without MessageChannel gets a timer).
  function nextTaskScheduler(callback) {
    if (typeof MessageChannel !== 'function') {
      return () => setTimeout(callback, 0);
    }
    const channel = new MessageChannel();
    channel.port1.onmessage = callback;
    return () => channel.port2.postMessage(null);
  }

  function binaryFrame(message, payload) {
    const header = utf8.encode(JSON.stringify(message));
    const frame = new Uint8Array(4 + header.length + payload.byteLength);
    new DataView(frame.buffer).setUint32(0, header.length);
    frame.set(header, 4);
    frame.set(payload, 4 + header.length);
    return frame;
  }

  function parseBinaryFrame(buffer) {
    const headerLength = new DataView(buffer).getUint32(0);
    const message = JSON.parse(utf8Decoder.decode(new Uint8Array(buffer, 4, headerLength)));
    message.params.data = buffer.slice(4 + headerLength);
    return message;
  }

  // Calls behind synchronous APIs do not wait for their reply; a refusal is reported on
  // the console (after the bridge is lost, failing says nothing new).
  function reportFailure(what) {
    return (error) => {
      if (!bridge.lostError) {
        console.error(`rtcshim: ${what} failed on the server:`, error);
      }
    };
  }

  let bridge = null;
  function getBridge() {
    if (!bridge) {
      const url = options.url || (() => {
        // The bridge beside shim.js: /bridge, or /prefix/bridge for an app mounted under a
        // prefix in the developer's own (rtcshim.create_app).
        const besideShim = new URL(scriptSource).pathname.endsWith('/shim.js');
        const address = new URL(besideShim ? 'bridge' : '/bridge', scriptSource);
        address.protocol = address.protocol === 'https:' ? 'wss:' : 'ws:';
        return address.href;
      })();
      bridge = new Bridge(url);
    }
    return bridge;
  }

  // --- RTCSessionDescription, RTCIceCandidate ------------------------------------

  const SDP_TYPES = ['offer', 'pranswer', 'answer', 'rollback'];

  class RTCSessionDescription {
    #type;
    static [HAS_BRAND](object) { return #type in object; }
    #sdp;

    constructor(descriptionInitDict) {
      if (descriptionInitDict === null || typeof descriptionInitDict !== 'object') {
        throw new TypeError("Failed to construct 'RTCSessionDescription': parameter 1 is not an object.");
      }
      if (descriptionInitDict.type === undefined) {
        throw new TypeError("Failed to construct 'RTCSessionDescription': required member type is undefined.");
      }
      this.#type = enumValue(descriptionInitDict.type, SDP_TYPES, 'RTCSdpType');
      this.#sdp = descriptionInitDict.sdp == null ? '' : String(descriptionInitDict.sdp);
    }

    get type() { return this.#type; }
    // Writable, as in 2013 browsers: old pages munge `description.sdp` in place.
    set type(value) { this.#type = enumValue(value, SDP_TYPES, 'RTCSdpType'); }
    get sdp() { return this.#sdp; }
    set sdp(value) { this.#sdp = String(value); }

    toJSON() {
      return { type: this.#type, sdp: this.#sdp };
    }
  }

  const CANDIDATE_FIELDS = ['foundation', 'component', 'protocol', 'priority', 'address', 'port', 'type'];

  // The fields of "candidate:<foundation> <component> <protocol> <priority> <address> <port> typ <type> ...".
  function parseCandidate(text) {
    const fields = Object.fromEntries(
      CANDIDATE_FIELDS.concat(['tcpType', 'relatedAddress', 'relatedPort', 'usernameFragment'])
        .map((name) => [name, null]));
    const words = text.replace(/^(a=)?candidate:/, '').trim().split(/\s+/);
    if (words.length < 8 || words[6] !== 'typ') {
      return fields;
    }
    fields.foundation = words[0];
    fields.component = words[1] === '1' ? 'rtp' : words[1] === '2' ? 'rtcp' : null;
    fields.protocol = words[2].toLowerCase();
    fields.priority = Number(words[3]);
    fields.address = words[4];
    fields.port = Number(words[5]);
    fields.type = words[7];
    const extensions = { raddr: 'relatedAddress', rport: 'relatedPort', tcptype: 'tcpType', ufrag: 'usernameFragment' };
    for (let i = 8; i + 1 < words.length; i += 2) {
      const name = extensions[words[i]];
      if (name) {
        fields[name] = name === 'relatedPort' ? Number(words[i + 1]) : words[i + 1];
      }
    }
    return fields;
  }

  // WebIDL's RTCIceCandidateInit, its defaults filled in.
  function iceCandidateInit(dict) {
    const init = dict == null ? {} : dict;
    return {
      candidate: init.candidate === undefined ? '' : String(init.candidate),
      sdpMid: init.sdpMid == null ? null : String(init.sdpMid),
      sdpMLineIndex: init.sdpMLineIndex == null ? null : enforceRange(init.sdpMLineIndex, 65535, 'sdpMLineIndex'),
      usernameFragment: init.usernameFragment == null ? null : String(init.usernameFragment),
    };
  }

  class RTCIceCandidate {
    #init;
    static [HAS_BRAND](object) { return #init in object; }
    #fields;

    constructor(candidateInitDict = {}) {
      const init = iceCandidateInit(candidateInitDict);
      if (init.sdpMid === null && init.sdpMLineIndex === null) {
        throw new TypeError("Failed to construct 'RTCIceCandidate': The 'sdpMid' and 'sdpMLineIndex' are both null.");
      }
      this.#fields = parseCandidate(init.candidate);
      // webrtc-pc: the dictionary's usernameFragment (null if left out), not the string's ufrag.
      this.#init = init;
    }

    get candidate() { return this.#init.candidate; }
    get sdpMid() { return this.#init.sdpMid; }
    get sdpMLineIndex() { return this.#init.sdpMLineIndex; }
    get usernameFragment() { return this.#init.usernameFragment; }
    get foundation() { return this.#fields.foundation; }
    get component() { return this.#fields.component; }
    get priority() { return this.#fields.priority; }
    get address() { return this.#fields.address; }
    get protocol() { return this.#fields.protocol; }
    get port() { return this.#fields.port; }
    get type() { return this.#fields.type; }
    get tcpType() { return this.#fields.tcpType; }
    get relatedAddress() { return this.#fields.relatedAddress; }
    get relatedPort() { return this.#fields.relatedPort; }
    // Set by the ICE agent on its own relay candidates; aiortc does not report which
    // TURN server or transport a relay candidate came from.
    get relayProtocol() { return null; }
    get url() { return null; }

    toJSON() {
      return { ...this.#init };
    }
  }

  function installDescriptions(window) {
    if (!firstInstall(window, installDescriptions)) {
      return;
    }
    installGlobal(window, withPrefixes('RTCSessionDescription', ALL_PREFIXES),
      exposeInterface(RTCSessionDescription, 'RTCSessionDescription', { toJSON: 0 }));
    installGlobal(window, withPrefixes('RTCIceCandidate', ['moz']),
      exposeInterface(RTCIceCandidate, 'RTCIceCandidate', { toJSON: 0 }));
  }

  // --- events ----------------------------------------------------------------

  class RTCPeerConnectionIceEvent extends Event {
    #candidate;
    static [HAS_BRAND](object) { return #candidate in object; }
    #url;

    constructor(type, eventInitDict = {}) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to construct 'RTCPeerConnectionIceEvent': 1 argument required, but only 0 present.");
      }
      const candidate = eventInitDict == null || eventInitDict.candidate == null ? null : eventInitDict.candidate;
      if (candidate !== null && !(candidate instanceof RTCIceCandidate)) {
        throw new TypeError("Failed to construct 'RTCPeerConnectionIceEvent': Failed to read the 'candidate' property from 'RTCPeerConnectionIceEventInit': Failed to convert value to 'RTCIceCandidate'.");
      }
      super(type, eventInitDict);
      this.#candidate = candidate;
      this.#url = eventInitDict.url == null ? null : String(eventInitDict.url);
    }

    get candidate() { return this.#candidate; }
    get url() { return this.#url; }
  }

  class RTCPeerConnectionIceErrorEvent extends Event {
    #init;
    static [HAS_BRAND](object) { return #init in object; }

    constructor(type, eventInitDict) {
      if (!eventInitDict || eventInitDict.errorCode === undefined) {
        throw new TypeError("Failed to construct 'RTCPeerConnectionIceErrorEvent': required member errorCode is undefined.");
      }
      super(type, eventInitDict);
      this.#init = {
        address: eventInitDict.address == null ? null : String(eventInitDict.address),
        port: eventInitDict.port == null ? null : enforceRange(eventInitDict.port, 65535, 'port'),
        url: eventInitDict.url === undefined ? '' : String(eventInitDict.url),
        errorCode: enforceRange(eventInitDict.errorCode, 65535, 'errorCode'),
        errorText: eventInitDict.errorText === undefined ? '' : String(eventInitDict.errorText),
      };
    }

    get address() { return this.#init.address; }
    get port() { return this.#init.port; }
    get url() { return this.#init.url; }
    get errorCode() { return this.#init.errorCode; }
    get errorText() { return this.#init.errorText; }
  }

  class RTCDataChannelEvent extends Event {
    #channel;
    static [HAS_BRAND](object) { return #channel in object; }

    constructor(type, eventInitDict) {
      if (!eventInitDict || !(eventInitDict.channel instanceof RTCDataChannel)) {
        throw new TypeError("Failed to construct 'RTCDataChannelEvent': required member channel is not an RTCDataChannel.");
      }
      super(type, eventInitDict);
      this.#channel = eventInitDict.channel;
    }

    get channel() { return this.#channel; }
  }

  const RTC_ERROR_DETAILS = ['data-channel-failure', 'dtls-failure', 'fingerprint-failure',
    'sctp-failure', 'sdp-syntax-error', 'hardware-encoder-not-available', 'hardware-encoder-error',
    // webrtc-identity
    'idp-bad-script-failure', 'idp-execution-failure', 'idp-load-failure', 'idp-need-login',
    'idp-timeout', 'idp-tls-failure', 'idp-token-expired', 'idp-token-invalid'];

  class RTCError extends DOMException {
    #init;
    static [HAS_BRAND](object) { return #init in object; }

    constructor(init, message = '') {
      super(message, 'OperationError');
      if (!init || init.errorDetail === undefined) {
        throw new TypeError("Failed to construct 'RTCError': required member errorDetail is undefined.");
      }
      // WebIDL's long and unsigned long: ToNumber (a Symbol or BigInt throws), then modulo
      // 2^32; NaN and infinities become 0.
      const long = (value) => (value == null ? null : +value | 0);
      const unsignedLong = (value) => (value == null ? null : +value >>> 0);
      this.#init = {
        errorDetail: enumValue(init.errorDetail, RTC_ERROR_DETAILS, 'RTCErrorDetailType'),
        httpRequestStatusCode: long(init.httpRequestStatusCode),
        receivedAlert: unsignedLong(init.receivedAlert),
        sctpCauseCode: long(init.sctpCauseCode),
        sdpLineNumber: long(init.sdpLineNumber),
        sentAlert: unsignedLong(init.sentAlert),
      };
    }

    get errorDetail() { return this.#init.errorDetail; }
    get sdpLineNumber() { return this.#init.sdpLineNumber; }
    get sctpCauseCode() { return this.#init.sctpCauseCode; }
    get receivedAlert() { return this.#init.receivedAlert; }
    get sentAlert() { return this.#init.sentAlert; }
    get httpRequestStatusCode() { return this.#init.httpRequestStatusCode; }
  }

  class RTCErrorEvent extends Event {
    #error;
    static [HAS_BRAND](object) { return #error in object; }

    constructor(type, eventInitDict) {
      if (!eventInitDict || !(eventInitDict.error instanceof RTCError)) {
        throw new TypeError("Failed to construct 'RTCErrorEvent': required member error is not an RTCError.");
      }
      super(type, eventInitDict);
      this.#error = eventInitDict.error;
    }

    get error() { return this.#error; }
  }

  function installEvents(window) {
    if (!firstInstall(window, installEvents)) {
      return;
    }
    installGlobal(window, ['RTCPeerConnectionIceEvent'], exposeInterface(RTCPeerConnectionIceEvent, 'RTCPeerConnectionIceEvent'));
    installGlobal(window, ['RTCPeerConnectionIceErrorEvent'],
      exposeInterface(RTCPeerConnectionIceErrorEvent, 'RTCPeerConnectionIceErrorEvent'));
    installGlobal(window, ['RTCDataChannelEvent'], exposeInterface(RTCDataChannelEvent, 'RTCDataChannelEvent'));
    installGlobal(window, ['RTCError'], exposeInterface(RTCError, 'RTCError'));
    installGlobal(window, ['RTCErrorEvent'], exposeInterface(RTCErrorEvent, 'RTCErrorEvent'));
  }

  // --- configuration ---------------------------------------------------------

  // webrtc-pc "validate an ICE server" on one URL (RFC 7064, RFC 7065), with Chromium's
  // error names: SyntaxError for anything malformed (a port outside 1-65535, a transport
  // other than udp or tcp), InvalidAccessError for a TURN URL without credentials, checked
  // once the scheme and the query's shape are known. The server checks again (ice_urls.py).
  function validateIceUrl(url, hasCredentials) {
    const syntaxError = (why) => makeError('SyntaxError', `'${url}' is not a valid stun or turn URL${why}.`);
    const parts = /^([A-Za-z][A-Za-z0-9+.-]*):([^?]*)(?:\?([\s\S]*))?$/.exec(url.trim());
    if (!parts) {
      throw makeError('SyntaxError', `'${url}' is not a valid URL.`);
    }
    const [, schemeText, hostPort, query] = parts;
    const scheme = schemeText.toLowerCase();
    if (!['stun', 'stuns', 'turn', 'turns'].includes(scheme)) {
      throw syntaxError('');
    }
    if (query !== undefined && (scheme.startsWith('stun') || !/^transport=[^?&]+/.test(query))) {
      throw syntaxError('');
    }
    if (scheme.startsWith('turn') && !hasCredentials) {
      throw makeError('InvalidAccessError', `The TURN server '${url}' needs a username and a credential.`);
    }
    let host;
    let portText;
    if (hostPort.startsWith('[')) {
      const close = hostPort.indexOf(']');
      host = close > 1 && /^[0-9A-Fa-f:.]+(%25.+)?$/.test(hostPort.slice(1, close)) ? hostPort.slice(1, close) : '';
      portText = close === -1 ? '' : hostPort.slice(close + 1);
    } else {
      const colon = hostPort.indexOf(':');
      host = colon === -1 ? hostPort : hostPort.slice(0, colon);
      portText = colon === -1 ? '' : hostPort.slice(colon);
      if (host.includes('@')) {
        throw syntaxError(': user@host is not allowed');
      }
      if (/[\s/#\[\]\\]/.test(host)) {
        host = '';
      }
    }
    if (!host) {
      throw syntaxError(': invalid host');
    }
    if (portText && !(/^:[0-9]+$/.test(portText) && Number(portText.slice(1)) >= 1 && Number(portText.slice(1)) <= 65535)) {
      throw syntaxError(': invalid port');
    }
    if (query !== undefined && !['udp', 'tcp'].includes(query.slice('transport='.length).toLowerCase())) {
      throw syntaxError(': the transport must be udp or tcp');
    }
  }

  function normalizeIceServers(iceServers) {
    if (iceServers === undefined) {
      return [];
    }
    if (!Array.isArray(iceServers)) {
      throw new TypeError("Failed to construct 'RTCPeerConnection': iceServers is not a sequence.");
    }
    return iceServers.map((server) => {
      if (server === null || typeof server !== 'object') {
        throw new TypeError('An RTCIceServer must be an object.');
      }
      // `url` is the 2013 name of `urls`.
      const urls = server.urls !== undefined ? server.urls : server.url;
      if (urls === undefined) {
        throw new TypeError("Failed to construct 'RTCPeerConnection': required member urls is undefined.");
      }
      const list = (Array.isArray(urls) ? urls : [urls]).map(String);
      if (list.length === 0) {
        throw makeError('SyntaxError', 'An RTCIceServer needs at least one URL.');
      }
      for (const url of list) {
        validateIceUrl(url, server.username !== undefined && server.credential !== undefined);
      }
      const normalized = { urls: list };
      if (server.username !== undefined) normalized.username = String(server.username);
      if (server.credential !== undefined) normalized.credential = String(server.credential);
      return normalized;
    });
  }

  function normalizeConfiguration(configuration) {
    const input = configuration == null ? {} : configuration;
    if (typeof input !== 'object') {
      throw new TypeError("Failed to construct 'RTCPeerConnection': The provided value is not of type 'RTCConfiguration'.");
    }
    return {
      iceServers: normalizeIceServers(input.iceServers),
      iceTransportPolicy: enumValue(memberOr(input.iceTransportPolicy, 'all'), ['all', 'relay'], 'RTCIceTransportPolicy'),
      bundlePolicy: enumValue(memberOr(input.bundlePolicy, 'balanced'), ['balanced', 'max-compat', 'max-bundle'], 'RTCBundlePolicy'),
      // "negotiate" is kept as Chromium does; the server muxes RTCP all the same.
      rtcpMuxPolicy: enumValue(memberOr(input.rtcpMuxPolicy, 'require'), ['require', 'negotiate'], 'RTCRtcpMuxPolicy'),
      iceCandidatePoolSize: enforceRange(input.iceCandidatePoolSize ?? 0, 255, 'iceCandidatePoolSize'),
      certificates: normalizeCertificates(input.certificates),
      ...(input.peerIdentity === undefined ? {} : { peerIdentity: String(input.peerIdentity) }),
    };
  }

  function cloneConfiguration(configuration) {
    return {
      ...configuration,
      iceServers: configuration.iceServers.map((server) => ({ ...server, urls: [...server.urls] })),
      certificates: [...configuration.certificates],
    };
  }

  // The configuration as the server takes it: certificates by handle; the target peer
  // identity stays in the page, which validates identities.
  function bridgeConfiguration(configuration) {
    const { peerIdentity, ...wire } = configuration;
    void peerIdentity;
    return { ...wire, certificates: configuration.certificates.map((certificate) => certificate[GUID]) };
  }

  // Legacy constraints: {mandatory: {OfferToReceiveAudio: true}, optional: [{...}]}, or
  // the flat {offerToReceiveAudio: 1}. Returns a value from either spelling, or undefined.
  function legacyConstraint(constraints, name) {
    if (constraints == null || typeof constraints !== 'object') {
      return undefined;
    }
    const capitalized = name[0].toUpperCase() + name.slice(1);
    const places = [constraints, constraints.mandatory || {}]
      .concat(Array.isArray(constraints.optional) ? constraints.optional : []);
    for (const place of places) {
      for (const key of [name, capitalized]) {
        if (place && place[key] !== undefined) {
          return place[key];
        }
      }
    }
    return undefined;
  }

  function normalizeOfferOptions(options) {
    if (options != null && typeof options !== 'object') {
      throw new TypeError('The offer options must be an object.');
    }
    const normalized = {};
    for (const name of ['offerToReceiveAudio', 'offerToReceiveVideo', 'iceRestart']) {
      const value = legacyConstraint(options, name);
      if (value !== undefined) {
        // `{offerToReceiveAudio: 1}` meant "one audio stream" in 2013.
        normalized[name] = Boolean(Number(value) || value === true);
      }
    }
    return normalized;
  }

  function remoteMaxMessageSize(description) {
    if (!description || !/^m=application /m.test(description.sdp)) {
      return null;
    }
    const match = /^a=max-message-size:(\d+)/m.exec(description.sdp);
    if (!match) {
      return 65536; // RFC 8841's default when the attribute is absent
    }
    return match[1] === '0' ? Infinity : Number(match[1]);
  }

  // --- RTCCertificate -------------------------------------------------------------

  // A DTLS key and certificate; the key stays on the server, in the page's session.
  class RTCCertificate {
    #guid;
    static [HAS_BRAND](object) { return #guid in object; }
    #expires;
    #fingerprints;

    constructor(token, guid, initializer) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#guid = guid;
      this.#expires = initializer.expires;
      this.#fingerprints = initializer.fingerprints;
    }

    get expires() { return this.#expires; }
    getFingerprints() { return this.#fingerprints.map((fingerprint) => ({ ...fingerprint })); }

    get [GUID]() { return this.#guid; }

    // The bridge's events for this object (protocol.toml: Certificate events).
    [EVENTS] = {};

    [BRIDGE_LOST]() {}
  }

  // RTCPeerConnection.generateCertificate: the shape checks of WebCrypto's algorithm
  // normalisation (TypeError); which algorithms and sizes work is the server's call.
  // ECDSA P-256, the common case, resolves at once with a spare the server made ahead
  // (server/spare_certificates.py) when the page holds one; the rest is a round trip.
  function generateCertificate(keygenAlgorithm) {
    try {
      const algorithm = normalizeKeygenAlgorithm(keygenAlgorithm);
      const spare = takesSpare(algorithm) ? getBridge().spareCertificates.shift() : undefined;
      if (spare) {
        return Promise.resolve(adoptSpareCertificate(spare, algorithm));
      }
      return getBridge().call('Session', 'generateCertificate', { algorithm })
        .then(({ certificate }) => bridge.objects.get(certificate));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  const CERTIFICATE_LIFETIME_MS = 30 * 24 * 3600 * 1000; // Chromium's, unless the page asks
  const MAX_CERTIFICATE_LIFETIME_MS = 365 * 24 * 3600 * 1000;

  function takesSpare(algorithm) {
    return asciiUpperCase(algorithm.name) === 'ECDSA' && algorithm.namedCurve === 'P-256';
  }

  // The spare becomes the page's certificate now; the server hears of it in order, before
  // any call that could use it. Its expires counts from this call (webrtc-pc), in whole
  // seconds as the server's and Chromium's.
  function adoptSpareCertificate(spare, algorithm) {
    const lifetime = Math.min(algorithm.expires ?? CERTIFICATE_LIFETIME_MS, MAX_CERTIFICATE_LIFETIME_MS);
    const expires = Math.floor((Date.now() + lifetime) / 1000) * 1000;
    const guid = randomHandle('Certificate');
    const certificate = new RTCCertificate(INTERNAL, guid, { expires, fingerprints: spare.fingerprints });
    bridge.register(guid, certificate);
    bridge.call('Session', 'takeSpareCertificate', { spare: spare.spare, certificate: guid, expires })
      .catch((error) => console.error('rtcshim: a spare certificate was refused:', error));
    return certificate;
  }

  // WebCrypto matches algorithm names ASCII-case-insensitively: 'ecd\u017fa' is no ECDSA.
  function asciiUpperCase(name) {
    return name.replace(/[a-z]+/g, (lower) => lower.toUpperCase());
  }

  function normalizeKeygenAlgorithm(keygenAlgorithm) {
    const failed = "Failed to execute 'generateCertificate' on 'RTCPeerConnection': ";
    const input = typeof keygenAlgorithm === 'string' ? { name: keygenAlgorithm } : keygenAlgorithm;
    if (input === null || typeof input !== 'object' || input.name === undefined) {
      throw new TypeError(failed + 'Algorithm: name: Missing or not a string');
    }
    const algorithm = { name: String(input.name) };
    const kind = asciiUpperCase(algorithm.name);
    if (kind === 'ECDSA') {
      if (typeof input.namedCurve !== 'string') {
        throw new TypeError(failed + 'EcKeyGenParams: namedCurve: Missing or not a string');
      }
      algorithm.namedCurve = input.namedCurve;
    } else if (kind === 'RSASSA-PKCS1-V1_5') {
      if (input.modulusLength === undefined) {
        throw new TypeError(failed + 'RsaHashedKeyGenParams: modulusLength: Missing required property');
      }
      if (!(input.publicExponent instanceof Uint8Array)) {
        throw new TypeError(failed + 'RsaHashedKeyGenParams: publicExponent: Missing or not a Uint8Array');
      }
      const hash = typeof input.hash === 'string' ? input.hash : input.hash && input.hash.name;
      if (typeof hash !== 'string') {
        throw new TypeError(failed + 'RsaHashedKeyGenParams: hash: Missing or not an AlgorithmIdentifier');
      }
      algorithm.modulusLength = enforceRange(input.modulusLength, 4294967295, 'modulusLength');
      algorithm.publicExponent = Array.from(input.publicExponent);
      algorithm.hash = hash;
    }
    if (input.expires !== undefined) {
      const expires = Number(input.expires);
      if (!Number.isFinite(expires) || expires < 0) {
        throw new TypeError(failed + "The value for 'expires' is outside the valid range.");
      }
      algorithm.expires = expires;
    }
    return algorithm;
  }

  function normalizeCertificates(certificates) {
    if (certificates === undefined) {
      return [];
    }
    if (!Array.isArray(certificates) || !certificates.every((item) => item instanceof RTCCertificate)) {
      throw new TypeError("Failed to read the 'certificates' property from 'RTCConfiguration': Failed to convert value to 'RTCCertificate'.");
    }
    return [...certificates];
  }

  // setConfiguration: the certificates are the transports' and cannot change (webrtc-pc).
  function checkSameCertificates(current, requested) {
    if (current.length !== requested.length || current.some((certificate, i) => certificate !== requested[i])) {
      throw makeError('InvalidModificationError', 'setConfiguration cannot change the certificates.');
    }
  }

  function installCertificates(window) {
    if (!firstInstall(window, installCertificates)) {
      return;
    }
    // A static operation of RTCPeerConnection; WebIDL makes it enumerable.
    Object.defineProperty(RTCPeerConnection, 'generateCertificate', {
      value: generateCertificate, writable: true, enumerable: true, configurable: true,
    });
    installGlobal(window, ['RTCCertificate'], exposeInterface(RTCCertificate, 'RTCCertificate', { constructor: 0, getFingerprints: 0 }));
  }

  // --- identity (W3C webrtc-identity) ------------------------------------------------

  const IDP_ERROR_DETAILS = RTC_ERROR_DETAILS.filter((detail) => detail.startsWith('idp-'));
  // What the IdP said (login URL, error info) with each RTCError it caused, out of the
  // page's sight.
  const idpFailures = new WeakMap(); // RTCError -> {idpLoginUrl, idpErrorInfo, ...}

  // An IdP proxy runs in a realm of its own: a dedicated worker made from a data: URL of
  // this source. Such a worker has an opaque origin, so the IdP's script reaches nothing
  // of the page's origin (its cookies, storage, BroadcastChannels); a blob worker would
  // run in the page's. The spec's realm runs in the IdP's origin, which a page cannot
  // make; the IdP keeps its secrets on its server instead. The realm gives the script
  // `rtcIdentityProvider`, `RTCError` and a `location` naming the script's URL, resolves
  // the script's relative URLs against that (the data: URL is no base), then imports it.
  const IDP_REALM_SOURCE = `'use strict';
const IDP_ERROR_DETAILS = ${JSON.stringify(IDP_ERROR_DETAILS)};
let registered = null;
const importScript = self.importScripts.bind(self);
const fetchResource = self.fetch.bind(self);
const NativeRequest = self.Request;
const openRequest = XMLHttpRequest.prototype.open;
const resolve = (url) => new URL(url, self.location).href;
self.importScripts = (...urls) => importScript(...urls.map(resolve));
self.Request = class Request extends NativeRequest {
  constructor(input, init) { super(input instanceof NativeRequest ? input : resolve(input), init); }
};
self.fetch = (input, init) => fetchResource(input instanceof NativeRequest ? input : resolve(input), init);
XMLHttpRequest.prototype.open = function open(method, url, ...rest) { return openRequest.call(this, method, resolve(url), ...rest); };
self.RTCError = class RTCError extends Error {
  constructor(init = {}, message = '') {
    super(message);
    this.name = 'OperationError';
    this.errorDetail = init.errorDetail;
    this.httpRequestStatusCode = init.httpRequestStatusCode ?? null;
  }
};
self.rtcIdentityProvider = Object.freeze({
  register(idp) {
    if (registered) throw new Error('an IdP is already registered');
    registered = idp;
  },
});
const failure = (errorDetail, error) => ({
  errorDetail, message: String((error && error.message) || error || errorDetail),
  idpLoginUrl: error && error.idpLoginUrl != null ? String(error.idpLoginUrl) : null,
  idpErrorInfo: error && error.idpErrorInfo != null ? String(error.idpErrorInfo) : null,
});
self.onmessage = async ({ data }) => {
  if (data.load) {
    Object.defineProperty(self, 'location', { value: new URL(data.load), configurable: true });
    // importScripts hides why a cross-origin script failed (a NetworkError either way);
    // an IdP that allows CORS tells its HTTP status first.
    let status = null;
    try {
      status = (await fetchResource(data.load)).status;
    } catch (error) {
      // no CORS, or no server: importScripts decides
    }
    if (status !== null && (status < 200 || status > 299)) {
      postMessage({ loaded: false, error: { ...failure('idp-load-failure', \`the IdP script answered HTTP \${status}\`),
        httpRequestStatusCode: status } });
      return;
    }
    try {
      importScript(data.load);
    } catch (error) {
      const unreachable = status === null && error && error.name === 'NetworkError';
      postMessage({ loaded: false, error: failure(unreachable ? 'idp-load-failure' : 'idp-bad-script-failure', error) });
      return;
    }
    const usable = registered && typeof registered.generateAssertion === 'function'
      && typeof registered.validateAssertion === 'function';
    postMessage(usable ? { loaded: true }
      : { loaded: false, error: failure('idp-bad-script-failure', 'the IdP script registered no generateAssertion and validateAssertion') });
    return;
  }
  let reply;
  try {
    reply = { id: data.id, result: await registered[data.method](...data.args) };
  } catch (error) {
    const detail = error && IDP_ERROR_DETAILS.includes(error.errorDetail) ? error.errorDetail : 'idp-execution-failure';
    reply = { id: data.id, error: failure(detail, error) };
  }
  try {
    postMessage(reply);
  } catch (error) {
    postMessage({ id: data.id, error: failure('idp-execution-failure', 'the IdP answered a value that cannot be cloned') });
  }
};`;

  // The spec's limit on an IdP's load plus one call; rtcshimOptions.idpTimeout changes it.
  // setTimeout takes its delay as a 32-bit int (a larger one, Infinity too, fires at once):
  // clamped to the longest it can wait.
  const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
  const IDP_TIMEOUT_MS = Number(options.idpTimeout) > 0 ? Math.min(Number(options.idpTimeout), MAX_TIMER_DELAY_MS) : 15000;

  function idpFailure(failure) {
    const error = new RTCError({
      errorDetail: failure.errorDetail, httpRequestStatusCode: failure.httpRequestStatusCode ?? null,
    }, failure.message);
    idpFailures.set(error, failure);
    return error;
  }

  // One IdP script in its worker, for one peer connection.
  class IdpProxy {
    #worker;
    #loaded;
    #failLoad;
    #calls = new Map(); // call id -> {resolve, reject}
    #nextId = 1;
    #closed = false;

    constructor(url) {
      this.#worker = new Worker(`data:text/javascript;charset=utf-8,${encodeURIComponent(IDP_REALM_SOURCE)}`);
      this.#loaded = new Promise((resolve, reject) => {
        this.#failLoad = reject;
        // The IdP's script can post messages too: what is not an answer we wait for is ignored.
        this.#worker.onmessage = ({ data }) => {
          if (data === null || typeof data !== 'object') {
            return;
          }
          if ('loaded' in data) {
            if (data.loaded) resolve();
            else reject(idpFailure(data.error));
            return;
          }
          const call = this.#calls.get(data.id);
          if (!call) {
            return;
          }
          this.#calls.delete(data.id);
          if (data.error) call.reject(idpFailure(data.error));
          else call.resolve(data.result);
        };
        this.#worker.onerror = (event) => {
          event.preventDefault();
          reject(idpFailure({ errorDetail: 'idp-bad-script-failure', message: event.message || 'the IdP script failed' }));
        };
      });
      this.#loaded.catch(() => {}); // observed by each call
      this.#worker.postMessage({ load: url });
    }

    // generateAssertion or validateAssertion, loading included, within the time limit.
    call(method, args) {
      if (this.#closed) {
        return Promise.reject(closedError());
      }
      let timer;
      const timeout = new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(idpFailure({
          errorDetail: 'idp-timeout', message: `the IdP did not answer within ${IDP_TIMEOUT_MS} ms`,
        })), IDP_TIMEOUT_MS);
      });
      const answer = this.#loaded.then(() => new Promise((resolve, reject) => {
        if (this.#closed) {
          throw closedError();
        }
        const id = this.#nextId++;
        this.#calls.set(id, { resolve, reject });
        this.#worker.postMessage({ id, method, args });
      }));
      return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
    }

    // The peer connection closed: the calls under way fail now, not at their time limit.
    close() {
      this.#closed = true;
      this.#worker.terminate();
      this.#failLoad(closedError());
      for (const call of this.#calls.values()) {
        call.reject(closedError());
      }
      this.#calls.clear();
    }
  }

  function closedError() {
    return makeError('InvalidStateError', 'The RTCPeerConnection is closed.');
  }

  // An IdP domain is exactly "host[:port]" (webrtc-identity). The URL parser would move a
  // path, query, fragment or userinfo out of the host and drop it unseen, so that
  // "good.example/uploads/x.js#" named a script of good.example's as its IdP: such
  // characters are refused first. `origin` is where the proxy lives: https, or plain http
  // when the host (its port left out) is on this machine (tests, demos).
  function parseIdpDomain(domain) {
    const text = String(domain);
    let url = null;
    if (!/[/\\?#@%\s]/.test(text)) {
      try {
        url = new URL(`http://${text}`);
      } catch (error) {
        // not a host[:port]
      }
    }
    if (url === null) {
      throw idpFailure({ errorDetail: 'idp-load-failure', message: `'${text}' is not an IdP domain (host[:port])` });
    }
    const host = url.hostname;
    const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
    return { hostname: host, origin: `${loopback ? 'http' : 'https'}://${text}` };
  }

  // An IdP protocol as the spec's dictionaries give it: 'default' when left out.
  function idpProtocol(protocol) {
    return protocol === undefined ? 'default' : String(protocol);
  }

  function checkIdpProtocol(protocol) {
    if (/[/\\]/.test(protocol)) {
      throw makeError('SyntaxError', `The IdP protocol '${protocol}' contains '/' or '\\'.`);
    }
  }

  function base64Json(value) {
    return btoa(Array.from(utf8.encode(JSON.stringify(value)), (byte) => String.fromCharCode(byte)).join(''));
  }

  function fromBase64Json(text) {
    return JSON.parse(utf8Decoder.decode(Uint8Array.from(atob(text), (char) => char.charCodeAt(0))));
  }

  // Every a=fingerprint of a description, as "<algorithm> <DIGEST>".
  function sdpFingerprints(sdp) {
    const found = [...sdp.matchAll(/^a=fingerprint:(\S+) (\S+)/gm)];
    return new Set(found.map(([, algorithm, digest]) => `${algorithm.toLowerCase()} ${digest.toUpperCase()}`));
  }

  // The identity's domain (after its last '@') must be the IdP's host (parseIdpDomain),
  // its port left out.
  function identityMatchesIdp(identity, idpDomain) {
    const at = identity.lastIndexOf('@');
    return at > 0 && identity.slice(at + 1).toLowerCase() === idpDomain.hostname.toLowerCase();
  }

  class RTCIdentityAssertion {
    #idp;
    static [HAS_BRAND](object) { return #idp in object; }
    #name;

    constructor(idp, name) {
      if (arguments.length < 2) {
        throw new TypeError("Failed to construct 'RTCIdentityAssertion': 2 arguments required.");
      }
      this.#idp = String(idp);
      this.#name = String(name);
    }

    get idp() { return this.#idp; }
    set idp(value) { this.#idp = String(value); }
    get name() { return this.#name; }
    set name(value) { this.#name = String(value); }
  }

  // The seed's identityresult event (the 2013 RTCIdentityEvent): the assertion made.
  class RTCIdentityEvent extends Event {
    #assertion;
    static [HAS_BRAND](object) { return #assertion in object; }

    constructor(type, eventInitDict = {}) {
      super(type, eventInitDict);
      this.#assertion = eventInitDict.assertion == null ? '' : String(eventInitDict.assertion);
    }

    get assertion() { return this.#assertion; }
  }

  // The seed's idpassertionerror and idpvalidationerror (the 2013 RTCIdentityErrorEvent).
  class RTCIdentityErrorEvent extends Event {
    #init;
    static [HAS_BRAND](object) { return #init in object; }

    constructor(type, eventInitDict = {}) {
      super(type, eventInitDict);
      this.#init = {
        idp: eventInitDict.idp == null ? '' : String(eventInitDict.idp),
        protocol: eventInitDict.protocol == null ? '' : String(eventInitDict.protocol),
        loginUrl: eventInitDict.loginUrl == null ? null : String(eventInitDict.loginUrl),
      };
    }

    get idp() { return this.#init.idp; }
    get protocol() { return this.#init.protocol; }
    get loginUrl() { return this.#init.loginUrl; }
  }

  const IDENTITY_EVENTS = ['identityresult', 'peeridentity', 'idpassertionerror', 'idpvalidationerror'];

  // A peer connection's identity: the provider that asserts ours, the assertion (made
  // once per provider), the peerIdentity promise and the target peer identity. The peer
  // connection calls it from createOffer/createAnswer/setLocalDescription (add a=identity)
  // and setRemoteDescription (validate the remote's).
  class IdentityBinding {
    #fire;
    #localFingerprints;
    #provider = null; // {domain, protocol, usernameHint, peerIdentity}
    #assertion = null; // promise of the a=identity value
    #proxies = new Map(); // IdP URL -> IdpProxy
    #target; // the target peer identity, if any
    #peerIdentity;
    #settlePeerIdentity;
    #validations = Promise.resolve(); // one validation at a time
    #closed = false;
    loginUrl = null;
    errorInfo = null;

    // `localFingerprints()`: a promise of the DTLS fingerprints our descriptions carry.
    constructor(fire, localFingerprints, targetPeerIdentity) {
      this.#fire = fire;
      this.#localFingerprints = localFingerprints;
      this.#target = targetPeerIdentity;
      this.#newPeerIdentity();
    }

    get peerIdentity() { return this.#peerIdentity; }
    get hasProvider() { return this.#provider !== null; }
    get hasTarget() { return this.#target !== undefined; }

    setProvider(provider, options) {
      const input = options == null ? {} : options;
      const chosen = {
        domain: String(provider),
        protocol: idpProtocol(input.protocol),
        usernameHint: input.usernameHint === undefined ? undefined : String(input.usernameHint),
        peerIdentity: input.peerIdentity === undefined ? this.#target : String(input.peerIdentity),
      };
      checkIdpProtocol(chosen.protocol);
      if (JSON.stringify(chosen) !== JSON.stringify(this.#provider)) {
        this.#assertion = null;
      }
      this.#provider = chosen;
    }

    // setConfiguration may not change the target peer identity (webrtc-pc).
    checkConfiguration(peerIdentity) {
      if (peerIdentity !== undefined && this.#target !== undefined && peerIdentity !== this.#target) {
        throw makeError('InvalidModificationError', 'setConfiguration cannot change the peerIdentity.');
      }
    }

    // getIdentityAssertion(): the a=identity value, base64 of {idp, assertion}.
    assertion() {
      if (!this.#provider) {
        return Promise.reject(makeError('OperationError', 'No identity provider is set (setIdentityProvider).'));
      }
      if (!this.#assertion) {
        const made = this.#generate(this.#provider);
        this.#assertion = made;
        made.catch(() => { if (this.#assertion === made) this.#assertion = null; });
      }
      return this.#assertion;
    }

    // A description we created, with our assertion when a provider is set.
    async withAssertion(description) {
      if (!this.#provider) {
        return description;
      }
      const assertion = await this.assertion();
      const sdp = description.sdp.replace(/^a=identity:.*\r\n/gm, '');
      const firstMedia = sdp.search(/^m=/m);
      const at = firstMedia < 0 ? sdp.length : firstMedia;
      return { ...description, sdp: `${sdp.slice(0, at)}a=identity:${assertion}\r\n${sdp.slice(at)}` };
    }

    async #generate(provider) {
      const fingerprints = (await this.#localFingerprints())
        .map(({ algorithm, value }) => ({ algorithm: algorithm.toLowerCase(), digest: value.toUpperCase() }))
        .sort((x, y) => (x.algorithm + x.digest < y.algorithm + y.digest ? -1 : 1));
      const contents = JSON.stringify({ fingerprint: fingerprints });
      const idpOptions = { protocol: provider.protocol, usernameHint: provider.usernameHint, peerIdentity: provider.peerIdentity };
      try {
        const result = await this.#proxy(parseIdpDomain(provider.domain), provider.protocol)
          .call('generateAssertion', [contents, window.location.origin, idpOptions]);
        if (!result || !result.idp || typeof result.idp.domain !== 'string' || typeof result.assertion !== 'string') {
          throw idpFailure({ errorDetail: 'idp-execution-failure', message: 'the IdP answered no RTCIdentityAssertionResult' });
        }
        const idp = { domain: result.idp.domain, protocol: idpProtocol(result.idp.protocol) };
        const encoded = base64Json({ idp, assertion: result.assertion });
        this.#fire(new RTCIdentityEvent('identityresult', { assertion: encoded }));
        return encoded;
      } catch (error) {
        this.#reportFailure(error, 'idpassertionerror', provider.domain, provider.protocol);
        throw error;
      }
    }

    // setRemoteDescription applied `sdp`: validate its assertion. With a target peer
    // identity the caller waits for the result (and fails with it); without, it runs on.
    validateRemote(sdp) {
      const found = /^a=identity:(\S+)/m.exec(sdp);
      if (!found && this.#target === undefined) {
        return Promise.resolve();
      }
      const validation = this.#validations.then(() => this.#validate(found && found[1], sdp));
      this.#validations = validation.catch(() => {});
      return this.#target === undefined ? Promise.resolve() : validation;
    }

    async #validate(encoded, sdp) {
      let idp = { domain: '', protocol: '' };
      try {
        if (!encoded) {
          throw makeError('OperationError', `The remote description carries no identity assertion, and the peer must be ${this.#target}.`);
        }
        let decoded;
        try {
          decoded = fromBase64Json(encoded);
          idp = { domain: String(decoded.idp.domain), protocol: idpProtocol(decoded.idp.protocol) };
          checkIdpProtocol(idp.protocol);
        } catch (error) {
          throw makeError('OperationError', `The identity assertion is malformed: ${error.message}`);
        }
        const idpDomain = parseIdpDomain(idp.domain);
        const result = await this.#proxy(idpDomain, idp.protocol)
          .call('validateAssertion', [String(decoded.assertion), window.location.origin]);
        if (!result || typeof result.identity !== 'string' || typeof result.contents !== 'string') {
          throw idpFailure({ errorDetail: 'idp-execution-failure', message: 'the IdP answered no RTCIdentityValidationResult' });
        }
        this.#checkValidated(result, idpDomain, sdp);
        this.#settlePeerIdentity.resolve(new RTCIdentityAssertion(idp.domain, result.identity));
        this.#target = result.identity;
        this.#fire(new Event('peeridentity'));
      } catch (error) {
        this.#reportFailure(error, 'idpvalidationerror', idp.domain, idp.protocol);
        this.#settlePeerIdentity.reject(error);
        if (this.#target === undefined) {
          this.#newPeerIdentity();
        }
        throw error;
      }
    }

    // What the IdP vouched for must be this description's certificates, its own domain's
    // user, and the peer we expect.
    #checkValidated(result, idpDomain, sdp) {
      let covered;
      try {
        const contents = JSON.parse(result.contents);
        covered = new Set(contents.fingerprint.map((f) => `${String(f.algorithm).toLowerCase()} ${String(f.digest).toUpperCase()}`));
      } catch (error) {
        throw makeError('OperationError', 'The validated identity assertion has no fingerprints.');
      }
      const fingerprints = sdpFingerprints(sdp);
      if (fingerprints.size === 0 || [...fingerprints].some((fingerprint) => !covered.has(fingerprint))) {
        throw makeError('OperationError', "The identity assertion does not cover the description's DTLS fingerprints.");
      }
      if (!identityMatchesIdp(result.identity, idpDomain)) {
        throw makeError('OperationError', `The IdP ${idpDomain.hostname} cannot vouch for ${result.identity}.`);
      }
      if (this.#target !== undefined && result.identity !== this.#target) {
        throw makeError('OperationError', `The peer is ${result.identity}, not ${this.#target}.`);
      }
    }

    #reportFailure(error, eventName, domain, protocol) {
      const details = idpFailures.get(error);
      this.loginUrl = details ? details.idpLoginUrl : null;
      this.errorInfo = details ? details.idpErrorInfo : null;
      this.#fire(new RTCIdentityErrorEvent(eventName, { idp: domain, protocol, loginUrl: this.loginUrl }));
    }

    #newPeerIdentity() {
      let settle;
      this.#peerIdentity = new Promise((resolve, reject) => { settle = { resolve, reject }; });
      this.#peerIdentity.catch(() => {}); // a page need not watch it
      this.#settlePeerIdentity = settle;
    }

    // The proxy of `protocol` at `idpDomain` (parseIdpDomain), started once.
    #proxy(idpDomain, protocol) {
      if (this.#closed) {
        throw closedError();
      }
      const url = `${idpDomain.origin}/.well-known/idp-proxy/${protocol}`;
      if (!this.#proxies.has(url)) {
        this.#proxies.set(url, new IdpProxy(url));
      }
      return this.#proxies.get(url);
    }

    close() {
      this.#closed = true;
      for (const proxy of this.#proxies.values()) {
        proxy.close();
      }
      this.#proxies.clear();
    }
  }

  function installIdentity(window) {
    if (!firstInstall(window, installIdentity)) {
      return;
    }
    defineEventHandlers(RTCPeerConnection.prototype, IDENTITY_EVENTS);
    installGlobal(window, ['RTCIdentityAssertion'], exposeInterface(RTCIdentityAssertion, 'RTCIdentityAssertion'));
    installGlobal(window, ['RTCIdentityEvent'], exposeInterface(RTCIdentityEvent, 'RTCIdentityEvent'));
    installGlobal(window, ['RTCIdentityErrorEvent'], exposeInterface(RTCIdentityErrorEvent, 'RTCIdentityErrorEvent'));
  }

  // --- RTCPeerConnection -------------------------------------------------------

  const PEER_CONNECTION_EVENTS = ['negotiationneeded', 'icecandidate', 'icecandidateerror',
    'signalingstatechange', 'iceconnectionstatechange', 'icegatheringstatechange',
    'connectionstatechange', 'datachannel', 'track', 'addstream', 'removestream'];

  class RTCPeerConnection extends EventTarget {
    #bridge;
    static [HAS_BRAND](object) { return #bridge in object; }
    #guid;
    #configuration;
    #closed = false;
    #state = {
      signalingState: 'stable', iceGatheringState: 'new', iceConnectionState: 'new', connectionState: 'new',
    };
    #descriptions = {
      currentLocalDescription: null, pendingLocalDescription: null,
      currentRemoteDescription: null, pendingRemoteDescription: null,
    };
    #dataChannels = new Set();
    // The SCTP transport's DTLS role once an answer set it (the server's sctpRole): the
    // parity of the ids this side gives its in-band channels (server/data_channel_ids.py).
    #sctpRole = null;
    #transceivers = [];
    #transports = new Set();
    #sctp = null;
    #localStreams = [];
    #remoteStreams = new Map(); // msid stream id -> MediaStream
    // The remote description's track events and its new streams, fired once every track
    // is in its streams (#fireRemoteTracks).
    #remoteTrackEvents = [];
    #newRemoteStreams = [];
    #closedStats = null; // the close call's reply: what getStats reports once closed
    #heldCalls = []; // sends that wait for the end of the task that made them (#callAfterThisTask)
    #maxMessageSizeOf = undefined; // the remote description #maxMessageSize was read from
    #maxMessageSize = null;
    // Whether the first offer this connection took part in was its own (null before one):
    // Chrome's googInitiator, its session's initial offerer.
    #initialOfferer = null;
    #identity;
    #chainTail = null; // settles when the last multi-step operation does (#chained)
    #lastOperation = null; // settles when the last chained operation does
    #lastLeft = null; // settles when the last chained operation left the chain
    #waiting = 0; // operations waiting for a multi-step one
    #operationsPending = 0; // the length of the spec's operations chain
    #describedChanges = 0; // counts the page's changes to what a description describes
    // webrtc-pc's [[NegotiationNeeded]] and [[UpdateNegotiationNeededFlagOnEmptyChain]],
    // and the server's latest answer to "check if negotiation is needed".
    #negotiationNeeded = false;
    #updateNegotiationNeededOnEmptyChain = false;
    #negotiationCheck = false;

    constructor(configuration = {}, legacyConstraints = undefined) {
      super();
      // legacyConstraints ({optional: [{DtlsSrtpKeyAgreement: true}]}) change nothing here:
      // DTLS-SRTP is always on and RTP data channels are long gone; data channels use SCTP.
      void legacyConstraints;
      this.#configuration = normalizeConfiguration(configuration);
      if (this.#configuration.certificates.some((certificate) => certificate.expires <= Date.now())) {
        throw makeError('InvalidAccessError', "Failed to construct 'RTCPeerConnection': Expired certificate(s).");
      }
      this.#bridge = getBridge();
      this.#guid = randomHandle('PeerConnection');
      this.#bridge.register(this.#guid, this);
      const created = this.#bridge.call('Session', 'createPeerConnection', {
        peerConnection: this.#guid, configuration: bridgeConfiguration(this.#configuration),
      });
      created.catch(reportFailure('RTCPeerConnection'));
      this.#identity = new IdentityBinding((event) => this.#fire(event),
        () => created.then(({ fingerprints }) => fingerprints), this.#configuration.peerIdentity);
    }

    get signalingState() { return this.#state.signalingState; }
    get iceGatheringState() { return this.#state.iceGatheringState; }
    get iceConnectionState() { return this.#state.iceConnectionState; }
    get connectionState() { return this.#state.connectionState; }
    get sctp() { return this.#sctp; }
    get localDescription() {
      return this.#descriptions.pendingLocalDescription || this.#descriptions.currentLocalDescription;
    }
    get currentLocalDescription() { return this.#descriptions.currentLocalDescription; }
    get pendingLocalDescription() { return this.#descriptions.pendingLocalDescription; }
    get remoteDescription() {
      return this.#descriptions.pendingRemoteDescription || this.#descriptions.currentRemoteDescription;
    }
    get currentRemoteDescription() { return this.#descriptions.currentRemoteDescription; }
    get pendingRemoteDescription() { return this.#descriptions.pendingRemoteDescription; }
    get canTrickleIceCandidates() {
      const remote = this.remoteDescription;
      return remote ? /^a=ice-options:.*\btrickle\b/m.test(remote.sdp) : null;
    }

    // The promise forms; installLegacyCallbacks adds the callback forms over them.
    // With an identity provider, a description is made in two steps (the server, then the
    // IdP), which the operations chain keeps together (#chained). createOffer and
    // createAnswer resolve with an RTCSessionDescriptionInit, a plain dictionary.
    createOffer(options = undefined) {
      const params = { options: normalizeOfferOptions(options) };
      return this.#chained(() => this.#withAssertion(this.#createDescription('createOffer', params)), {
        multiStep: this.#identity.hasProvider,
        checkWhenEmpty: () => this.#checkSignalingState('createOffer', ['stable', 'have-local-offer']),
      });
    }

    createAnswer(options = undefined) {
      void options; // RTCAnswerOptions has no members left that aiortc could honour
      return this.#chained(() => this.#withAssertion(this.#createDescription('createAnswer', {})), {
        multiStep: this.#identity.hasProvider,
        checkWhenEmpty: () => this.#checkSignalingState('createAnswer', ['have-remote-offer', 'have-local-pranswer']),
      });
    }

    setLocalDescription(description = undefined) {
      const implicit = description == null || !description.sdp;
      return this.#chained(async () => {
        let init = description == null ? null : descriptionInit(description);
        if (this.#identity.hasProvider && (init === null || (init.sdp === '' && init.type !== 'rollback'))) {
          // The implicit description, made here so that it carries our identity assertion;
          // offer or answer as the state is once the operations before have run.
          const answering = ['have-remote-offer', 'have-local-pranswer'].includes(this.#state.signalingState);
          init = await this.#withAssertion(answering ? this.#call('createAnswer', {}) : this.#call('createOffer', { options: {} }));
        }
        await this.#call('setLocalDescription', { description: init });
      }, {
        multiStep: implicit && this.#identity.hasProvider,
        checkWhenEmpty: () => this.#checkRollback('setLocalDescription', description, 'have-local-offer'),
        rejectsClosed: unparsable,
      });
    }

    setRemoteDescription(description) {
      // With a target peer identity the operation waits for the validation.
      return this.#chained(async () => {
        if (description == null || typeof description !== 'object') {
          throw new TypeError("Failed to execute 'setRemoteDescription' on 'RTCPeerConnection': 1 argument required.");
        }
        const init = descriptionInit(description);
        try {
          await this.#callAfterThisTask('setRemoteDescription', { description: init });
        } finally {
          this.#fireRemoteTracks();
        }
        await this.#identity.validateRemote(init.sdp);
      }, {
        multiStep: this.#identity.hasTarget,
        checkWhenEmpty: () => this.#checkRollback('setRemoteDescription', description, 'have-remote-offer'),
        rejectsClosed: unparsable,
      });
    }

    addIceCandidate(candidate = undefined) {
      let init = null;
      if (candidate != null) {
        // An empty candidate string is end-of-candidates, for the sections it names (or
        // all); the server checks them against the remote description in the operations
        // chain: a candidate may arrive while setRemoteDescription is still under way.
        try {
          init = candidate instanceof RTCIceCandidate ? candidate.toJSON() : iceCandidateInit(candidate);
        } catch (error) {
          return Promise.reject(error);
        }
        if (init.candidate !== '' && init.sdpMid === null && init.sdpMLineIndex === null) {
          return Promise.reject(new TypeError("Failed to execute 'addIceCandidate' on 'RTCPeerConnection': Candidate missing values for both sdpMid and sdpMLineIndex"));
        }
      }
      return this.#chained(async () => {
        await this.#call('addIceCandidate', { candidate: init });
      }, {
        checkWhenEmpty: () => {
          if (this.remoteDescription === null) {
            throw makeError('InvalidStateError',
              "Failed to execute 'addIceCandidate' on 'RTCPeerConnection': The remote description was null");
          }
        },
      });
    }

    createDataChannel(label, dataChannelDict = {}) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to execute 'createDataChannel' on 'RTCPeerConnection': 1 argument required, but only 0 present.");
      }
      this.#checkOpen();
      const init = normalizeDataChannelInit(dataChannelDict);
      const labelText = usvString(label);
      if (utf8.encode(labelText).length > 65535) {
        throw new TypeError('The data channel label is longer than 65535 bytes.');
      }
      if (!init.negotiated && this.#sctpRole !== null) {
        init.id = this.#freeDataChannelId();
      }
      if (init.id !== null && this.#dataChannelIdsInUse().has(init.id)) {
        throw makeError('OperationError', `A data channel with id ${init.id} already exists.`);
      }
      const guid = randomHandle('DataChannel');
      const channel = new RTCDataChannel(INTERNAL, this, guid, {
        label: labelText, ...init, readyState: 'connecting',
      });
      this.#bridge.register(guid, channel);
      this.#dataChannels.add(channel);
      this[DESCRIBED_CHANGED]();
      this.#call('createDataChannel', { dataChannel: guid, label: labelText, init })
        .catch((error) => channel[EVENTS].error({ name: error.name, message: error.message, errorDetail: 'data-channel-failure' }));
      return channel;
    }

    #dataChannelIdsInUse() {
      return new Set([...this.#dataChannels].filter((channel) => channel.readyState !== 'closed').map((channel) => channel.id));
    }

    // RFC 8832: even ids for the DTLS client, odd for the server; the lowest one free.
    #freeDataChannelId() {
      const inUse = this.#dataChannelIdsInUse();
      for (let id = this.#sctpRole === 'client' ? 0 : 1; id <= 65534; id += 2) {
        if (!inUse.has(id)) {
          return id;
        }
      }
      throw makeError('OperationError', 'Every data channel id of this DTLS role is taken.');
    }

    addTrack(track, ...streams) {
      if (!(track instanceof MediaStreamTrack)) {
        throw new TypeError("Failed to execute 'addTrack' on 'RTCPeerConnection': parameter 1 is not of type 'MediaStreamTrack'.");
      }
      this.#checkOpen();
      if (this.#transceivers.some((transceiver) => !transceiver[STOPPED] && transceiver.sender.track === track)) {
        throw makeError('InvalidAccessError', 'A sender already exists for the track.');
      }
      const streamIds = streams.map((stream) => stream.id);
      // webrtc-pc: reuse a transceiver of this kind whose sender never sent.
      const reusable = this.#transceivers.find((transceiver) => transceiver[KIND] === track.kind
        && !transceiver[STOPPED] && !transceiver[USED_TO_SEND] && transceiver.sender.track === null);
      if (!reusable) {
        return this.#newTransceiver(track.kind, track, { direction: 'sendrecv', streams: streamIds }, true).sender;
      }
      const direction = { recvonly: 'sendrecv', inactive: 'sendonly' }[reusable.direction] || reusable.direction;
      reusable.sender[SET_TRACK](track);
      reusable[SET_DIRECTION](direction);
      this[DESCRIBED_CHANGED]();
      const failed = reportFailure('addTrack');
      reusable[CALL]('replaceTrack', { track: trackHandle(track), byAddTrack: true }).catch(failed);
      reusable[CALL]('setStreams', { streams: streamIds }).catch(failed);
      reusable[CALL]('setDirection', { direction }).catch(failed);
      return reusable.sender;
    }

    removeTrack(sender) {
      if (!(sender instanceof RTCRtpSender)) {
        throw new TypeError("Failed to execute 'removeTrack' on 'RTCPeerConnection': parameter 1 is not of type 'RTCRtpSender'.");
      }
      this.#checkOpen();
      const transceiver = this.#transceivers.find((candidate) => candidate.sender === sender);
      if (!transceiver) {
        throw makeError('InvalidAccessError', 'The sender was not created by this peer connection.');
      }
      if (sender.track === null || transceiver[STOPPED]) {
        return;
      }
      const direction = { sendrecv: 'recvonly', sendonly: 'inactive' }[transceiver.direction] || transceiver.direction;
      sender[SET_TRACK](null);
      transceiver[SET_DIRECTION](direction);
      this[DESCRIBED_CHANGED]();
      transceiver[CALL]('replaceTrack', { track: null }).catch(reportFailure('replaceTrack'));
      transceiver[CALL]('setDirection', { direction }).catch(reportFailure('setDirection'));
    }

    addTransceiver(trackOrKind, init = {}) {
      let track = null;
      let kind;
      if (trackOrKind instanceof MediaStreamTrack) {
        track = trackOrKind;
        kind = track.kind;
      } else {
        kind = String(trackOrKind);
        if (kind !== 'audio' && kind !== 'video') {
          throw new TypeError(`Failed to execute 'addTransceiver' on 'RTCPeerConnection': The provided value '${kind}' is not a valid kind.`);
        }
      }
      this.#checkOpen();
      const direction = enumValue(init.direction ?? 'sendrecv', DIRECTIONS, 'RTCRtpTransceiverDirection');
      const streams = [...(init.streams || [])].map((stream) => stream.id);
      return this.#newTransceiver(kind, track, { direction, streams });
    }

    getTransceivers() { return [...this.#transceivers]; }
    getSenders() { return this.#transceivers.filter((t) => !t[STOPPED]).map((t) => t.sender); }
    getReceivers() { return this.#transceivers.filter((t) => !t[STOPPED]).map((t) => t.receiver); }

    // The 2013 stream API, over tracks.
    addStream(stream) {
      if (!(stream instanceof MediaStream) && !isEngineStream(stream)) {
        throw new TypeError("Failed to execute 'addStream' on 'RTCPeerConnection': parameter 1 is not of type 'MediaStream'.");
      }
      this.#checkOpen();
      if (this.#localStreams.includes(stream)) {
        return;
      }
      this.#localStreams.push(stream);
      for (const track of stream.getTracks()) {
        if (!this.getSenders().some((sender) => sender.track === track)) {
          this.addTrack(track, stream);
        }
      }
    }

    removeStream(stream) {
      this.#checkOpen();
      this.#localStreams = this.#localStreams.filter((local) => local !== stream);
      for (const sender of this.getSenders()) {
        if (sender.track && stream.getTracks().includes(sender.track)) {
          this.removeTrack(sender);
        }
      }
    }

    getLocalStreams() { return [...this.#localStreams]; }
    getRemoteStreams() { return [...this.#remoteStreams.values()]; }
    getStreamById(streamId) {
      const id = String(streamId);
      return this.#localStreams.find((stream) => stream.id === id) || this.#remoteStreams.get(id) || null;
    }

    getConfiguration() {
      return cloneConfiguration(this.#configuration);
    }

    // webrtc-identity; IdentityBinding does the work.
    setIdentityProvider(provider, options = undefined) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to execute 'setIdentityProvider' on 'RTCPeerConnection': 1 argument required.");
      }
      this.#checkOpen();
      this.#identity.setProvider(provider, options);
    }

    getIdentityAssertion() {
      return this.#operation(() => this.#identity.assertion());
    }

    get peerIdentity() { return this.#identity.peerIdentity; }
    get idpLoginUrl() { return this.#identity.loginUrl; }
    get idpErrorInfo() { return this.#identity.errorInfo; }

    setConfiguration(configuration = {}) {
      this.#checkOpen();
      const requested = normalizeConfiguration(configuration);
      for (const key of ['bundlePolicy', 'rtcpMuxPolicy']) {
        if (requested[key] !== this.#configuration[key]) {
          throw makeError('InvalidModificationError', `setConfiguration cannot change ${key}.`);
        }
      }
      checkSameCertificates(this.#configuration.certificates, requested.certificates);
      this.#identity.checkConfiguration(requested.peerIdentity);
      this.#configuration = requested;
      this.#call('setConfiguration', { configuration: bridgeConfiguration(requested) })
        .catch(reportFailure('setConfiguration'));
    }

    // webrtc-pc restartIce(): the next offer restarts ICE; the server answers the
    // negotiation-needed check with it (a closed connection ignores the call).
    restartIce() {
      if (this.#closed) {
        return;
      }
      this.#call('restartIce', {}).catch(reportFailure('restartIce'));
    }

    // The seed's updateIce(configuration, constraints): new ICE servers and policy for
    // the gathering still to come; the mandatory IceTransports constraint sets the policy.

    updateIce(configuration = undefined, constraints = undefined) {
      const updated = configuration == null ? this.getConfiguration() : { ...this.getConfiguration(), ...configuration };
      const iceTransports = legacyConstraint(constraints, 'iceTransports');
      if (iceTransports !== undefined) {
        updated.iceTransportPolicy = String(iceTransports) === 'relay' ? 'relay' : 'all';
      }
      this.setConfiguration(updated);
    }

    close() {
      if (this.#closed) {
        return;
      }
      this.#closed = true;
      this.#identity.close();
      Object.assign(this.#state, { signalingState: 'closed', iceConnectionState: 'closed', connectionState: 'closed' });
      for (const channel of this.#dataChannels) {
        channel[CLOSE_QUIETLY]();
      }
      for (const transceiver of this.#transceivers) {
        transceiver[NEGOTIATED]({ mid: transceiver.mid, currentDirection: 'stopped', stopped: true });
        transceiver.receiver.track[CLOSE_QUIETLY]();
      }
      for (const transport of this.#transports) {
        transport[CLOSE_QUIETLY]();
      }
      this.#sendHeldCalls(); // asked before close: Chromium reads their SDP when given it
      this.#closedStats = this.#call('close', {});
      this.#closedStats.catch(reportFailure('close'));
    }

    // Promise form, 2013 Chrome form (callback first), 2013 Firefox form (selector, callbacks).
    getStats(...args) {
      return getStatsForms(this, args);
    }

    // The server's stats of the connection, or of one transceiver's sender or receiver.
    [STATS](transceiver, side) {
      if (this.#closed) {
        return this.#closedStats.then((closed) => (transceiver ? { ...closed, stats: [] } : closed));
      }
      return this.#call('getStats', { transceiver: transceiver ? transceiver[GUID] : null, side });
    }

    get [INITIAL_OFFERER]() { return this.#initialOfferer === true; }

    // The bridge's events for this object (protocol.toml: PeerConnection events).
    [EVENTS] = {
      signalingStateChange: (params) => {
        this.#sctp = params.sctp && this.#bridge.objects.get(params.sctp);
        for (const state of params.transceivers) {
          this.#bridge.objects.get(state.transceiver)[NEGOTIATED](state);
        }
        // A rollback stops and removes the transceivers the remote offer made.
        for (const guid of params.removedTransceivers) {
          const removed = this.#bridge.objects.get(guid);
          removed[NEGOTIATED]({ mid: null, currentDirection: null, transport: null, stopped: true });
          this.#transceivers = this.#transceivers.filter((transceiver) => transceiver !== removed);
        }
        this.#takeDescriptions(params.descriptions);
        if (this.#initialOfferer === null && params.signalingState.endsWith('-offer')) {
          this.#initialOfferer = params.signalingState === 'have-local-offer';
        }
        if (params.signalingState === 'stable') {
          // JSEP: stopped transceivers go once a negotiation completes.
          this.#transceivers = this.#transceivers.filter((transceiver) => !transceiver[STOPPED]);
          // A completed negotiation fires negotiationneeded again if something is still
          // unnegotiated, as webrtc-pc's "set the description" does.
          this.#negotiationNeeded = false;
        }
        this.#setState('signalingState', params.signalingState, 'signalingstatechange');
      },
      iceGatheringStateChange: (params) => {
        if (params.descriptions) {
          this.#takeDescriptions(params.descriptions);  // complete: the local one ends its candidates
        }
        this.#setState('iceGatheringState', params.iceGatheringState, 'icegatheringstatechange');
      },
      iceCandidate: (params) => {
        if (params.descriptions) {
          this.#takeDescriptions(params.descriptions);  // the local one now lists the candidate
        }
        const candidate = params.candidate && new RTCIceCandidate(params.candidate);
        this.#fire(new RTCPeerConnectionIceEvent('icecandidate', { candidate }));
      },
      iceCandidateError: (params) => {
        this.#fire(new RTCPeerConnectionIceErrorEvent('icecandidateerror', params));
      },
      // webrtc-pc changes a transport's state and updates the connection's states from it
      // in one task: every state is set before the first of their events fires.
      statesChange: (params) => {
        const fireTransportEvents = params.transports.map(
          (change) => this.#bridge.objects.get(change.transport)[UPDATE](change));
        const changed = ['iceConnectionState', 'connectionState'].filter(
          (name) => params[name] && !this.#closed && this.#state[name] !== params[name]);
        for (const name of changed) {
          this.#state[name] = params[name];
        }
        for (const fire of fireTransportEvents) {
          fire();
        }
        for (const name of changed) {
          this.#fire(new Event(`${name.toLowerCase()}change`));
        }
      },
      negotiationNeeded: (params) => {
        this.#negotiationCheck = params.needed;
        this.#updateNegotiationNeeded();
      },
      track: (params) => {
        const transceiver = this.#bridge.objects.get(params.transceiver);
        const { receiver } = transceiver;
        const track = receiver.track;
        // Its streams changed (a new msid, or a rollback to the old one): it leaves the others.
        this.#removeRemoteTrack(track, (id) => !params.streams.includes(id));
        const streams = params.streams.map((id) => {
          let stream = this.#remoteStreams.get(id);
          if (stream) {
            stream[ADD_REMOTE_TRACK](track);
          } else {
            stream = MediaStream[WITH_ID](id);
            stream.addTrack(track);
            this.#remoteStreams.set(id, stream);
            this.#newRemoteStreams.push(stream);
          }
          return stream;
        });
        this.#remoteTrackEvents.push(new RTCTrackEvent('track', { receiver, track, streams, transceiver }));
      },
      removeTrack: (params) => {
        const track = this.#bridge.objects.get(params.transceiver).receiver.track;
        // The remote side took the track away: it muted (the server said so first; it does
        // not end), and each stream it was in fires removetrack.
        this.#removeRemoteTrack(track, () => true);
      },
      dataChannel: (params) => {
        const channel = this.#bridge.objects.get(params.dataChannel);
        this.#dataChannels.add(channel);
        this.#fire(new RTCDataChannelEvent('datachannel', { channel }));
      },
      remoteCandidate: (params) => {
        this.#takeDescriptions(params.descriptions);
      },
      sctpRole: (params) => {
        this.#sctpRole = params.role;
      },
    };

    // A remote track leaves the remote streams whose id `leaves`; an emptied stream goes.
    #removeRemoteTrack(track, leaves) {
      for (const [id, stream] of this.#remoteStreams) {
        if (!leaves(id) || !stream.getTracks().includes(track)) continue;
        stream[REMOVE_REMOTE_TRACK](track);
        if (stream.getTracks().length === 0) {
          this.#remoteStreams.delete(id);
          this.#fire(new MediaStreamEvent('removestream', { stream }));
        }
      }
    }

    // The server's current and pending descriptions, those that changed (protocol.toml:
    // Descriptions); a changed one is a new object.
    #takeDescriptions(descriptions) {
      for (const [name, init] of Object.entries(descriptions)) {
        const known = this.#descriptions[name];
        if (!init) {
          this.#descriptions[name] = null;
        } else if (!known || known.type !== init.type || known.sdp !== init.sdp) {
          this.#descriptions[name] = new RTCSessionDescription(init);
        }
      }
    }

    [BRIDGE_LOST]() {
      if (this.#closed) {
        return;
      }
      this.#setState('iceConnectionState', 'failed', 'iceconnectionstatechange');
      this.#setState('connectionState', 'failed', 'connectionstatechange');
    }

    get [MAX_MESSAGE_SIZE]() {
      // Read once per remote description: every send() asks (two regular expressions over
      // the SDP each time were 7% of the page's JavaScript per message).
      const remote = this.remoteDescription;
      if (this.#maxMessageSizeOf !== remote) {
        this.#maxMessageSizeOf = remote;
        this.#maxMessageSize = remoteMaxMessageSize(remote);
      }
      return this.#maxMessageSize;
    }

    // A data channel, transceiver or transport the server made for this connection (FACTORIES).
    [ADOPT](child) {
      if (RTCDataChannel[HAS_BRAND](child)) {
        this.#dataChannels.add(child);
      } else if (RTCRtpTransceiver[HAS_BRAND](child)) {
        this.#transceivers.push(child);
      } else {
        this.#transports.add(child);
      }
      return child;
    }

    // `byAddTrack`: a remote offer's new section may take this transceiver (JSEP 5.10).
    #newTransceiver(kind, track, init, byAddTrack = false) {
      const guid = randomHandle('Transceiver');
      const receiverGuid = randomHandle('MediaStreamTrack');
      const receiverTrack = new MediaStreamTrack(INTERNAL, receiverGuid, {
        kind, id: randomUuid(), label: `remote ${kind}`, readyState: 'live', muted: true,
        settings: {}, constraints: {}, capabilities: {},
      });
      const transceiver = new RTCRtpTransceiver(INTERNAL, this, guid,
        { kind, mid: null, direction: init.direction, currentDirection: null }, receiverTrack);
      transceiver.sender[SET_TRACK](track);
      this.#transceivers.push(transceiver);
      this[DESCRIBED_CHANGED]();
      this.#call('addTransceiver', {
        transceiver: guid, receiverTrack: receiverGuid, receiverTrackId: receiverTrack.id, kind,
        track: trackHandle(track), init, byAddTrack,
      }).catch(reportFailure('addTransceiver'));
      return transceiver;
    }

    #checkOpen() {
      if (this.#closed) {
        throw makeError('InvalidStateError', 'The RTCPeerConnection is closed.');
      }
    }

    // The description a createOffer/createAnswer call made, with our identity assertion
    // when a provider is set.
    #withAssertion(created) {
      return created.then(({ description }) => this.#identity.withAssertion(description));
    }

    #call(method, params) {
      if (this.#heldCalls.length > 0 && CHAINED_CALLS.has(method)) {
        return this.#callAfterThisTask(method, params); // the server runs the chain in arrival order
      }
      return this.#bridge.call(this.#guid, method, params);
    }

    // webrtc-pc applies a remote description in parallel, after the task that asked: what
    // that task does next (an addTrack, whose transceiver the offer then takes) reaches the
    // server first, but chained calls stay behind it. So the call waits for the task's end
    // (a microtask), or for close().
    #callAfterThisTask(method, params) {
      return new Promise((resolve) => {
        this.#heldCalls.push(() => resolve(this.#call(method, params)));
        if (this.#heldCalls.length === 1) {
          queueMicrotask(() => this.#sendHeldCalls());
        }
      });
    }

    #sendHeldCalls() {
      const held = this.#heldCalls;
      this.#heldCalls = [];
      for (const send of held) {
        send();
      }
    }

    // webrtc-pc "final steps to create an offer" (and an answer), step 2: the server made
    // the description from the state it had when the call arrived; if the page changed
    // what it describes since (addTransceiver right after createOffer), it may be stale,
    // so it is made again, now that the server has the change.
    async #createDescription(method, params) {
      for (;;) {
        const changesBefore = this.#describedChanges;
        const created = await this.#call(method, params);
        if (changesBefore === this.#describedChanges || this.#closed) {
          return created;
        }
      }
    }

    // A transceiver, sender or data channel of this connection changed what its next
    // description will describe.
    [DESCRIBED_CHANGED]() {
      this.#describedChanges += 1;
    }

    // Methods of the operations chain fail at once on a closed connection; the server
    // runs them one at a time, in call order.
    #operation(run) {
      if (this.#closed) {
        return Promise.reject(makeError('InvalidStateError', 'The RTCPeerConnection is closed.'));
      }
      try {
        return Promise.resolve(run());
      } catch (error) {
        return Promise.reject(error);
      }
    }

    // webrtc-pc "chain an operation" (§4.4.1.2), in two halves. The server runs a peer
    // connection's offer/answer/description/candidate calls one at a time in arrival order,
    // so an operation that is one server call is sent at once (a candidate may follow
    // setRemoteDescription without waiting). An operation of several steps in the page
    // (`multiStep`: a description with our identity assertion, a validation awaited)
    // starts once every operation before it settled, as it may depend on the state they
    // leave, and holds back the operations after it until it settles, so that none
    // overtakes one of its steps.
    // The page keeps the chain's length and its order: each operation's promise settles
    // after the one before it left the chain, and leaves the chain in a reaction added
    // before the page sees the promise (so the page's own reactions find it gone). On an
    // empty chain the spec runs the operation at once: `checkWhenEmpty` makes its
    // synchronous checks on the page's state, so that they reject in the same task; behind
    // other operations the server makes the same checks in their turn. Once the connection
    // is closed, its operations' promises never settle (the spec's "abort these steps");
    // their server calls still get replies, so nothing stays waiting in the bridge. Except
    // a description whose SDP does not parse (`rejectsClosed`): Chromium reads the SDP
    // when it is given, and rejects it whatever close() came after.
    #chained(run, { multiStep = false, checkWhenEmpty = null, rejectsClosed = () => false } = {}) {
      if (this.#closed) {
        return Promise.reject(makeError('InvalidStateError', 'The RTCPeerConnection is closed.'));
      }
      const empty = this.#operationsPending === 0;
      this.#operationsPending += 1;
      const operation = () => {
        if (empty && checkWhenEmpty) {
          checkWhenEmpty();
        }
        return run();
      };
      const before = empty ? null : multiStep ? this.#lastOperation : this.#chainTail;
      let result;
      if (before === null) {
        result = this.#operation(operation);
      } else {
        this.#waiting += 1;
        result = before.then(() => {
          this.#waiting -= 1;
          this.#releaseChain(before);
          return this.#operation(operation);
        });
      }
      const settled = result.then(() => {}, () => {});
      this.#lastOperation = settled;
      if (multiStep) {
        this.#chainTail = settled;
        settled.then(() => this.#releaseChain(settled));
      }
      const previousLeft = empty ? null : this.#lastLeft;
      const ordered = previousLeft ? previousLeft.then(() => result) : result;
      const outcome = new Promise((resolve, reject) => {
        ordered.then((value) => { if (!this.#closed) resolve(value); }, (error) => {
          if (!this.#closed || rejectsClosed(error)) reject(error);
        });
      });
      const leave = () => {
        this.#operationsPending -= 1;
        if (this.#operationsPending === 0 && this.#updateNegotiationNeededOnEmptyChain) {
          this.#updateNegotiationNeededOnEmptyChain = false;
          this.#updateNegotiationNeeded();
        }
      };
      this.#lastLeft = outcome.then(leave, leave);
      return outcome;
    }

    // A chained operation's check of the signaling state it needs.
    #checkSignalingState(method, states) {
      if (!states.includes(this.#state.signalingState)) {
        throw makeError('InvalidStateError', `Failed to execute '${method}' on 'RTCPeerConnection': `
          + `The signaling state is "${this.#state.signalingState}".`);
      }
    }

    // A rollback undoes an offer of its own side (webrtc-pc "set the session description",
    // JSEP 5.7): in any other state there is nothing for it to undo.
    #checkRollback(method, description, offerState) {
      if (description != null && typeof description === 'object' && description.type === 'rollback') {
        this.#checkSignalingState(method, [offerState]);
      }
    }

    // The sender's replaceTrack, an operation of this connection's chain.
    [CHAIN](run) {
      return this.#chained(run);
    }

    // Once `tail` settled and every operation waiting for it started, later ones go at once.
    #releaseChain(tail) {
      if (this.#chainTail === tail && this.#waiting === 0) {
        this.#chainTail = null;
      }
    }

    // webrtc-pc "update the negotiation-needed flag". The server answers "check if
    // negotiation is needed" (#negotiationCheck); the chain and the state are the page's,
    // which know of calls the server has not seen yet.
    #updateNegotiationNeeded() {
      if (this.#operationsPending > 0) {
        this.#updateNegotiationNeededOnEmptyChain = true;
        return;
      }
      setTimeout(() => {
        if (this.#closed) {
          return;
        }
        if (this.#operationsPending > 0) {
          this.#updateNegotiationNeededOnEmptyChain = true;
          return;
        }
        if (this.#state.signalingState !== 'stable') {
          return;
        }
        if (!this.#negotiationCheck) {
          this.#negotiationNeeded = false;
          return;
        }
        if (!this.#negotiationNeeded) {
          this.#negotiationNeeded = true;
          this.#fire(new Event('negotiationneeded'));
        }
      });
    }

    #setState(name, value, eventName) {
      if (this.#closed || this.#state[name] === value) {
        return;
      }
      this.#state[name] = value;
      this.#fire(new Event(eventName));
    }

    #fire(event) {
      if (!this.#closed) {
        this.dispatchEvent(event);
      }
    }

    // webrtc-pc "set the remote description": the track events fire once every remote
    // track is in its streams (the server sends them one by one, before its reply); then
    // the legacy addstream, once for each new stream, which holds all its tracks by then.
    #fireRemoteTracks() {
      for (const event of this.#remoteTrackEvents.splice(0)) {
        this.#fire(event);
      }
      for (const stream of this.#newRemoteStreams.splice(0)) {
        this.#fire(new MediaStreamEvent('addstream', { stream }));
      }
    }
  }

  // The calls of webrtc-pc's operations chain, which the server runs in arrival order.
  const CHAINED_CALLS = new Set(['createOffer', 'createAnswer', 'setLocalDescription', 'setRemoteDescription',
    'addIceCandidate']);
  // A description's SDP that does not parse (the server's RTCError sdp-syntax-error).
  const unparsable = (error) => error instanceof RTCError && error.errorDetail === 'sdp-syntax-error';

  function descriptionInit(description) {
    if (typeof description !== 'object') {
      throw new TypeError('The session description must be an object.');
    }
    const type = enumValue(description.type, SDP_TYPES, 'RTCSdpType');
    return { type, sdp: description.sdp == null ? '' : String(description.sdp) };
  }

  function installPeerConnection(window) {
    if (!firstInstall(window, installPeerConnection)) {
      return;
    }
    defineEventHandlers(RTCPeerConnection.prototype, PEER_CONNECTION_EVENTS);
    exposeInterface(RTCPeerConnection, 'RTCPeerConnection', {
      createDataChannel: 1, getConfiguration: 0, setConfiguration: 0, updateIce: 0, close: 0,
    });
    // One constructor under the names 2013 pages look up.
    installGlobal(window, withPrefixes('RTCPeerConnection', ALL_PREFIXES), RTCPeerConnection);
  }

  // --- RTCDataChannel ------------------------------------------------------------

  function normalizeDataChannelInit(dict) {
    const input = dict == null ? {} : dict;
    if (typeof input !== 'object') {
      throw new TypeError('The RTCDataChannelInit must be an object.');
    }
    const optionalShort = (value, name) => (value == null ? null : enforceRange(value, 65535, name));
    const init = {
      ordered: input.ordered === undefined ? true : Boolean(input.ordered),
      // maxRetransmitTime is the 2013 name of maxPacketLifeTime.
      maxPacketLifeTime: optionalShort(input.maxPacketLifeTime ?? input.maxRetransmitTime, 'maxPacketLifeTime'),
      maxRetransmits: optionalShort(input.maxRetransmits, 'maxRetransmits'),
      protocol: input.protocol === undefined ? '' : usvString(input.protocol),
      negotiated: Boolean(input.negotiated),
      id: optionalShort(input.id, 'id'),
    };
    // 2013: {reliable: false} asked for an unordered channel without retransmissions.
    if (input.reliable === false && init.maxPacketLifeTime === null && init.maxRetransmits === null) {
      init.ordered = input.ordered === undefined ? false : init.ordered;
      init.maxRetransmits = 0;
    }
    if (init.maxPacketLifeTime !== null && init.maxRetransmits !== null) {
      throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be set.');
    }
    if (utf8.encode(init.protocol).length > 65535) {
      throw new TypeError('The data channel protocol is longer than 65535 bytes.');
    }
    if (init.negotiated && init.id === null) {
      throw new TypeError('A negotiated data channel needs an id.');
    }
    if (init.negotiated && init.id === 65535) {
      throw new TypeError('A data channel id must be at most 65534.');
    }
    if (!init.negotiated) {
      init.id = null; // an in-band channel's id is the user agent's to give (RFC 8832)
    }
    return init;
  }

  const DATA_CHANNEL_EVENTS = ['open', 'bufferedamountlow', 'error', 'closing', 'close', 'message'];

  // bufferedAmount counts each message until the SCTP association took it (the server's
  // bufferedAmountDecrease events say so, for all it took in one go); Chromium throws past
  // 16 MiB, and so does the server's channel, which also holds at most 65,536 messages
  // (server/dispatchers/data_channel.py, MAX_BUFFERED_AMOUNT, MAX_QUEUED_MESSAGES).
  const MAX_BUFFERED_AMOUNT = 16 * 1024 * 1024;
  const MAX_QUEUED_MESSAGES = 65536;

  class RTCDataChannel extends EventTarget {
    #peerConnection;
    static [HAS_BRAND](object) { return #peerConnection in object; }
    #bridge;
    #guid;
    #init;
    #id;
    #readyState;
    #bufferedAmount = 0;
    #queuedMessages = 0; // sent and not yet taken by SCTP, as bufferedAmount
    #bufferedAmountLowThreshold = 0;
    #binaryType = 'arraybuffer';
    // While a Blob is being read, later sends wait behind it, so order is kept.
    #outbox = null;

    constructor(token, peerConnection, guid, initializer) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
      this.#peerConnection = peerConnection;
      this.#bridge = getBridge();
      this.#guid = guid;
      this.#init = initializer;
      this.#id = initializer.id;
      this.#readyState = initializer.readyState;
    }

    get label() { return this.#init.label; }
    get ordered() { return this.#init.ordered; }
    get maxPacketLifeTime() { return this.#init.maxPacketLifeTime; }
    get maxRetransmits() { return this.#init.maxRetransmits; }
    get protocol() { return this.#init.protocol; }
    get negotiated() { return this.#init.negotiated; }
    get id() { return this.#id; }
    get readyState() { return this.#readyState; }
    get bufferedAmount() { return this.#bufferedAmount; }
    get bufferedAmountLowThreshold() { return this.#bufferedAmountLowThreshold; }
    set bufferedAmountLowThreshold(value) {
      this.#bufferedAmountLowThreshold = Number(value) >>> 0;
    }
    get binaryType() { return this.#binaryType; }
    set binaryType(value) {
      if (value === 'blob' || value === 'arraybuffer') {
        this.#binaryType = value;
      }
    }
    // The 2013 name of maxPacketLifeTime, and the 2013 reliability flag.
    get maxRetransmitTime() { return this.#init.maxPacketLifeTime; }
    get reliable() { return this.#init.maxPacketLifeTime === null && this.#init.maxRetransmits === null; }

    send(data) {
      if (this.#readyState !== 'open') {
        throw makeError('InvalidStateError', `RTCDataChannel.readyState is '${this.#readyState}', not 'open'.`);
      }
      let payload;
      let size;
      if (data instanceof Blob) {
        payload = data;
        size = data.size;
      } else if (data instanceof ArrayBuffer) {
        payload = new Uint8Array(data.slice(0));
        size = payload.byteLength;
      } else if (ArrayBuffer.isView(data)) {
        payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
        size = payload.byteLength;
      } else {
        payload = String(data);
        size = utf8.encode(payload).length;
      }
      const limit = this.#peerConnection[MAX_MESSAGE_SIZE];
      if (limit !== null && size > limit) {
        throw new TypeError(`The message is ${size} bytes; the peer accepts at most ${limit}.`);
      }
      // webrtc-pc's send(): "if the buffer is full, throw OperationError"; full is
      // Chromium's bound, which the server holds every client to.
      if (this.#bufferedAmount + size > MAX_BUFFERED_AMOUNT || this.#queuedMessages >= MAX_QUEUED_MESSAGES) {
        throw makeError('OperationError', "Failed to execute 'send' on 'RTCDataChannel': RTCDataChannel send queue is full");
      }
      this.#bufferedAmount += size;
      this.#queuedMessages++;
      if (payload instanceof Blob || this.#outbox) {
        const previous = this.#outbox || Promise.resolve();
        const bytes = payload instanceof Blob ? payload.arrayBuffer() : Promise.resolve(payload);
        const next = previous.then(() => bytes).then((buffer) => {
          this.#transmit(typeof buffer === 'string' ? buffer : new Uint8Array(buffer));
        });
        this.#outbox = next;
        next.finally(() => {
          if (this.#outbox === next) {
            this.#outbox = null;
          }
        });
      } else {
        this.#transmit(payload);
      }
    }

    close() {
      if (this.#readyState === 'closing' || this.#readyState === 'closed') {
        return;
      }
      this.#readyState = 'closing';
      // Messages sent before close() go first, also those waiting for a Blob to be read.
      const requestClose = () => this.#bridge.call(this.#guid, 'close', {}).catch(reportFailure('close'));
      if (this.#outbox) {
        this.#outbox.then(requestClose, requestClose);
      } else {
        requestClose();
      }
    }

    // The bridge's events for this object (protocol.toml: DataChannel events).
    [EVENTS] = {
      id: (params) => {
        this.#id = params.id;
      },
      open: (params) => {
        this.#id = params.id;
        // Closed by the page before it opened (also in the datachannel event): no open.
        if (this.#readyState === 'closing' || this.#readyState === 'closed') {
          return;
        }
        this.#readyState = 'open';
        this.#fire(new Event('open'));
      },
      message: (params) => {
        let data = params.data;
        if (typeof data !== 'string' && this.#binaryType === 'blob') {
          data = new Blob([data]);
        }
        this.#fire(new MessageEvent('message', { data }));
      },
      bufferedAmountDecrease: (params) => {
        const before = this.#bufferedAmount;
        this.#bufferedAmount -= params.amount;
        this.#queuedMessages -= params.messages;
        if (before > this.#bufferedAmountLowThreshold && this.#bufferedAmount <= this.#bufferedAmountLowThreshold) {
          this.#fire(new Event('bufferedamountlow'));
        }
      },
      closing: () => {
        this.#readyState = 'closing';
        this.#fire(new Event('closing'));
      },
      close: () => {
        this.#readyState = 'closed';
        this.#fire(new Event('close'));
      },
      error: (params) => {
        const error = new RTCError({ errorDetail: params.errorDetail }, `${params.name}: ${params.message}`);
        this.#fire(new RTCErrorEvent('error', { error }));
      },
    };

    // pc.close() closes its channels without events.
    [CLOSE_QUIETLY]() {
      this.#readyState = 'closed';
    }

    [BRIDGE_LOST]() {
      if (this.#readyState === 'closed') {
        return;
      }
      this[EVENTS].error({ name: 'OperationError', message: 'the rtcshim server connection was lost', errorDetail: 'sctp-failure' });
      this[EVENTS].close();
    }

    // Unanswered (a refusal is the server's error event); bufferedAmountDecrease follows.
    #transmit(payload) {
      if (this.#readyState === 'closed') {
        return;
      }
      if (typeof payload === 'string') {
        this.#bridge.notify(this.#guid, 'send', { data: payload });
      } else {
        this.#bridge.notify(this.#guid, 'send', {}, payload);
      }
    }

    #fire(event) {
      if (this.#readyState !== 'closed' || event.type === 'close' || event.type === 'error') {
        this.dispatchEvent(event);
      }
    }
  }

  function installDataChannel(window) {
    if (!firstInstall(window, installDataChannel)) {
      return;
    }
    defineEventHandlers(RTCDataChannel.prototype, DATA_CHANNEL_EVENTS);
    exposeInterface(RTCDataChannel, 'RTCDataChannel', { constructor: 0, send: 1, close: 0 });
    installGlobal(window, ['RTCDataChannel'], RTCDataChannel);
  }

  // --- media: tracks, streams and their playback ---------------------------------

  // A track's media reaches the page only to be played: the server sends video frames as
  // JPEG and audio as 16-bit PCM while a media element (or an AudioContext) uses the
  // track. VideoSink draws frames on a canvas whose captureStream() is a native track;
  // AudioSink feeds an AudioWorklet whose destination stream is one. Media elements and
  // AudioContexts get those native tracks in place of ours.

  // Mono samples waiting to play, latency kept bounded. Also the playback worklet's: its
  // source is this class's.
  class PcmQueue {
    constructor() {
      this.queue = [];
      this.offset = 0;
    }

    push(chunk) {
      this.queue.push(chunk);
      // Keep latency bounded: drop what is more than ~200 ms behind.
      while (this.queue.length > 10) this.queue.shift();
    }

    // Fills `output` (a Float32Array) from the queue, silence where it runs out.
    fill(output) {
      let written = 0;
      while (written < output.length && this.queue.length) {
        const chunk = this.queue[0];
        const count = Math.min(output.length - written, chunk.length - this.offset);
        output.set(chunk.subarray(this.offset, this.offset + count), written);
        written += count;
        this.offset += count;
        if (this.offset >= chunk.length) {
          this.queue.shift();
          this.offset = 0;
        }
      }
      output.fill(0, written);
    }
  }

  const PLAYBACK_WORKLET = `${PcmQueue}
    class RtcshimPlayback extends AudioWorkletProcessor {
      constructor() {
        super();
        this.pcm = new PcmQueue();
        this.port.onmessage = (event) => this.pcm.push(event.data);
      }
      process(inputs, outputs) {
        const [first, ...others] = outputs[0];
        this.pcm.fill(first);
        for (const channel of others) channel.set(first);
        return true;
      }
    }
    registerProcessor('rtcshim-playback', RtcshimPlayback);`;

  // An AudioContext at WebRTC's rate, and the promise of `workletSource` loaded into it.
  function audioContextWith(workletSource) {
    const context = new window.AudioContext({ sampleRate: 48000 });
    return { context, ready: addWorklet(context, workletSource) };
  }

  function addWorklet(context, workletSource) {
    const module = URL.createObjectURL(new Blob([workletSource], { type: 'text/javascript' }));
    return context.audioWorklet.addModule(module);
  }

  // The AudioContext our streams play in, resumed whenever playback starts.
  let playbackContext = null;
  function playbackAudio() {
    if (!playbackContext) {
      playbackContext = new window.AudioContext({ sampleRate: 48000 });
    }
    playbackContext.resume().catch(() => {});
    return playbackContext;
  }

  // A source node of `context` playing `track`'s audio, and how to stop it: the playback
  // worklet fed with the track's raw PCM or, where the context has no AudioWorklet (a page
  // outside a secure context), a ScriptProcessorNode drawing on the same queue. Connect
  // `output`; the worklet's node joins it once loaded.
  const playbackWorklets = new WeakMap(); // AudioContext -> the promise of the worklet loaded
  function trackAudioSource(context, track) {
    const output = context.createGain();
    let node = null;
    let unlisten = null;
    let stopped = false;
    const play = (push) => {
      if (stopped) return;
      node.connect(output);
      unlisten = track[LISTEN_PLAYBACK]('raw', (audio) => push(monoSamples(audio, context.sampleRate)));
    };
    if (context.audioWorklet) {
      if (!playbackWorklets.has(context)) playbackWorklets.set(context, addWorklet(context, PLAYBACK_WORKLET));
      playbackWorklets.get(context).then(() => {
        node = new window.AudioWorkletNode(context, 'rtcshim-playback', { outputChannelCount: [1] });
        play((samples) => node.port.postMessage(samples, [samples.buffer]));
      }).catch(reportFailure('audio playback'));
    } else {
      const pcm = new PcmQueue();
      node = context.createScriptProcessor(SCRIPT_PROCESSOR_FRAMES, 1, 1);
      node.onaudioprocess = (event) => pcm.fill(event.outputBuffer.getChannelData(0));
      play((samples) => pcm.push(samples));
    }
    const stop = () => {
      stopped = true;
      if (unlisten) unlisten();
      if (node) node.disconnect();
      output.disconnect();
    };
    return { output, stop };
  }
  const SCRIPT_PROCESSOR_FRAMES = 1024; // ~21 ms at 48 kHz

  // An audioData event's samples as playback takes them: mono at `rate` (channels
  // averaged, resampled linearly).
  function monoSamples(audio, rate) {
    const samples = new Int16Array(audio.data);
    const frames = samples.length / audio.channels;
    const ratio = audio.sampleRate / rate;
    const output = new Float32Array(Math.floor(frames / ratio));
    for (let i = 0; i < output.length; i++) {
      const frame = Math.min(frames - 1, Math.floor(i * ratio));
      let sum = 0;
      for (let channel = 0; channel < audio.channels; channel++) sum += samples[frame * audio.channels + channel];
      output[i] = sum / audio.channels / 32768;
    }
    return output;
  }

  const VIDEO_SINK_FPS = 30; // what the server's camera sends; drawn frames are captured up to this rate

  class VideoSink {
    constructor() {
      this.canvas = window.document.createElement('canvas');
      this.canvas.width = 2;
      this.canvas.height = 2;
      this.context = this.canvas.getContext('2d');
      // An explicit rate: WebKitGTK's capture without one gives a <video> its first frame only.
      this.track = this.canvas.captureStream(VIDEO_SINK_FPS).getVideoTracks()[0];
      this.decoding = false;
      this.next = null;
    }

    // Frames that arrive while one is decoding replace each other: only the latest is drawn.
    draw(frame) {
      if (this.decoding) {
        this.next = frame;
        return;
      }
      this.decoding = true;
      window.createImageBitmap(new Blob([frame.data], { type: 'image/jpeg' })).then((bitmap) => {
        if (this.canvas.width !== frame.width || this.canvas.height !== frame.height) {
          this.canvas.width = frame.width;
          this.canvas.height = frame.height;
        }
        this.context.drawImage(bitmap, 0, 0);
        bitmap.close();
      }).catch(() => {}).finally(() => {
        this.decoding = false;
        const next = this.next;
        this.next = null;
        if (next) this.draw(next);
      });
    }

    stop() {
      this.track.stop();
    }
  }

  // A track's audio as a native track: its source node into a MediaStream destination.
  class AudioSink {
    constructor(track) {
      const context = playbackAudio();
      const destination = context.createMediaStreamDestination();
      this.track = destination.stream.getAudioTracks()[0];
      this.source = trackAudioSource(context, track);
      this.source.output.connect(destination);
    }

    stop() {
      this.track.stop();
      this.source.stop();
    }
  }

  const TRACK_EVENTS = ['ended', 'mute', 'unmute'];
  const CONTENT_HINTS = { audio: ['speech', 'speaking', 'music'], video: ['motion', 'detail', 'text'] };

  class MediaStreamTrack extends EventTarget {
    #bridge;
    static [HAS_BRAND](object) { return #bridge in object; }
    // The engine's own tracks are MediaStreamTracks to the page too, as in a browser with WebRTC.
    static [Symbol.hasInstance](value) {
      return Function.prototype[Symbol.hasInstance].call(this, value) || isEngineTrack(value);
    }

    #guid;
    #init;
    #enabled = true;
    #muted;
    #readyState;
    #settings;
    #constraints;
    #sink = null;
    // Playback format ('raw' or 'webm', see protocol.toml's render) -> the listeners of its events.
    #playbackListeners = new Map();
    #captured; // the browser's own capture, when this one uploads and stands for it
    #streams = new Set(); // the streams this track is in
    #contentHint = '';

    // `captured`: the browser's own capture this one uploads and stands for (see uploadCapture), if any.
    constructor(token, guid, initializer, captured = null) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
      this.#bridge = getBridge();
      this.#guid = guid;
      this.#init = initializer;
      this.#captured = captured;
      this.#muted = initializer.muted;
      this.#readyState = initializer.readyState;
      this.#settings = initializer.settings;
      this.#constraints = initializer.constraints;
      this.#bridge.register(guid, this);
    }

    get kind() { return this.#init.kind; }
    get id() { return this.#init.id; }
    get label() { return this.#init.label; }
    get enabled() { return this.#enabled; }
    set enabled(value) {
      this.#enabled = Boolean(value);
      if (this.#readyState === 'live') {
        this.#bridge.call(this.#guid, 'setEnabled', { enabled: this.#enabled }).catch(reportFailure('setEnabled'));
      }
    }
    get muted() { return this.#muted; }
    get readyState() { return this.#readyState; }
    // mst-content-hint: a hint for the encoder; values of the other kind are ignored.
    get contentHint() { return this.#contentHint; }
    set contentHint(value) {
      const hint = String(value);
      if (hint === '' || CONTENT_HINTS[this.kind].includes(hint)) {
        this.#contentHint = hint;
      }
    }

    getSettings() { return { ...this.#settings }; }
    getConstraints() { return { ...this.#constraints }; }
    getCapabilities() { return structuredClone(this.#init.capabilities); }

    applyConstraints(constraints = {}) {
      if (this.#readyState === 'ended') {
        return Promise.resolve();
      }
      return this.#bridge.call(this.#guid, 'applyConstraints', { constraints: constraints ?? {} })
        .then((result) => {
          this.#settings = result.settings;
          this.#constraints = result.constraints;
        });
    }

    clone() {
      const guid = randomHandle('MediaStreamTrack');
      const twin = new MediaStreamTrack(INTERNAL, guid, {
        ...this.#init, id: randomUuid(), muted: this.#muted, readyState: this.#readyState,
        settings: this.#settings, constraints: this.#constraints,
      });
      twin.#enabled = this.#enabled;
      twin.#contentHint = this.#contentHint;
      if (this.#readyState === 'live') {
        this.#bridge.call(this.#guid, 'clone', { track: guid, id: twin.id }).catch(reportFailure('clone'));
      }
      return twin;
    }

    stop() {
      if (this.#readyState === 'ended') {
        return;
      }
      this.#end();
      this.#bridge.call(this.#guid, 'stop', {}).catch(reportFailure('stop'));
    }

    get [GUID]() { return this.#guid; }
    // MediaStream adds and removes itself, so that the track tells its streams it ended.
    get [STREAMS]() { return this.#streams; }

    // pc.close() ends its receivers' tracks without events.
    [CLOSE_QUIETLY]() {
      if (this.#readyState !== 'ended') this.#end();
    }

    // The native track that plays this one (see VideoSink, AudioSink); starts playback.
    [NATIVE_TRACK]() {
      if (this.#captured) {
        return this.#captured; // an uploaded capture plays locally as it is
      }
      if (!this.#sink) {
        if (this.kind === 'video') {
          const sink = this.#sink = new VideoSink();
          this[LISTEN_PLAYBACK]('raw', (frame) => sink.draw(frame));
        } else {
          this.#sink = new AudioSink(this);
        }
      }
      return this.#sink.track;
    }

    // `listener(params)` gets the track's playback events of `format` (raw: videoFrame or
    // audioData; webm: mediaSegment) until the function returned is called. The server
    // renders a format while it has listeners; a new WebM listener restarts the stream, so
    // that it begins with its header.
    [LISTEN_PLAYBACK](format, listener) {
      const listeners = this.#playbackListeners.get(format) || new Set();
      this.#playbackListeners.set(format, listeners);
      listeners.add(listener);
      const render = (enabled) => {
        if (this.#readyState === 'live') {
          this.#bridge.call(this.#guid, 'render', { enabled, format }).catch(reportFailure('render'));
        }
      };
      if (listeners.size === 1 || format === 'webm') render(true);
      return () => {
        if (listeners.delete(listener) && !listeners.size) render(false);
      };
    }

    #played(format, params) {
      for (const listener of this.#playbackListeners.get(format) || []) listener(params);
    }

    // The bridge's events for this object (protocol.toml: MediaStreamTrack events).
    [EVENTS] = {
      ended: () => {
        if (this.#readyState === 'ended') return;
        this.#end();
        this.dispatchEvent(new Event('ended'));
      },
      muteChange: (params) => {
        if (this.#muted === params.muted || this.#readyState === 'ended') return;
        this.#muted = params.muted;
        this.dispatchEvent(new Event(params.muted ? 'mute' : 'unmute'));
      },
      videoFrame: (params) => this.#played('raw', params),
      audioData: (params) => this.#played('raw', params),
      mediaSegment: (params) => this.#played('webm', params),
    };

    [BRIDGE_LOST]() {
      this[EVENTS].ended();
    }

    #end() {
      this.#readyState = 'ended';
      if (this.#sink) {
        this.#sink.stop();
      }
      if (this.#captured) {
        this.#captured.stop();
      }
      for (const stream of this.#streams) {
        stream[TRACK_ENDED]();
      }
    }

    // 2013: MediaStreamTrack.getSources(callback) listed the devices.
    static getSources(callback) {
      getBridge().call('Session', 'enumerateDevices', {}).then(({ devices }) => {
        callback(devices.filter((device) => device.kind !== 'audiooutput').map((device) => ({
          id: device.deviceId, label: device.label, kind: device.kind === 'audioinput' ? 'audio' : 'video', facing: '',
        })));
      });
    }
  }

  const STREAM_EVENTS = ['addtrack', 'removetrack', 'active', 'inactive', 'ended'];

  class MediaStream extends EventTarget {
    #id;
    static [HAS_BRAND](object) { return #id in object; }
    #tracks = new Set();
    #active;
    #native = null;

    constructor(streamOrTracks = undefined) {
      super();
      this.#id = randomUuid();
      if (streamOrTracks instanceof MediaStream || isEngineStream(streamOrTracks)) {
        streamOrTracks.getTracks().forEach((track) => this.#add(track));
      } else if (streamOrTracks !== undefined) {
        if (typeof streamOrTracks[Symbol.iterator] !== 'function') {
          throw new TypeError("Failed to construct 'MediaStream': The provided value is neither a MediaStream nor a sequence of MediaStreamTracks.");
        }
        for (const track of streamOrTracks) {
          if (!(track instanceof MediaStreamTrack)) {
            throw new TypeError("Failed to construct 'MediaStream': Failed to convert value to 'MediaStreamTrack'.");
          }
          this.#add(track);
        }
      }
      this.#active = this.#computeActive();
    }

    // A remote stream carries the id the peer gave it (its msid).
    static [WITH_ID](id) {
      const stream = new MediaStream();
      stream.#id = id;
      return stream;
    }

    get id() { return this.#id; }
    get active() { return this.#active; }
    // 2013 names: label was the id, ended the opposite of active.
    get label() { return this.#id; }
    get ended() { return !this.#active; }

    getTracks() { return [...this.#tracks]; }
    getAudioTracks() { return this.getTracks().filter((track) => track.kind === 'audio'); }
    getVideoTracks() { return this.getTracks().filter((track) => track.kind === 'video'); }
    getTrackById(trackId) { return this.getTracks().find((track) => track.id === String(trackId)) || null; }

    addTrack(track) {
      if (!(track instanceof MediaStreamTrack)) {
        throw new TypeError("Failed to execute 'addTrack' on 'MediaStream': parameter 1 is not of type 'MediaStreamTrack'.");
      }
      this.#add(track);
      this.#updateActive();
    }

    removeTrack(track) {
      if (!(track instanceof MediaStreamTrack)) {
        throw new TypeError("Failed to execute 'removeTrack' on 'MediaStream': parameter 1 is not of type 'MediaStreamTrack'.");
      }
      this.#remove(track);
    }

    clone() {
      return new MediaStream(this.getTracks().map((track) => track.clone()));
    }

    // 2013: stopping the stream stopped its tracks.
    stop() {
      this.getTracks().forEach((track) => track.stop());
    }

    // The native MediaStream that plays this one in a media element or AudioContext.
    [NATIVE_STREAM]() {
      if (!this.#native) {
        const tracks = this.getTracks().map(nativeTrackOf);
        this.#native = nativeStream(tracks);
      }
      return this.#native;
    }

    // A remote peer added or removed one of this stream's tracks: events, as the spec says.
    [ADD_REMOTE_TRACK](track) {
      if (this.#tracks.has(track)) return;
      this.#add(track);
      this.dispatchEvent(new MediaStreamTrackEvent('addtrack', { track }));
      this.#updateActive();
    }

    [REMOVE_REMOTE_TRACK](track) {
      if (!this.#tracks.has(track)) return;
      this.#remove(track);
      this.dispatchEvent(new MediaStreamTrackEvent('removetrack', { track }));
    }

    [TRACK_ENDED]() {
      this.#updateActive();
    }

    #add(track) {
      if (this.#tracks.has(track)) return;
      this.#tracks.add(track);
      streamsOf(track).add(this);
      if (this.#native) this.#native.addTrack(nativeTrackOf(track));
    }

    #remove(track) {
      if (!this.#tracks.delete(track)) return;
      streamsOf(track).delete(this);
      if (this.#native) this.#native.removeTrack(nativeTrackOf(track));
      this.#updateActive();
    }

    #computeActive() {
      return this.getTracks().some((track) => track.readyState === 'live');
    }

    #updateActive() {
      const active = this.#computeActive();
      if (active === this.#active) return;
      this.#active = active;
      this.dispatchEvent(new Event(active ? 'active' : 'inactive'));
      if (!active) this.dispatchEvent(new Event('ended'));
    }
  }

  // A native MediaStream of native tracks, for playback and uploads.
  function nativeStream(tracks) {
    return new (engineMedia().Stream)(tracks);
  }

  // --- the engine's own tracks ----------------------------------------------------

  // Pages also make tracks the engine's own way: canvas.captureStream(), WebAudio's
  // createMediaStreamDestination(), the engine's getUserMedia. Such a track goes wherever
  // ours go (streams, senders, getStats, DTMF, events) and the page gets its own object
  // back everywhere, as in a browser with WebRTC. What the bridge calls name instead is the
  // track's upload: one of our tracks, made on first need, one per engine track, fed with
  // its media (uploadCapture). Engine tracks are told by a brand check (an engine getter
  // throws for anything else), never by the user agent.

  // The engine's MediaStream and MediaStreamTrack: the globals kept before ours replaced
  // them or, where the page's globals are gone, a canvas capture's, which still makes both.
  // Null in an engine with neither.
  let engineMediaFound;
  function engineMedia() {
    if (engineMediaFound === undefined) {
      engineMediaFound = findEngineMedia();
    }
    return engineMediaFound;
  }

  function findEngineMedia() {
    let Stream = keptMediaStream;
    let trackPrototype = keptMediaStreamTrack && keptMediaStreamTrack.prototype;
    if (!Stream || !trackPrototype) {
      const canvas = window.document && window.document.createElement('canvas');
      if (!canvas || typeof canvas.captureStream !== 'function') return null;
      const probe = canvas.captureStream(0);
      const [track] = probe.getTracks();
      track.stop();
      Stream = probe.constructor;
      // A canvas's track is of a subclass (CanvasCaptureMediaStreamTrack): up to the class.
      trackPrototype = Object.getPrototypeOf(track);
      while (trackPrototype && !Object.hasOwn(trackPrototype, 'kind')) {
        trackPrototype = Object.getPrototypeOf(trackPrototype);
      }
    }
    return {
      Stream, trackPrototype, isTrack: brandTest(trackPrototype, 'kind'), isStream: brandTest(Stream.prototype, 'id'),
    };
  }

  function brandTest(prototype, getterName) {
    const descriptor = prototype && Object.getOwnPropertyDescriptor(prototype, getterName);
    const getter = descriptor && descriptor.get;
    return (value) => {
      if (!getter || value === null || typeof value !== 'object') return false;
      try {
        getter.call(value);
        return true;
      } catch {
        return false;
      }
    };
  }

  function isEngineTrack(value) {
    const engine = engineMedia();
    return Boolean(engine) && engine.isTrack(value);
  }

  function isEngineStream(value) {
    const engine = engineMedia();
    return Boolean(engine) && engine.isStream(value);
  }

  const engineTracks = new WeakMap(); // engine track -> { streams: our MediaStreams it is in, upload }
  // An engine track's end when neither an event nor its prototype's stop told us (a page
  // may have kept the engine's stop before the shim wrapped it).
  const ENGINE_TRACK_POLL_MS = 1000;

  function engineTrackRecord(track) {
    let record = engineTracks.get(track);
    if (!record) {
      record = { streams: new Set(), upload: null };
      engineTracks.set(track, record);
      // The engine's own addEventListener, whatever the page put on the track (through
      // Reflect.apply: the protocol conformance test reads a quoted name after call as a command).
      Reflect.apply(EventTarget.prototype.addEventListener, track, ['ended', () => engineTrackEnded(track)]);
    }
    return record;
  }

  // The engine track was stopped or ended: so is its upload (and the server's track), and
  // its streams may have become inactive.
  function engineTrackEnded(track) {
    const record = engineTracks.get(track);
    if (!record) return;
    if (record.upload) record.upload.stop();
    for (const stream of record.streams) stream[TRACK_ENDED]();
  }

  function engineTrackUpload(track) {
    const record = engineTrackRecord(track);
    if (!record.upload) {
      const upload = record.upload = uploadCapture(track, { owned: false });
      if (track.readyState === 'ended') {
        upload.stop();
        return upload;
      }
      const poll = window.setInterval(() => {
        if (upload.readyState === 'ended') {
          window.clearInterval(poll);
        } else if (track.readyState === 'ended') {
          window.clearInterval(poll);
          engineTrackEnded(track);
        }
      }, ENGINE_TRACK_POLL_MS);
    }
    return record.upload;
  }

  // What the bridge knows a sender's track by: ours, or an engine track's upload.
  function trackHandle(track) {
    if (track === null) return null;
    return (MediaStreamTrack[HAS_BRAND](track) ? track : engineTrackUpload(track))[GUID];
  }

  // The streams of ours a track is in, and the native track that plays it.
  function streamsOf(track) {
    return MediaStreamTrack[HAS_BRAND](track) ? track[STREAMS] : engineTrackRecord(track).streams;
  }

  function nativeTrackOf(track) {
    return MediaStreamTrack[HAS_BRAND](track) ? track[NATIVE_TRACK]() : track;
  }

  // An engine track's stop() fires no event: the stop of its prototype tells us, also when
  // a page's own stop on the track calls the one it found there.
  function installEngineTracks(window) {
    if (!firstInstall(window, installEngineTracks)) {
      return;
    }
    const engine = engineMedia();
    const descriptor = engine && engine.trackPrototype && Object.getOwnPropertyDescriptor(engine.trackPrototype, 'stop');
    if (!descriptor || typeof descriptor.value !== 'function') {
      return;
    }
    const engineStop = descriptor.value;
    descriptor.value = {
      stop() {
        engineStop.call(this);
        engineTrackEnded(this);
      },
    }.stop;
    Object.defineProperty(engine.trackPrototype, 'stop', descriptor);
  }

  class MediaStreamTrackEvent extends Event {
    #track;
    static [HAS_BRAND](object) { return #track in object; }

    constructor(type, eventInitDict) {
      if (!eventInitDict || !(eventInitDict.track instanceof MediaStreamTrack)) {
        throw new TypeError("Failed to construct 'MediaStreamTrackEvent': required member track is not a MediaStreamTrack.");
      }
      super(type, eventInitDict);
      this.#track = eventInitDict.track;
    }

    get track() { return this.#track; }
  }

  // The 2013 addstream/removestream event.
  class MediaStreamEvent extends Event {
    #stream;
    static [HAS_BRAND](object) { return #stream in object; }

    constructor(type, eventInitDict = {}) {
      super(type, eventInitDict);
      this.#stream = eventInitDict.stream || null;
    }

    get stream() { return this.#stream; }
  }

  class OverconstrainedError extends DOMException {
    #constraint;
    static [HAS_BRAND](object) { return #constraint in object; }

    constructor(constraint, message = '') {
      super(message, 'OverconstrainedError');
      this.#constraint = String(constraint);
    }

    get constraint() { return this.#constraint; }
  }

  function installMediaStreams(window) {
    if (!firstInstall(window, installMediaStreams)) {
      return;
    }
    defineEventHandlers(MediaStreamTrack.prototype, TRACK_EVENTS);
    defineEventHandlers(MediaStream.prototype, STREAM_EVENTS);
    installGlobal(window, withPrefixes('MediaStream', ['webkit']), exposeInterface(MediaStream, 'MediaStream'));
    installGlobal(window, ['MediaStreamTrack'], exposeInterface(MediaStreamTrack, 'MediaStreamTrack', { constructor: 0 }));
    installGlobal(window, ['MediaStreamTrackEvent'], exposeInterface(MediaStreamTrackEvent, 'MediaStreamTrackEvent'));
    installGlobal(window, ['MediaStreamEvent'], exposeInterface(MediaStreamEvent, 'MediaStreamEvent'));
    installGlobal(window, ['OverconstrainedError'], exposeInterface(OverconstrainedError, 'OverconstrainedError'));
  }

  // --- playback without MediaStream: Media Source Extensions ----------------------

  // An engine without MediaStream (WPE) has no native track to give a media element, but
  // its elements play what MSE feeds them. Such an element plays a MediaSource fed with
  // the live WebM stream the server makes of one of the stream's tracks (protocol.toml:
  // render's `webm` format), so that the element's own play(), pause(), muted and volume
  // work as the page expects: its video track or, without one, its audio. The audio of a
  // stream with video plays through WebAudio at the element's volume while it plays
  // (ElementAudio): WPE's pipeline stalls again and again on a live Vorbis SourceBuffer
  // beside a VP8 one. The timestamps follow the session's clock: the player starts at the
  // first buffered time and keeps near the live edge, and drops what it has played.
  const WEBM_TYPES = { video: 'video/webm; codecs="vp8"', audio: 'audio/webm; codecs="vorbis"' };
  const LIVE_EDGE_S = 0.1; // how far behind the newest frame the player is put back
  const MAX_LAG_S = 1; // behind the newest frame by more than this, the player jumps
  const KEPT_S = 5; // what is kept behind the playing position

  function playsThroughMediaSource() {
    const { MediaSource } = window;
    return Boolean(MediaSource) && Object.values(WEBM_TYPES).every((type) => MediaSource.isTypeSupported(type));
  }

  class MediaSourcePlayer {
    #element;
    #stream;
    #setSource;
    #mediaSource = null;
    #url = null;
    #unlisten = [];
    #audio = null; // the ElementAudio of a stream with video
    #rebuild = () => this.#start();

    // `setSource(url)` sets the element's own src.
    constructor(element, stream, setSource) {
      this.#element = element;
      this.#stream = stream;
      this.#setSource = setSource;
      // A remote stream may gain its other track after the page attached it.
      stream.addEventListener('addtrack', this.#rebuild);
      stream.addEventListener('removetrack', this.#rebuild);
      this.#start();
    }

    stop() {
      this.#stream.removeEventListener('addtrack', this.#rebuild);
      this.#stream.removeEventListener('removetrack', this.#rebuild);
      this.#release();
      this.#element.removeAttribute('src');
      this.#element.load();
    }

    #start() {
      this.#release();
      const mediaSource = this.#mediaSource = new window.MediaSource();
      this.#url = URL.createObjectURL(mediaSource);
      const live = (kind) => this.#stream.getTracks().find((track) => track.kind === kind && track.readyState === 'live');
      const video = live('video');
      const audio = live('audio');
      if (video && audio) this.#audio = new ElementAudio(this.#element, audio);
      mediaSource.addEventListener('sourceopen', () => {
        if (mediaSource === this.#mediaSource && (video || audio)) this.#feed(mediaSource, video || audio);
      }, { once: true });
      this.#setSource(this.#url);
    }

    #feed(mediaSource, track) {
      const buffer = mediaSource.addSourceBuffer(WEBM_TYPES[track.kind]);
      const queue = [];
      const appendNext = () => {
        if (buffer.updating || mediaSource.readyState !== 'open') return;
        if (queue.length) {
          buffer.appendBuffer(queue.shift());
        } else {
          this.#keepLive(buffer);
        }
      };
      buffer.addEventListener('updateend', appendNext);
      this.#unlisten.push(track[LISTEN_PLAYBACK]('webm', (params) => {
        queue.push(params.data);
        appendNext();
      }));
    }

    // The player keeps within the element's newest buffered range, near its end (the
    // element's ranges, not the buffer's: the element stalls at a gap, which they show).
    #keepLive(buffer) {
      const element = this.#element;
      const playable = element.buffered;
      if (playable.length) {
        const start = playable.start(playable.length - 1);
        const end = playable.end(playable.length - 1);
        if (element.currentTime < start || end - element.currentTime > MAX_LAG_S) {
          element.currentTime = Math.max(start, end - LIVE_EDGE_S);
        }
      }
      const held = buffer.buffered;
      if (held.length && element.currentTime - held.start(0) > 2 * KEPT_S) {
        buffer.remove(held.start(0), element.currentTime - KEPT_S);
      }
    }

    #release() {
      this.#unlisten.forEach((unlisten) => unlisten());
      this.#unlisten = [];
      if (this.#audio) this.#audio.stop();
      this.#audio = null;
      if (this.#url) URL.revokeObjectURL(this.#url);
      this.#url = null;
      this.#mediaSource = null;
    }
  }

  // A track played through WebAudio at its element's volume, silent while the element is
  // paused or muted.
  class ElementAudio {
    #element;
    #gain;
    #source;
    #follow = () => {
      const element = this.#element;
      this.#gain.gain.value = element.muted || element.paused ? 0 : element.volume;
    };

    constructor(element, track) {
      this.#element = element;
      const context = playbackAudio();
      this.#gain = context.createGain();
      this.#gain.connect(context.destination);
      this.#source = trackAudioSource(context, track);
      this.#source.output.connect(this.#gain);
      for (const type of ELEMENT_STATE_EVENTS) element.addEventListener(type, this.#follow);
      this.#follow();
    }

    stop() {
      for (const type of ELEMENT_STATE_EVENTS) this.#element.removeEventListener(type, this.#follow);
      this.#source.stop();
      this.#gain.disconnect();
    }
  }
  const ELEMENT_STATE_EVENTS = ['play', 'playing', 'pause', 'volumechange', 'emptied'];

  // An AudioContext without createMediaStreamSource (WPE) gets one for our streams: the
  // stream's first audio track, through the playback worklet in that context.
  function playedMediaStreamSource(context, mediaStream) {
    if (!(mediaStream instanceof MediaStream)) {
      throw new TypeError("Failed to execute 'createMediaStreamSource' on 'AudioContext': parameter 1 is not of type 'MediaStream'.");
    }
    const track = mediaStream.getAudioTracks()[0];
    if (!track) {
      throw makeError('InvalidStateError', 'MediaStream has no audio track');
    }
    return trackAudioSource(context, track).output;
  }

  // Autoplay: an engine keeps an AudioContext made before any user gesture suspended (its
  // resume() refused), so our streams' audio stays silent where a native element's would
  // start with the gesture. The page's first gestures resume the playback context.
  const GESTURES = ['pointerdown', 'mousedown', 'keydown', 'touchend'];
  function installAudioUnlock(window) {
    if (!firstInstall(window, installAudioUnlock) || !window.AudioContext || !window.addEventListener) {
      return;
    }
    const resume = () => {
      if (playbackContext && playbackContext.state === 'suspended') playbackContext.resume().catch(() => {});
    };
    for (const type of GESTURES) window.addEventListener(type, resume, { capture: true, passive: true });
  }

  // Media elements and AudioContexts play our streams through their native twins; old
  // pages also use URL.createObjectURL(stream) and mozSrcObject. Each part needs its
  // engine's feature: an engine whose media elements have no srcObject (WebKit built
  // without media streams) keeps its own; one without MediaStream plays through MSE
  // (MediaSourcePlayer), and its AudioContexts read our streams through a worklet.
  function installMediaPlayback(window) {
    if (!firstInstall(window, installMediaPlayback)) {
      return;
    }
    if (window.MediaStream !== MediaStream) {
      return; // the browser's own streams are in use
    }
    const mediaElement = window.HTMLMediaElement && window.HTMLMediaElement.prototype;
    if (mediaElement && Object.getOwnPropertyDescriptor(mediaElement, 'srcObject')) {
      playInMediaElements(window, mediaElement);
    }
    if (PREFIXES.includes('webkit') && !window.webkitURL) {
      window.webkitURL = window.URL;
    }
    const audioContext = window.AudioContext && window.AudioContext.prototype;
    if (audioContext && audioContext.createMediaStreamSource) {
      const createSource = audioContext.createMediaStreamSource;
      audioContext.createMediaStreamSource = function createMediaStreamSource(mediaStream) {
        return createSource.call(this, mediaStream instanceof MediaStream ? mediaStream[NATIVE_STREAM]() : mediaStream);
      };
    } else if (audioContext && window.AudioWorkletNode) {
      audioContext.createMediaStreamSource = function createMediaStreamSource(mediaStream) {
        return playedMediaStreamSource(this, mediaStream);
      };
    }
  }

  // srcObject (and mozSrcObject) take our streams; src and URL.createObjectURL take the
  // object URLs of old pages.
  function playInMediaElements(window, proto) {
    const nativeSrcObject = Object.getOwnPropertyDescriptor(proto, 'srcObject');
    const nativeSrc = Object.getOwnPropertyDescriptor(proto, 'src');
    const playing = new WeakMap(); // element -> our MediaStream
    const players = new WeakMap(); // element -> its MediaSourcePlayer, where there is no MediaStream
    const objectUrls = new Map(); // blob: URL -> our MediaStream
    const srcObject = {
      configurable: true,
      enumerable: true,
      get() { return playing.has(this) ? playing.get(this) : nativeSrcObject.get.call(this); },
      set(value) {
        if (players.has(this)) {
          players.get(this).stop();
          players.delete(this);
        }
        if (!(value instanceof MediaStream)) {
          playing.delete(this);
          nativeSrcObject.set.call(this, value);
        } else if (engineMedia()) {
          playing.set(this, value);
          nativeSrcObject.set.call(this, value[NATIVE_STREAM]());
        } else if (playsThroughMediaSource()) {
          playing.set(this, value);
          players.set(this, new MediaSourcePlayer(this, value, (url) => nativeSrc.set.call(this, url)));
        } else {
          throw makeError('NotSupportedError', 'This browser can play a MediaStream neither natively nor through Media Source Extensions (WebM VP8 and Vorbis)');
        }
      },
    };
    for (const name of withPrefixes('srcObject', ['moz'])) {
      Object.defineProperty(proto, name, srcObject);
    }
    Object.defineProperty(proto, 'src', {
      configurable: true,
      enumerable: true,
      get() { return nativeSrc.get.call(this); },
      set(value) {
        const stream = objectUrls.get(String(value));
        if (stream) {
          // The element plays srcObject, which takes precedence over src; src keeps the URL
          // (except where a MediaSourcePlayer plays the stream through src).
          this.srcObject = stream;
          if (players.has(this)) return;
        }
        nativeSrc.set.call(this, value);
      },
    });
    const { createObjectURL, revokeObjectURL } = window.URL;
    window.URL.createObjectURL = function (object) {
      if (!(object instanceof MediaStream)) {
        return createObjectURL.call(window.URL, object);
      }
      const url = `blob:${window.location.origin}/${randomUuid()}`;
      objectUrls.set(url, object);
      return url;
    };
    window.URL.revokeObjectURL = function (url) {
      if (!objectUrls.delete(String(url))) {
        revokeObjectURL.call(window.URL, url);
      }
    };
  }

  // --- getUserMedia ------------------------------------------------------------

  const SUPPORTED_CONSTRAINTS = ['width', 'height', 'aspectRatio', 'frameRate', 'facingMode', 'resizeMode',
    'sampleRate', 'sampleSize', 'echoCancellation', 'autoGainControl', 'noiseSuppression', 'latency',
    'channelCount', 'deviceId', 'groupId'];

  function requestUserMedia(constraints) {
    if (constraints === null || typeof constraints !== 'object') {
      return Promise.reject(new TypeError("Failed to execute 'getUserMedia': The provided value is not of type 'MediaStreamConstraints'."));
    }
    const wanted = (value) => (value === undefined || value === false ? false : value);
    const audio = wanted(constraints.audio);
    const video = wanted(constraints.video);
    if (!audio && !video) {
      return Promise.reject(new TypeError("Failed to execute 'getUserMedia': At least one of audio and video must be requested"));
    }
    if (options.capture === 'browser' && nativeMediaDevices) {
      return nativeMediaDevices.getUserMedia(constraints)
        .then((captured) => new MediaStream(captured.getTracks().map((track) => uploadCapture(track))));
    }
    return getBridge().call('Session', 'getUserMedia', { audio, video })
      .then(({ tracks }) => new MediaStream(tracks.map((guid) => getBridge().objects.get(guid))));
  }

  // A server track fed with the browser's own capture: video frames as JPEG, each sent
  // once the previous one was taken; audio as 16-bit PCM, 20 ms at a time. `owned`: the
  // new track stands for the capture (getUserMedia's, capture: 'browser'), plays it and
  // stops it; an engine track's upload (engineTrackUpload) leaves the page's track alone.
  function uploadCapture(captured, { owned = true } = {}) {
    const guid = randomHandle('MediaStreamTrack');
    const track = new MediaStreamTrack(INTERNAL, guid, {
      kind: captured.kind, id: randomUuid(), label: captured.label, readyState: 'live',
      muted: false, settings: captured.getSettings(), constraints: {}, capabilities: {},
    }, owned ? captured : null);
    const live = () => track.readyState === 'live';
    getBridge().call('Session', 'uploadTrack', {
      track: guid, kind: track.kind, id: track.id, label: track.label, settings: captured.getSettings(),
    }).then(() => (captured.kind === 'video' ? uploadVideo : uploadAudio)(guid, captured, live))
      .catch((error) => console.error('rtcshim: uploading the capture failed:', error));
    return track;
  }

  function uploadVideo(guid, captured, live) {
    const video = window.document.createElement('video');
    video.muted = true;
    video.srcObject = nativeStream([captured]);
    video.play().catch(() => {});
    const canvas = window.document.createElement('canvas');
    const context = canvas.getContext('2d');
    const frameInterval = 1000 / (captured.getSettings().frameRate || 30);
    const next = () => {
      if (!live()) {
        video.srcObject = null; // lets the capture go
        return;
      }
      if (!video.videoWidth) {
        window.setTimeout(next, frameInterval);
        return;
      }
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      canvas.toBlob((blob) => {
        blob.arrayBuffer()
          .then((buffer) => getBridge().call(guid, 'pushVideo', {}, new Uint8Array(buffer)))
          .then(() => (video.requestVideoFrameCallback ? video.requestVideoFrameCallback(next)
            : window.setTimeout(next, frameInterval)))
          .catch(() => {}); // the track or the bridge is gone
      }, 'image/jpeg', 0.85);
    };
    next();
  }

  const CAPTURE_WORKLET = `
    class RtcshimCapture extends AudioWorkletProcessor {
      process(inputs) {
        if (inputs[0].length) this.port.postMessage(inputs[0][0].slice());
        return true;
      }
    }
    registerProcessor('rtcshim-capture', RtcshimCapture);`;

  function uploadAudio(guid, captured, live) {
    const { context, ready } = audioContextWith(CAPTURE_WORKLET);
    const chunk = new Int16Array(960);
    let filled = 0;
    ready.then(() => {
      const node = new window.AudioWorkletNode(context, 'rtcshim-capture');
      context.createMediaStreamSource(nativeStream([captured])).connect(node);
      node.port.onmessage = (event) => {
        if (!live()) {
          node.port.onmessage = null; // messages already queued must not close it again
          node.disconnect();
          context.close().catch(() => {});
          return;
        }
        for (const sample of event.data) {
          chunk[filled++] = Math.max(-32768, Math.min(32767, Math.round(sample * 32767)));
          if (filled === chunk.length) {
            getBridge().call(guid, 'pushAudio', { sampleRate: context.sampleRate, channels: 1 },
              new Uint8Array(chunk.slice().buffer)).catch(() => {}); // the track or the bridge is gone
            filled = 0;
          }
        }
      };
    });
  }

  class MediaDeviceInfo {
    #info;
    static [HAS_BRAND](object) { return #info in object; }

    constructor(token, info) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#info = info;
    }

    get deviceId() { return this.#info.deviceId; }
    get kind() { return this.#info.kind; }
    get label() { return this.#info.label; }
    get groupId() { return this.#info.groupId; }
    toJSON() {
      const { deviceId, kind, label, groupId } = this.#info;
      return { deviceId, kind, label, groupId };
    }
  }

  // enumerateDevices lists inputs as InputDeviceInfo, whose capabilities are those a track
  // from the device would report.
  class InputDeviceInfo extends MediaDeviceInfo {
    #capabilities;
    static [HAS_BRAND](object) { return #capabilities in object; }

    constructor(token, info) {
      super(token, info);
      this.#capabilities = info.capabilities;
    }

    getCapabilities() { return structuredClone(this.#capabilities); }
  }

  class DeviceChangeEvent extends Event {
    #devices;
    static [HAS_BRAND](object) { return #devices in object; }
    #userInsertedDevices;

    constructor(type, eventInitDict = {}) {
      super(type, eventInitDict);
      const devices = [...(eventInitDict.devices ?? [])];
      if (!devices.every((device) => device instanceof MediaDeviceInfo)) {
        throw new TypeError("Failed to construct 'DeviceChangeEvent': devices must be MediaDeviceInfo objects.");
      }
      this.#devices = Object.freeze(devices);
      // The spec leaves which devices count as user-inserted to the browser: none here.
      this.#userInsertedDevices = Object.freeze([]);
    }

    get devices() { return this.#devices; }
    get userInsertedDevices() { return this.#userInsertedDevices; }
  }

  class MediaDevices extends EventTarget {
    #created = true;
    static [HAS_BRAND](object) { return #created in object; }

    constructor(token) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
    }

    getUserMedia(constraints = {}) {
      return requestUserMedia(constraints);
    }

    enumerateDevices() {
      return getBridge().call('Session', 'enumerateDevices', {})
        .then(({ devices }) => devices.map((device) => (device.kind.endsWith('input')
          ? new InputDeviceInfo(INTERNAL, device) : new MediaDeviceInfo(INTERNAL, device))));
    }

    getSupportedConstraints() {
      return Object.fromEntries(SUPPORTED_CONSTRAINTS.map((name) => [name, true]));
    }
  }

  function installGetUserMedia(window) {
    if (!firstInstall(window, installGetUserMedia)) {
      return;
    }
    defineEventHandlers(MediaDevices.prototype, ['devicechange']);
    installGlobal(window, ['MediaDevices'], exposeInterface(MediaDevices, 'MediaDevices', { constructor: 0 }));
    installGlobal(window, ['MediaDeviceInfo'], exposeInterface(MediaDeviceInfo, 'MediaDeviceInfo', { constructor: 0 }));
    installGlobal(window, ['InputDeviceInfo'], exposeInterface(InputDeviceInfo, 'InputDeviceInfo', { constructor: 0 }));
    installGlobal(window, ['DeviceChangeEvent'], exposeInterface(DeviceChangeEvent, 'DeviceChangeEvent'));
    const mediaDevices = new MediaDevices(INTERNAL);
    installOnNavigator(window, ['mediaDevices'], { get: () => mediaDevices });
    // The 2013 callback form, under the prefixes pages looked for.
    const legacyGetUserMedia = function getUserMedia(constraints, successCallback, errorCallback) {
      settleLegacy(requestUserMedia(constraints), successCallback, errorCallback);
    };
    installOnNavigator(window, withPrefixes('getUserMedia', ALL_PREFIXES), { value: legacyGetUserMedia });
  }

  // --- transports ----------------------------------------------------------------

  function base64ToArrayBuffer(text) {
    return Uint8Array.from(atob(text), (character) => character.charCodeAt(0)).buffer;
  }

  class RTCIceCandidatePair {
    #local;
    static [HAS_BRAND](object) { return #local in object; }
    #remote;

    constructor(token, local, remote) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#local = local;
      this.#remote = remote;
    }

    get local() { return this.#local; }
    get remote() { return this.#remote; }
  }

  const ICE_TRANSPORT_EVENTS = ['statechange', 'gatheringstatechange', 'selectedcandidatepairchange'];

  // Its state arrives whole (protocol.toml: IceTransportState) through its DTLS transport.
  class RTCIceTransport extends EventTarget {
    #ice;
    static [HAS_BRAND](object) { return #ice in object; }
    #localCandidates = [];
    #remoteCandidates = [];
    #selectedPair = null;

    constructor(token, ice) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
      this[UPDATE](ice);
    }

    get role() { return this.#ice.role; }
    get component() { return 'rtp'; }
    get state() { return this.#ice.state; }
    get gatheringState() { return this.#ice.gatheringState; }
    getLocalCandidates() { return [...this.#localCandidates]; }
    getRemoteCandidates() { return [...this.#remoteCandidates]; }
    getSelectedCandidatePair() { return this.#selectedPair; }
    getLocalParameters() { return this.#ice.localParameters && { ...this.#ice.localParameters }; }
    getRemoteParameters() { return this.#ice.remoteParameters && { ...this.#ice.remoteParameters }; }

    // `change`: the whole state (initializer), or the members that changed (protocol.toml:
    // IceTransportChange).
    [UPDATE](change) {
      const previous = this.#ice;
      if (previous && previous.state === 'closed') {
        return () => {}; // closed with its peer connection: what the server sent before is stale
      }
      const ice = this.#ice = { ...previous, ...change };
      const same = (name) => previous && (!(name in change)
        || JSON.stringify(previous[name]) === JSON.stringify(change[name]));
      if (!same('localCandidates')) {
        this.#localCandidates = ice.localCandidates.map((init) => new RTCIceCandidate(init));
      }
      if (!same('remoteCandidates')) {
        this.#remoteCandidates = ice.remoteCandidates.map((init) => new RTCIceCandidate(init));
      }
      const pairChanged = !same('selectedPair');
      if (pairChanged) {
        this.#selectedPair = ice.selectedPair && new RTCIceCandidatePair(INTERNAL,
          new RTCIceCandidate(ice.selectedPair.local), new RTCIceCandidate(ice.selectedPair.remote));
      }
      const pairSelected = pairChanged && this.#selectedPair;
      return () => {
        if (previous.gatheringState !== ice.gatheringState) {
          this.dispatchEvent(new Event('gatheringstatechange'));
        }
        if (pairSelected) {
          this.dispatchEvent(new Event('selectedcandidatepairchange'));
        }
        if (previous.state !== ice.state) {
          this.dispatchEvent(new Event('statechange'));
        }
      };
    }

    [CLOSE_QUIETLY]() {
      this[UPDATE]({ ...this.#ice, state: 'closed' });
    }

    // As the peer connection's own ICE state: the server, and so the agent, is gone.
    [BRIDGE_LOST]() {
      this[UPDATE]({ ...this.#ice, state: 'failed' })();
    }
  }

  const DTLS_TRANSPORT_EVENTS = ['statechange', 'error'];

  class RTCDtlsTransport extends EventTarget {
    #state;
    static [HAS_BRAND](object) { return #state in object; }
    #iceTransport;
    #remoteCertificates;

    constructor(token, initializer) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
      this.#state = initializer.state;
      this.#remoteCertificates = initializer.remoteCertificates;
      this.#iceTransport = new RTCIceTransport(INTERNAL, initializer.ice);
    }

    get iceTransport() { return this.#iceTransport; }
    get state() { return this.#state; }
    getRemoteCertificates() { return this.#remoteCertificates.map(base64ToArrayBuffer); }

    // The bridge's events for this object (protocol.toml: DtlsTransport events).
    [EVENTS] = {};

    // Its part of the peer connection's statesChange (protocol.toml: TransportChange):
    // takes it in, and returns what fires the ICE transport's events, then its own.
    [UPDATE](change) {
      const fireIceEvents = change.ice ? this.#iceTransport[UPDATE](change.ice) : () => {};
      const fireOwnEvents = change.state ? this.#takeState(change.state, change.remoteCertificates) : () => {};
      return () => {
        fireIceEvents();
        fireOwnEvents();
      };
    }

    #takeState(state, remoteCertificates) {
      if (state === this.#state || this.#state === 'closed') {
        return () => {};
      }
      this.#state = state;
      this.#remoteCertificates = remoteCertificates;
      return () => {
        if (state === 'failed') {
          const error = new RTCError({ errorDetail: 'dtls-failure' }, 'the DTLS handshake failed');
          this.dispatchEvent(new RTCErrorEvent('error', { error }));
        }
        this.dispatchEvent(new Event('statechange'));
      };
    }

    // pc.close(): everything is closed, and no event says so.
    [CLOSE_QUIETLY]() {
      this.#state = 'closed';
      this.#iceTransport[CLOSE_QUIETLY]();
    }

    [BRIDGE_LOST]() {
      this.#iceTransport[BRIDGE_LOST]();
      this.#takeState('closed', this.#remoteCertificates)();
    }
  }

  class RTCSctpTransport extends EventTarget {
    #transport;
    static [HAS_BRAND](object) { return #transport in object; }
    #init;

    constructor(token, transport, initializer) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
      this.#transport = transport;
      this.#init = initializer;
    }

    get transport() { return this.#transport; }
    get state() { return this.#init.state; }
    get maxMessageSize() { return this.#init.maxMessageSize; }
    get maxChannels() { return this.#init.maxChannels; }

    // The bridge's events for this object (protocol.toml: SctpTransport events).
    [EVENTS] = {
      stateChange: (params) => {
        if (this.#init.state === 'closed') {
          return;
        }
        const changed = params.state !== this.#init.state;
        this.#init = { ...this.#init, ...params };
        this.#transport = getBridge().objects.get(params.transport) || this.#transport;
        if (changed) {
          this.dispatchEvent(new Event('statechange'));
        }
      },
    };

    [CLOSE_QUIETLY]() {
      this.#init = { ...this.#init, state: 'closed' };
    }

    [BRIDGE_LOST]() {
      this[EVENTS].stateChange({ state: 'closed' });
    }
  }

  function installTransports(window) {
    if (!firstInstall(window, installTransports)) {
      return;
    }
    defineEventHandlers(RTCIceTransport.prototype, ICE_TRANSPORT_EVENTS);
    defineEventHandlers(RTCDtlsTransport.prototype, DTLS_TRANSPORT_EVENTS);
    defineEventHandlers(RTCSctpTransport.prototype, ['statechange']);
    installGlobal(window, ['RTCIceCandidatePair'], exposeInterface(RTCIceCandidatePair, 'RTCIceCandidatePair', { constructor: 0 }));
    installGlobal(window, ['RTCIceTransport'], exposeInterface(RTCIceTransport, 'RTCIceTransport', { constructor: 0 }));
    installGlobal(window, ['RTCDtlsTransport'], exposeInterface(RTCDtlsTransport, 'RTCDtlsTransport', { constructor: 0 }));
    installGlobal(window, ['RTCSctpTransport'], exposeInterface(RTCSctpTransport, 'RTCSctpTransport', { constructor: 0 }));
  }

  // --- RTP: transceivers, senders, receivers ----------------------------------------

  // What aiortc (with rtcshim's telephone-event) can send and receive, as
  // RTCRtpSender/RTCRtpReceiver.getCapabilities report it. The method is synchronous and
  // static, before any socket: tests/browser/test_rtp_parameters.py checks this table
  // against the server's.
  const RTP_CAPABILITIES = {
    audio: {
      codecs: [
        { mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
        { mimeType: 'audio/G722', clockRate: 8000, channels: 1 },
        { mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 },
        { mimeType: 'audio/PCMA', clockRate: 8000, channels: 1 },
        { mimeType: 'audio/telephone-event', clockRate: 48000, channels: 1 },
        { mimeType: 'audio/telephone-event', clockRate: 8000, channels: 1 },
      ],
      headerExtensions: [
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
        { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
      ],
    },
    video: {
      codecs: [
        { mimeType: 'video/VP8', clockRate: 90000 },
        { mimeType: 'video/rtx', clockRate: 90000 },
        { mimeType: 'video/H264', clockRate: 90000,
          sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f' },
        { mimeType: 'video/H264', clockRate: 90000,
          sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' },
      ],
      headerExtensions: [
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
        { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
      ],
    },
  };

  function rtpCapabilities(kind) {
    const capabilities = RTP_CAPABILITIES[String(kind)];
    return capabilities ? structuredClone(capabilities) : null;
  }

  function sameCodec(a, b) {
    return String(a.mimeType).toLowerCase() === String(b.mimeType).toLowerCase()
      && a.clockRate === b.clockRate && (a.channels ?? null) === (b.channels ?? null)
      && (a.sdpFmtpLine ?? '') === (b.sdpFmtpLine ?? '');
  }

  // The lines of one media section, found by its mid.
  function mediaSection(description, mid) {
    if (!description || mid === null) {
      return null;
    }
    const sections = description.sdp.split(/\r?\n(?=m=)/).slice(1);
    return sections.map((section) => section.split(/\r?\n/)).find((lines) => lines.includes(`a=mid:${mid}`)) || null;
  }

  // RTCRtpParameters' negotiated part, read from a section as webrtc-pc defines it.
  function negotiatedParameters(section, kind) {
    if (!section) {
      return { headerExtensions: [], rtcp: { reducedSize: false }, codecs: [] };
    }
    const attribute = (prefix) => section.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length));
    const formats = section[0].split(' ').slice(3);
    const fmtp = new Map(attribute('a=fmtp:').map((line) => [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)]));
    const codecs = attribute('a=rtpmap:').map((line) => {
      const [payloadType, encoding] = line.split(' ');
      const [name, clockRate, channels] = encoding.split('/');
      const codec = { payloadType: Number(payloadType), mimeType: `${kind}/${name}`, clockRate: Number(clockRate) };
      if (kind === 'audio') codec.channels = Number(channels || 1);
      if (fmtp.has(payloadType)) codec.sdpFmtpLine = fmtp.get(payloadType);
      return codec;
    }).filter((codec) => formats.includes(String(codec.payloadType)));
    const headerExtensions = attribute('a=extmap:').map((line) => {
      const [id, uri] = line.split(' ');
      return { uri, id: Number(id.split('/')[0]), encrypted: false };
    });
    const cname = attribute('a=ssrc:').map((line) => line.match(/ cname:(.*)$/)).find(Boolean);
    const rtcp = { reducedSize: section.includes('a=rtcp-rsize') };
    if (cname) rtcp.cname = cname[1];
    return { headerExtensions, rtcp, codecs };
  }

  function invalidModification(message) {
    return makeError('InvalidModificationError', `Failed to execute 'setParameters' on 'RTCRtpSender': ${message}`);
  }

  const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

  class RTCRtpSender {
    #transceiver;
    static [HAS_BRAND](object) { return #transceiver in object; }
    #peerConnection;
    #track = null;
    #encoding = { active: true };
    #lastReturnedParameters = null;
    #dtmf = null;

    constructor(token, transceiver, peerConnection) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#transceiver = transceiver;
      this.#peerConnection = peerConnection;
    }

    get track() { return this.#track; }
    get transport() { return this.#transceiver[TRANSPORT]; }

    getStats() {
      return rtpStats(this.#peerConnection, this.#transceiver, 'sender');
    }

    static getCapabilities(kind) {
      return rtpCapabilities(kind);
    }

    getParameters() {
      const section = mediaSection(this.#peerConnection.currentRemoteDescription, this.#transceiver.mid);
      const local = negotiatedParameters(
        mediaSection(this.#peerConnection.currentLocalDescription, this.#transceiver.mid), this.#transceiver[KIND]);
      const parameters = {
        transactionId: randomUuid(),
        encodings: [{ ...this.#encoding }],
        ...negotiatedParameters(section, this.#transceiver[KIND]),
        rtcp: local.rtcp, // our own cname
      };
      if (this.#transceiver[KIND] === 'video') {
        parameters.encodings[0].scaleResolutionDownBy ??= 1;
      }
      // webrtc-pc: the parameters are good for setParameters until the current task ends.
      this.#lastReturnedParameters = structuredClone(parameters);
      setTimeout(() => { this.#lastReturnedParameters = null; });
      return parameters;
    }

    setParameters(parameters, setParameterOptions = {}) {
      void setParameterOptions; // its only member, encodingOptions, has nothing to tune in aiortc
      const check = this.#transceiver[CHECK_USABLE]();
      if (check) return Promise.reject(check);
      const last = this.#lastReturnedParameters;
      if (!last) {
        return Promise.reject(makeError('InvalidStateError',
          "Failed to execute 'setParameters' on 'RTCRtpSender': getParameters() needs to be called before setParameters()."));
      }
      const encodings = parameters && Array.isArray(parameters.encodings) ? parameters.encodings : null;
      if (!encodings || parameters.transactionId !== last.transactionId) {
        return Promise.reject(invalidModification('the transactionId is not that of the last getParameters().'));
      }
      if (encodings.length !== last.encodings.length) {
        return Promise.reject(invalidModification('the number of encodings cannot change.'));
      }
      for (const name of ['rtcp', 'headerExtensions', 'codecs']) {
        if (JSON.stringify(parameters[name]) !== JSON.stringify(last[name])) {
          return Promise.reject(invalidModification(`${name} is read-only.`));
        }
      }
      const [encoding] = encodings;
      if (encoding.scaleResolutionDownBy !== undefined && !(encoding.scaleResolutionDownBy >= 1)) {
        return Promise.reject(new RangeError('scaleResolutionDownBy must be at least 1.'));
      }
      if (encoding.maxFramerate !== undefined && !(encoding.maxFramerate >= 0)) {
        return Promise.reject(new RangeError('maxFramerate must not be negative.'));
      }
      const applied = { active: encoding.active === undefined ? true : Boolean(encoding.active) };
      if (encoding.maxBitrate !== undefined) {
        applied.maxBitrate = enforceRange(encoding.maxBitrate, 0xffffffff, 'maxBitrate');
      }
      this.#lastReturnedParameters = null;
      return this.#transceiver[CALL]('setParameters', { active: applied.active, maxBitrate: applied.maxBitrate ?? null })
        .then(() => { this.#encoding = applied; });
    }

    // One RTCDTMFSender for an audio sender's whole life, made on first use.
    get dtmf() {
      if (this.#transceiver[KIND] !== 'audio') return null;
      this.#dtmf ??= new RTCDTMFSender(INTERNAL, this.#transceiver, () => this.#encoding.active);
      return this.#dtmf;
    }

    replaceTrack(withTrack) {
      const track = withTrack ?? null;
      if (track !== null && !(track instanceof MediaStreamTrack)) {
        return Promise.reject(new TypeError("Failed to execute 'replaceTrack': parameter 1 is not of type 'MediaStreamTrack'."));
      }
      if (track && track.kind !== this.#transceiver[KIND]) {
        return Promise.reject(new TypeError(`A ${track.kind} track cannot replace a ${this.#transceiver[KIND]} sender's track.`));
      }
      // webrtc-pc: the rest is an operation of the connection's chain.
      return this.#peerConnection[CHAIN](async () => {
        const check = this.#transceiver[CHECK_USABLE]();
        if (check) throw check;
        this.#track = track;
        await this.#transceiver[CALL]('replaceTrack', { track: trackHandle(track) });
      });
    }

    setStreams(...streams) {
      const check = this.#transceiver[CHECK_USABLE]();
      if (check) throw check;
      this.#peerConnection[DESCRIBED_CHANGED]();
      this.#transceiver[CALL]('setStreams', { streams: streams.map((stream) => stream.id) }).catch(reportFailure('setStreams'));
    }

    // What addTrack and removeTrack change without a round trip of their own.
    [SET_TRACK](track) {
      this.#track = track;
    }
  }

  class RTCRtpReceiver {
    #track;
    static [HAS_BRAND](object) { return #track in object; }
    #transceiver;
    #peerConnection;
    #sources = { synchronization: [], contributing: [] };

    constructor(token, track, transceiver, peerConnection) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#track = track;
      this.#transceiver = transceiver;
      this.#peerConnection = peerConnection;
    }

    get track() { return this.#track; }
    get transport() { return this.#transceiver[TRANSPORT]; }

    static getCapabilities(kind) {
      return rtpCapabilities(kind);
    }

    // webrtc-pc: the sources heard from in the last 10 s, as the server last reported them.
    getSynchronizationSources() {
      return this.#recentSources(this.#sources.synchronization);
    }

    getContributingSources() {
      return this.#recentSources(this.#sources.contributing);
    }

    #recentSources(sources) {
      const now = performance.timeOrigin + performance.now();
      return sources.filter((heard) => heard.timestamp > now - 10000).map((heard) => ({ ...heard }));
    }

    [SET_SOURCES](reported) {
      const now = performance.timeOrigin + performance.now();
      const sources = (list) => list.map(({ ageMs, ...heard }) => ({ timestamp: now - ageMs, ...heard }));
      this.#sources = { synchronization: sources(reported.synchronization), contributing: sources(reported.contributing) };
    }

    getParameters() {
      return negotiatedParameters(mediaSection(this.#peerConnection.currentLocalDescription, this.#transceiver.mid),
        this.#transceiver[KIND]);
    }

    getStats() {
      return rtpStats(this.#peerConnection, this.#transceiver, 'receiver');
    }
  }

  class RTCRtpTransceiver {
    #peerConnection;
    static [HAS_BRAND](object) { return #peerConnection in object; }
    #guid;
    #kind;
    #mid;
    #direction;
    #currentDirection;
    #stopped = false;
    #usedToSend = false; // whether the sender ever sent: addTrack reuses only transceivers that never did
    #telephoneEvent = false;
    #sender;
    #receiver;
    #transport = null;

    constructor(token, peerConnection, guid, initializer, receiverTrack) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#peerConnection = peerConnection;
      this.#guid = guid;
      this.#kind = initializer.kind;
      this.#mid = initializer.mid;
      this.#direction = initializer.direction;
      this.#currentDirection = initializer.currentDirection;
      this.#sender = new RTCRtpSender(INTERNAL, this, peerConnection);
      this.#receiver = new RTCRtpReceiver(INTERNAL, receiverTrack, this, peerConnection);
      getBridge().register(guid, this);
    }

    get mid() { return this.#mid; }
    get sender() { return this.#sender; }
    get receiver() { return this.#receiver; }
    // webrtc-pc until 2020, and Chromium still: true from stop() (or the remote's
    // rejection, or close) on.
    get stopped() { return this.#stopped; }
    get direction() { return this.#direction; }
    set direction(value) {
      const direction = enumValue(value, DIRECTIONS, 'RTCRtpTransceiverDirection');
      const check = this[CHECK_USABLE]();
      if (check) throw check;
      if (direction === this.#direction) return;
      this.#direction = direction;
      this.#peerConnection[DESCRIBED_CHANGED]();
      this[CALL]('setDirection', { direction }).catch(reportFailure('setDirection'));
    }
    get currentDirection() { return this.#currentDirection; }

    setCodecPreferences(codecs) {
      const capabilities = RTP_CAPABILITIES[this.#kind].codecs;
      const preferred = [...codecs].map((codec) => {
        const known = capabilities.find((capability) => sameCodec(capability, codec));
        if (!known) {
          throw makeError('InvalidModificationError',
            `Failed to execute 'setCodecPreferences' on 'RTCRtpTransceiver': ${codec.mimeType} is not a ${this.#kind} codec this peer has.`);
        }
        return known;
      });
      this[CALL]('setCodecPreferences', { codecs: preferred }).catch(reportFailure('setCodecPreferences'));
    }

    stop() {
      if (this.#peerConnection.signalingState === 'closed') {
        throw makeError('InvalidStateError', 'The RTCPeerConnection is closed.');
      }
      if (this.#stopped) return;
      this.#stopped = true;
      this.#direction = 'stopped';
      // webrtc-pc "stop the RTCRtpTransceiver": the sender stops sending but keeps its track.
      this.#receiver.track[CLOSE_QUIETLY]();  // ended without an event, as the page asked
      this.#peerConnection[DESCRIBED_CHANGED]();
      this[CALL]('stop', {}).catch(reportFailure('stop'));
    }

    // The bridge's events for this object (protocol.toml: Transceiver events).
    [EVENTS] = {
      sources: (params) => this.#receiver[SET_SOURCES](params),
      // createOffer's offerToReceive* false took receiving away (webrtc-pc legacy extensions).
      directionChange: (params) => { this.#direction = params.direction; },
      dtmfReceived: (params) => {
        // rtcshim's own event: the digits the remote peer sent, decoded on the server.
        this.#peerConnection.dispatchEvent(new CustomEvent('rtcshimdtmf', { detail: { tone: params.tone, transceiver: this } }));
      },
    };

    get [KIND]() { return this.#kind; }

    [CALL](method, params) {
      return getBridge().call(this.#guid, method, params);
    }

    [CHECK_USABLE]() {
      if (this.#peerConnection.signalingState === 'closed') {
        return makeError('InvalidStateError', 'The RTCPeerConnection is closed.');
      }
      if (this.#stopped) {
        return makeError('InvalidStateError', 'The transceiver is stopped.');
      }
      return null;
    }

    // addTrack's changes, made here at once and told to the server by addTrack.
    [SET_DIRECTION](direction) {
      this.#direction = direction;
    }

    [NEGOTIATED](state) {
      this.#mid = state.mid;
      this.#currentDirection = state.currentDirection;
      if (state.transport !== undefined) {
        this.#transport = state.transport && getBridge().objects.get(state.transport);
      }
      this.#telephoneEvent = Boolean(state.telephoneEvent);
      if (state.currentDirection === 'sendrecv' || state.currentDirection === 'sendonly') {
        this.#usedToSend = true;
      }
      if (state.stopped) {
        this.#stopped = true;
        this.#direction = 'stopped';
      }
    }

    get [GUID]() { return this.#guid; }
    get [STOPPED]() { return this.#stopped; }
    get [USED_TO_SEND]() { return this.#usedToSend; }
    get [TRANSPORT]() { return this.#transport; }
    get [TELEPHONE_EVENT]() { return this.#telephoneEvent; }

    [BRIDGE_LOST]() {}
  }

  class RTCTrackEvent extends Event {
    #init;
    static [HAS_BRAND](object) { return #init in object; }

    constructor(type, eventInitDict) {
      if (!eventInitDict || !(eventInitDict.receiver instanceof RTCRtpReceiver)
          || !(eventInitDict.track instanceof MediaStreamTrack)
          || !(eventInitDict.transceiver instanceof RTCRtpTransceiver)) {
        throw new TypeError("Failed to construct 'RTCTrackEvent': receiver, track and transceiver are required.");
      }
      super(type, eventInitDict);
      this.#init = {
        receiver: eventInitDict.receiver, track: eventInitDict.track,
        streams: Object.freeze([...(eventInitDict.streams || [])]), transceiver: eventInitDict.transceiver,
      };
    }

    get receiver() { return this.#init.receiver; }
    get track() { return this.#init.track; }
    get streams() { return this.#init.streams; }
    get transceiver() { return this.#init.transceiver; }
  }

  function installRtp(window) {
    if (!firstInstall(window, installRtp)) {
      return;
    }
    installGlobal(window, ['RTCRtpSender'], exposeInterface(RTCRtpSender, 'RTCRtpSender', { constructor: 0, setParameters: 1 }));
    installGlobal(window, ['RTCRtpReceiver'], exposeInterface(RTCRtpReceiver, 'RTCRtpReceiver', { constructor: 0 }));
    installGlobal(window, ['RTCRtpTransceiver'], exposeInterface(RTCRtpTransceiver, 'RTCRtpTransceiver', { constructor: 0 }));
    installGlobal(window, ['RTCTrackEvent'], exposeInterface(RTCTrackEvent, 'RTCTrackEvent'));
  }

  // --- DTMF: RTCDTMFSender, RTCDTMFToneChangeEvent, createDTMFSender ---------------------

  // The server plays the schedule (it sends the RTP events, so wire timing is its own) and
  // reports each tone as it starts; the page keeps toneBuffer itself, since insertDTMF
  // changes it synchronously. A toneChange from before the page's latest insertDTMF
  // (an older generation) still fires, but leaves the newer buffer alone.

  const DTMF_TONES = /^[0-9A-D#*,]*$/i;
  const DTMF_DURATION = { min: 40, max: 6000, default: 100 };
  const DTMF_GAP = { min: 30, max: 6000, default: 70 };

  // WebIDL unsigned long (unary + throws TypeError for a BigInt or Symbol, as ToNumber
  // does), then clamped as webrtc-pc's insertDTMF says.
  function clampedMilliseconds(value, range) {
    const number = value === undefined ? range.default : +value >>> 0;
    return Math.min(range.max, Math.max(range.min, number));
  }

  // Why the transceiver's sender cannot send DTMF now (canInsertDTMF is false), or null:
  // webrtc-pc's "determine if DTMF can be sent". Like Chromium, connectionState need not
  // be "connected".
  function dtmfRefusal(transceiver, encodingActive) {
    const unusable = transceiver[CHECK_USABLE]();
    if (unusable) {
      return unusable.message;
    }
    if (transceiver.currentDirection !== 'sendrecv' && transceiver.currentDirection !== 'sendonly') {
      return `The transceiver does not send (currentDirection is ${transceiver.currentDirection}).`;
    }
    if (!encodingActive()) {
      return "The sender's encoding is not active (setParameters).";
    }
    if (!transceiver[TELEPHONE_EVENT]) {
      return 'The remote peer did not negotiate telephone-event for the audio codec.';
    }
    return null;
  }

  const DTMF_SENDER_EVENTS = ['tonechange'];

  class RTCDTMFSender extends EventTarget {
    #transceiver;
    static [HAS_BRAND](object) { return #transceiver in object; }
    #encodingActive; // () => whether the sender's [[SendEncodings]][0].active
    #guid;
    #toneBuffer = '';
    #generation = 0;

    constructor(token, transceiver, encodingActive) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      super();
      this.#transceiver = transceiver;
      this.#encodingActive = encodingActive;
      this.#guid = randomHandle('DtmfSender');
      // A closed connection or stopped transceiver has nothing left on the server to attach
      // to: then no server object, and no handle (nothing would ever dispose it).
      if (!transceiver[CHECK_USABLE]()) {
        getBridge().register(this.#guid, this);
        transceiver[CALL]('createDtmfSender', { dtmfSender: this.#guid }).catch(reportFailure('RTCDTMFSender'));
      }
    }

    get canInsertDTMF() { return dtmfRefusal(this.#transceiver, this.#encodingActive) === null; }
    get toneBuffer() { return this.#toneBuffer; }

    insertDTMF(tones, duration = undefined, interToneGap = undefined) {
      if (arguments.length < 1) {
        throw new TypeError("Failed to execute 'insertDTMF' on 'RTCDTMFSender': 1 argument required, but only 0 present.");
      }
      // WebIDL converts every argument before the method's steps run.
      const text = `${tones}`; // DOMString: a Symbol throws TypeError
      const durationMs = clampedMilliseconds(duration, DTMF_DURATION);
      const interToneGapMs = clampedMilliseconds(interToneGap, DTMF_GAP);
      const refusal = dtmfRefusal(this.#transceiver, this.#encodingActive);
      if (refusal) {
        throw makeError('InvalidStateError', `The 'canInsertDTMF' attribute is false: ${refusal}`);
      }
      if (!DTMF_TONES.test(text)) {
        throw makeError('InvalidCharacterError', `'${text}' has characters that are not DTMF tones (0-9, A-D, #, * and ',').`);
      }
      this.#toneBuffer = text.toUpperCase();
      this.#generation += 1;
      getBridge().call(this.#guid, 'insertDTMF', {
        tones: this.#toneBuffer,
        duration: durationMs,
        interToneGap: interToneGapMs,
        generation: this.#generation,
      }).catch(reportFailure('insertDTMF'));
    }

    // The bridge's events for this object (protocol.toml: DtmfSender events).
    [EVENTS] = {
      toneChange: (params) => {
        if (params.generation === this.#generation) {
          this.#toneBuffer = params.toneBuffer;
        }
        this.dispatchEvent(new RTCDTMFToneChangeEvent('tonechange', { tone: params.tone }));
      },
    };

    [BRIDGE_LOST]() {}
  }

  class RTCDTMFToneChangeEvent extends Event {
    #tone;
    static [HAS_BRAND](object) { return #tone in object; }

    constructor(type, eventInitDict = {}) {
      super(type, eventInitDict);
      this.#tone = eventInitDict.tone === undefined ? '' : String(eventInitDict.tone);
    }

    get tone() { return this.#tone; }
  }

  // The legacy pc.createDTMFSender(track): the DTMF sender of the track's sender, with
  // Chromium's errors.
  function createDTMFSender(track) {
    if (!(track instanceof MediaStreamTrack)) {
      throw new TypeError("Failed to execute 'createDTMFSender' on 'RTCPeerConnection': parameter 1 is not of type 'MediaStreamTrack'.");
    }
    if (this.signalingState === 'closed') {
      throw makeError('InvalidStateError', "The RTCPeerConnection's signalingState is 'closed'.");
    }
    if (track.kind !== 'audio') {
      throw makeError('SyntaxError', "track.kind is not 'audio'.");
    }
    const sender = this.getSenders().find((candidate) => candidate.track === track);
    if (!sender) {
      throw makeError('SyntaxError', 'No RTCRtpSender is available for the track provided.');
    }
    return sender.dtmf;
  }

  function installDtmf(window) {
    if (!firstInstall(window, installDtmf)) {
      return;
    }
    defineEventHandlers(RTCDTMFSender.prototype, DTMF_SENDER_EVENTS);
    installGlobal(window, ['RTCDTMFSender'], exposeInterface(RTCDTMFSender, 'RTCDTMFSender', { constructor: 0, insertDTMF: 1 }));
    installGlobal(window, ['RTCDTMFToneChangeEvent'], exposeInterface(RTCDTMFToneChangeEvent, 'RTCDTMFToneChangeEvent'));
    Object.defineProperty(RTCPeerConnection.prototype, 'createDTMFSender',
      { value: createDTMFSender, writable: true, enumerable: true, configurable: true });
  }

  // --- getStats: RTCStatsReport, and the 2013 report shapes ------------------------

  // The server builds W3C webrtc-stats dictionaries (server/stats.py); the page wraps them.
  // Stats are plain objects; their timestamps move from the server's clock to the page's
  // (performance.timeOrigin + performance.now(), as Chromium reports them).

  class RTCStatsReport {
    #stats;
    static [HAS_BRAND](object) { return #stats in object; }

    constructor(token, stats) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#stats = new Map(stats.map((entry) => [entry.id, entry]));
    }

    get size() { return this.#stats.size; }
    get(id) { return this.#stats.get(String(id)); }
    has(id) { return this.#stats.has(String(id)); }
    keys() { return this.#stats.keys(); }
    values() { return this.#stats.values(); }
    entries() { return this.#stats.entries(); }

    forEach(callback, thisArg = undefined) {
      if (typeof callback !== 'function') {
        throw new TypeError("Failed to execute 'forEach' on 'RTCStatsReport': The callback provided as parameter 1 is not a function.");
      }
      for (const [id, entry] of this.#stats) {
        callback.call(thisArg, entry, id, this);
      }
    }
  }

  // The server's reply as a report on the page's clock. The offset also absorbs the reply's
  // one-way delay, a few ms at most.
  function statsReport({ timestamp, stats }) {
    const offset = performance.timeOrigin + performance.now() - timestamp;
    return new RTCStatsReport(INTERNAL, stats.map((entry) => {
      const moved = { ...entry, timestamp: entry.timestamp + offset };
      if (entry.lastPacketReceivedTimestamp !== undefined) {
        moved.lastPacketReceivedTimestamp += offset;
      }
      return moved;
    }));
  }

  // webrtc-pc getStats(selector): the one sender or receiver of that track.
  function selectedTransceiver(peerConnection, selector) {
    if (selector === null || selector === undefined) {
      return [null, null];
    }
    if (!(selector instanceof MediaStreamTrack)) {
      throw new TypeError("Failed to execute 'getStats' on 'RTCPeerConnection': parameter 1 is not of type 'MediaStreamTrack'.");
    }
    const matches = [];
    for (const transceiver of peerConnection.getTransceivers().filter((each) => !each[STOPPED])) {
      if (transceiver.sender.track === selector) matches.push([transceiver, 'sender']);
      if (transceiver.receiver.track === selector) matches.push([transceiver, 'receiver']);
    }
    if (matches.length !== 1) {
      throw makeError('InvalidAccessError', matches.length
        ? 'More than one sender or receiver has the track.' : 'There is no sender or receiver for the track.');
    }
    return matches[0];
  }

  function promiseStats(peerConnection, selector) {
    try {
      const [transceiver, side] = selectedTransceiver(peerConnection, selector);
      return peerConnection[STATS](transceiver, side).then(statsReport);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // WebIDL overloads by argument type: a function first is Chrome's 2013 form
  // (success, selector?, failure?), receiving an RTCStatsResponse; a function second is
  // Firefox's 2013 form (selector, success, failure), receiving the maplike report.
  function getStatsForms(peerConnection, args) {
    if (typeof args[0] === 'function') {
      const failure = typeof args[1] === 'function' ? args[1] : args[2];
      const selector = typeof args[1] === 'function' ? null : args[1];
      const response = promiseStats(peerConnection, selector)
        .then((report) => new RTCStatsResponse(INTERNAL, report, peerConnection));
      return settleLegacy(response, args[0], failure);
    }
    if (typeof args[1] === 'function') {
      return settleLegacy(promiseStats(peerConnection, args[0]), args[1], args[2]);
    }
    return promiseStats(peerConnection, args[0]);
  }

  // webrtc-pc: RTCRtpSender/RTCRtpReceiver getStats() run the stats selection algorithm
  // (`side` of the transceiver's).
  function rtpStats(peerConnection, transceiver, side) {
    return peerConnection[STATS](transceiver, side).then(statsReport);
  }

  // Chrome's 2013 shapes, from the standard stats, in this one table: standard type ->
  // [legacy type, legacy id, the report's names and values (stat() gives them as strings)
  // from the stats, their report and the peer connection]. codec, remote-inbound-rtp,
  // remote-outbound-rtp and media-source values are folded into the ssrc reports that
  // refer to them, as Chrome's were. Chrome's units: ms for googRtt and
  // googJitterReceived, 0..32767 for audio levels, all of them integers.
  const LEGACY_CANDIDATE_TYPES = { host: 'host', srflx: 'serverreflexive', prflx: 'peerreflexive', relay: 'relayed' };
  const LEGACY_PAIR_CANDIDATE_TYPES = { host: 'local', srflx: 'stun', prflx: 'prflx', relay: 'relay' };
  const legacyId = {
    'candidate-pair': (id) => `Conn-${id}`,
    'local-candidate': (id) => `Cand-${id}`,
    'remote-candidate': (id) => `Cand-${id}`,
    certificate: (id) => `googCertificate_${id}`,
    transport: (id) => `Channel-${id}`,
  };
  const legacyCandidate = (stats) => ({
    ipAddress: stats.address, portNumber: stats.port, transport: stats.protocol,
    candidateType: LEGACY_CANDIDATE_TYPES[stats.candidateType], priority: stats.priority,
  });
  const codecName = (codec) => codec && codec.mimeType.split('/')[1];
  const milliseconds = (seconds) => (seconds === undefined ? undefined : Math.round(seconds * 1000));
  const legacyAudioLevel = (level) => (level === undefined ? undefined : Math.round(level * 32767));
  const LEGACY_STATS = {
    'peer-connection': ['googLibjingleSession', () => 'googLibjingleSession', (stats, report, peerConnection) => ({
      googInitiator: peerConnection[INITIAL_OFFERER],
    })],
    transport: ['googComponent', (stats) => legacyId.transport(stats.id), (stats) => ({
      selectedCandidatePairId: stats.selectedCandidatePairId && legacyId['candidate-pair'](stats.selectedCandidatePairId),
      localCertificateId: stats.localCertificateId && legacyId.certificate(stats.localCertificateId),
      remoteCertificateId: stats.remoteCertificateId && legacyId.certificate(stats.remoteCertificateId),
      dtlsCipher: stats.dtlsCipher, srtpCipher: stats.srtpCipher,
    })],
    'candidate-pair': ['googCandidatePair', (stats) => legacyId['candidate-pair'](stats.id), (stats, report) => {
      const local = report.get(stats.localCandidateId);
      const remote = report.get(stats.remoteCandidateId);
      const transport = report.get(stats.transportId);
      return {
        googActiveConnection: Boolean(transport && transport.selectedCandidatePairId === stats.id),
        bytesSent: stats.bytesSent, bytesReceived: stats.bytesReceived,
        packetsSent: stats.packetsSent, packetsReceived: stats.packetsReceived,
        googLocalAddress: `${local.address}:${local.port}`, googRemoteAddress: `${remote.address}:${remote.port}`,
        googLocalCandidateType: LEGACY_PAIR_CANDIDATE_TYPES[local.candidateType],
        googRemoteCandidateType: LEGACY_PAIR_CANDIDATE_TYPES[remote.candidateType],
        googTransportType: local.protocol, googWritable: stats.writable, googReadable: stats.state === 'succeeded',
        googRtt: milliseconds(stats.currentRoundTripTime),
        googChannelId: legacyId.transport(stats.transportId),
        localCandidateId: legacyId['local-candidate'](stats.localCandidateId),
        remoteCandidateId: legacyId['remote-candidate'](stats.remoteCandidateId),
      };
    }],
    'local-candidate': ['localcandidate', (stats) => legacyId['local-candidate'](stats.id), legacyCandidate],
    'remote-candidate': ['remotecandidate', (stats) => legacyId['remote-candidate'](stats.id), legacyCandidate],
    certificate: ['googCertificate', (stats) => legacyId.certificate(stats.id), (stats) => ({
      googFingerprint: stats.fingerprint, googFingerprintAlgorithm: stats.fingerprintAlgorithm,
      googDerBase64: stats.base64Certificate,
    })],
    'outbound-rtp': ['ssrc', (stats) => `ssrc_${stats.ssrc}_send`, (stats, report) => {
      const source = report.get(stats.mediaSourceId) || {};
      const remote = report.get(stats.remoteId) || {};
      return {
        ssrc: stats.ssrc, mediaType: stats.kind, googTrackId: source.trackIdentifier,
        googCodecName: codecName(report.get(stats.codecId)), transportId: legacyId.transport(stats.transportId),
        bytesSent: stats.bytesSent, packetsSent: stats.packetsSent, packetsLost: remote.packetsLost,
        googRtt: milliseconds(remote.roundTripTime), googJitterReceived: milliseconds(remote.jitter),
        googFrameWidthSent: stats.frameWidth, googFrameHeightSent: stats.frameHeight,
        googFrameWidthInput: source.width, googFrameHeightInput: source.height,
        googFrameRateInput: source.framesPerSecond, googFrameRateSent: stats.framesPerSecond,
        framesEncoded: stats.framesEncoded, googNacksReceived: stats.nackCount, googPlisReceived: stats.pliCount,
        googFirsReceived: stats.firCount, audioInputLevel: legacyAudioLevel(source.audioLevel),
      };
    }],
    'inbound-rtp': ['ssrc', (stats) => `ssrc_${stats.ssrc}_recv`, (stats, report) => ({
      ssrc: stats.ssrc, mediaType: stats.kind, googTrackId: stats.trackIdentifier,
      googCodecName: codecName(report.get(stats.codecId)), transportId: legacyId.transport(stats.transportId),
      bytesReceived: stats.bytesReceived, packetsReceived: stats.packetsReceived, packetsLost: stats.packetsLost,
      googJitterReceived: milliseconds(stats.jitter),
      googFrameWidthReceived: stats.frameWidth, googFrameHeightReceived: stats.frameHeight,
      // aiortc decodes every frame it assembles: one rate for both.
      googFrameRateReceived: stats.framesPerSecond, googFrameRateDecoded: stats.framesPerSecond,
      framesDecoded: stats.framesDecoded, googNacksSent: stats.nackCount, googPlisSent: stats.pliCount,
      googFirsSent: stats.firCount, audioOutputLevel: legacyAudioLevel(stats.audioLevel),
    })],
    'data-channel': ['datachannel', (stats) => `datachannel_${stats.id}`, (stats) => ({
      label: stats.label, protocol: stats.protocol, datachannelid: stats.dataChannelIdentifier, state: stats.state,
    })],
  };

  // Chrome's bandwidth report ("bweforvideo"): in every whole report of an open connection,
  // with 0 where it had no estimate yet (statscollector.cc, ExtractBweInfo). Its values are
  // the selected pairs' estimates (aiortc's REMBs) and the video encoders' targets.
  function legacyBandwidth(report) {
    const total = (type, name, filter = () => true) => [...report.values()]
      .filter((stats) => stats.type === type && filter(stats))
      .reduce((sum, stats) => sum + (stats[name] || 0), 0);
    return {
      googAvailableSendBandwidth: total('candidate-pair', 'availableOutgoingBitrate'),
      googAvailableReceiveBandwidth: total('candidate-pair', 'availableIncomingBitrate'),
      googTargetEncBitrate: total('outbound-rtp', 'targetBitrate', (stats) => stats.kind === 'video'),
    };
  }

  class RTCLegacyStatsReport {
    #id;
    static [HAS_BRAND](object) { return #id in object; }
    #type;
    #timestamp;
    #names;

    constructor(token, id, type, timestamp, names) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#id = id;
      this.#type = type;
      this.#timestamp = new Date(timestamp);
      // Values a report lacks are left out, as Chrome left them.
      this.#names = new Map(Object.entries(names).filter(([, value]) => value !== undefined && value !== null)
        .map(([name, value]) => [name, String(value)]));
    }

    get id() { return this.#id; }
    get type() { return this.#type; }
    get timestamp() { return this.#timestamp; }
    // Chrome's first reports kept their values under `local` (and `remote`).
    get local() { return this; }
    names() { return [...this.#names.keys()]; }
    stat(name) { return this.#names.has(String(name)) ? this.#names.get(String(name)) : ''; }
  }

  class RTCStatsResponse {
    #reports;
    static [HAS_BRAND](object) { return #reports in object; }

    constructor(token, report, peerConnection) {
      if (token !== INTERNAL) {
        throw new TypeError('Illegal constructor');
      }
      this.#reports = [];
      for (const stats of report.values()) {
        if (stats.type in LEGACY_STATS) {
          const [type, id, names] = LEGACY_STATS[stats.type];
          this.#reports.push(new RTCLegacyStatsReport(INTERNAL, id(stats), type, stats.timestamp,
            names(stats, report, peerConnection)));
        }
      }
      // Only in a whole report (Chrome's for one track had none), which has the session's stats.
      const session = [...report.values()].find((stats) => stats.type === 'peer-connection');
      if (session && peerConnection.signalingState !== 'closed') {
        this.#reports.push(new RTCLegacyStatsReport(INTERNAL, 'bweforvideo', 'VideoBwe', session.timestamp,
          legacyBandwidth(report)));
      }
      const tracks = new Set([...report.values()].map((stats) => stats.trackIdentifier).filter(Boolean));
      for (const track of tracks) {
        this.#reports.push(new RTCLegacyStatsReport(INTERNAL, `googTrack_${track}`, 'googTrack',
          performance.timeOrigin + performance.now(), { googTrackId: track }));
      }
    }

    result() { return [...this.#reports]; }
    namedItem(id) { return this.#reports.find((report) => report.id === String(id)) || null; }
  }

  function installStats(window) {
    if (!firstInstall(window, installStats)) {
      return;
    }
    installGlobal(window, ['RTCStatsReport'], exposeInterface(RTCStatsReport, 'RTCStatsReport', {
      constructor: 0, get: 1, has: 1, forEach: 1, keys: 0, values: 0, entries: 0,
    }));
    // readonly maplike: iterating the report iterates its entries.
    Object.defineProperty(RTCStatsReport.prototype, Symbol.iterator, {
      value: RTCStatsReport.prototype.entries, writable: true, configurable: true,
    });
    installGlobal(window, ['RTCStatsResponse'], exposeInterface(RTCStatsResponse, 'RTCStatsResponse', {
      constructor: 0, result: 0, namedItem: 1,
    }));
    installGlobal(window, ['RTCLegacyStatsReport'], exposeInterface(RTCLegacyStatsReport, 'RTCLegacyStatsReport', {
      constructor: 0, names: 0, stat: 1,
    }));
  }

  // --- legacy callbacks (over our promise methods only, never a native object's) ---

  // Call a promise method the 2013 way: success(result) / failure(error), resolving
  // undefined. A missing failure callback (allowed in 2013) reports to the console.
  function sessionDescription(init) {
    return new RTCSessionDescription(init);
  }

  function settleLegacy(promise, successCallback, failureCallback) {
    return promise.then(
      (result) => { if (typeof successCallback === 'function') successCallback(result); },
      (error) => {
        if (typeof failureCallback === 'function') failureCallback(error);
        else console.error('rtcshim: a legacy call failed and gave no failure callback:', error);
      });
  }

  // The W3C "legacy interface extensions" and the 2013 forms modern browsers dropped:
  // createOffer(success), createOffer(success, null, constraints), and so on. Over our
  // RTCPeerConnection's promise methods, also in 'missing' mode (where the page keeps the
  // browser's own).
  function installLegacyCallbacks(window) {
    if (!firstInstall(window, installLegacyCallbacks)) {
      return;
    }
    const proto = RTCPeerConnection.prototype;
    const forms = {
      // name: [callback overload test, how to call the promise form, .length]
      // The callbacks of createOffer and createAnswer got an RTCSessionDescription, as Chrome's do.
      createOffer: [(args) => typeof args[0] === 'function', (fn, args) => fn(args[2]).then(sessionDescription), 0],
      createAnswer: [(args) => typeof args[0] === 'function', (fn, args) => fn(args[2]).then(sessionDescription), 0],
      setLocalDescription: [(args) => args.length >= 2, (fn, args) => fn(args[0]), 0, 1],
      setRemoteDescription: [(args) => args.length >= 2, (fn, args) => fn(args[0]), 1, 1],
      addIceCandidate: [(args) => args.length >= 2, (fn, args) => fn(args[0]), 0, 1],
    };
    for (const [name, [isLegacy, callPromiseForm, length, successIndex = 0]] of Object.entries(forms)) {
      const promiseForm = proto[name];
      const method = {
        [name](...args) {
          if (!isLegacy(args)) {
            return promiseForm.apply(this, args);
          }
          const promise = callPromiseForm((arg) => promiseForm.call(this, arg), args);
          return settleLegacy(promise, args[successIndex], args[successIndex + 1]);
        },
      }[name];
      Object.defineProperty(method, 'length', { value: length });
      Object.defineProperty(proto, name, { value: method, writable: true, enumerable: true, configurable: true });
    }
  }

  // --- the install sequence --------------------------------------------------------

  // Order matters: rtcshim.native must exist before anything is replaced; media playback
  // patches media elements only once our MediaStream is the page's; whatever adds to
  // RTCPeerConnection (DTMF, certificates, identity, the legacy callback forms over the
  // promise methods) runs before installPeerConnection gives its members their WebIDL
  // binding and publishes the constructor.
  installRtcshim(window);
  installDescriptions(window);
  installEvents(window);
  installMediaStreams(window);
  installEngineTracks(window);
  installGetUserMedia(window);
  installMediaPlayback(window);
  installAudioUnlock(window);
  installTransports(window);
  installStats(window);
  installRtp(window);
  installDtmf(window);
  installDataChannel(window);
  installCertificates(window);
  installIdentity(window);
  installLegacyCallbacks(window);
  installPeerConnection(window);
})(window);
