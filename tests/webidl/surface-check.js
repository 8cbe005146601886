// Run in a page by tests/browser/test_webidl_surface.py: compares the page's globals with
// the IDL model that extract.mjs prints, the way WebIDL's JavaScript binding defines
// them, and resolves to one line per difference ("Interface.member: what differs").
async (model) => {
  const differences = [];
  const differ = (where, what) => differences.push(`${where}: ${what}`);
  const MAPLIKE_READONLY = { entries: 0, forEach: 1, get: 1, has: 1, keys: 0, values: 0 };
  const foreign = {};

  // A brand check throws TypeError; in a promise-returning member it rejects with one.
  async function brandCheckFails(where, fn, isPromise) {
    let result;
    try {
      result = fn.call(foreign);
    } catch (error) {
      if (isPromise) return differ(where, `threw ${error.name} on a foreign object instead of rejecting`);
      if (!(error instanceof TypeError)) return differ(where, `threw ${error.name} on a foreign object, not TypeError`);
      return;
    }
    if (!isPromise) return differ(where, 'no brand check (works on a foreign object)');
    if (!(result instanceof Promise)) return differ(where, 'returned no promise on a foreign object');
    try {
      await result;
      differ(where, 'no brand check (resolved on a foreign object)');
    } catch (error) {
      if (!(error instanceof TypeError)) differ(where, `rejected with ${error.name} on a foreign object, not TypeError`);
    }
  }

  async function checkOperation(where, holder, name, length, isPromise, branded) {
    const descriptor = Object.getOwnPropertyDescriptor(holder, name);
    if (!descriptor) return differ(where, 'missing operation');
    if (typeof descriptor.value !== 'function') return differ(where, 'not an operation');
    if (!descriptor.writable || !descriptor.enumerable || !descriptor.configurable) {
      differ(where, 'not a writable, enumerable, configurable property');
    }
    if (descriptor.value.name !== name) differ(where, `name is "${descriptor.value.name}"`);
    if (descriptor.value.length !== length) differ(where, `length is ${descriptor.value.length}, the IDL says ${length}`);
    if (branded) await brandCheckFails(where, descriptor.value, isPromise);
  }

  async function checkAttribute(where, holder, name, member) {
    const descriptor = Object.getOwnPropertyDescriptor(holder, name);
    if (!descriptor) return differ(where, 'missing attribute');
    if (!descriptor.get) return differ(where, 'not an accessor property');
    if (!descriptor.enumerable || !descriptor.configurable) differ(where, 'not enumerable and configurable');
    if (descriptor.get.name !== `get ${name}`) differ(where, `getter is named "${descriptor.get.name}"`);
    if (member.readonly && descriptor.set) differ(where, 'has a setter, the IDL says readonly');
    if (!member.readonly && !descriptor.set) differ(where, 'has no setter');
    if (descriptor.set && descriptor.set.name !== `set ${name}`) differ(where, `setter is named "${descriptor.set.name}"`);
    if (!member.static) {
      await brandCheckFails(`${where} getter`, descriptor.get, member.promise);
      if (descriptor.set) await brandCheckFails(`${where} setter`, descriptor.set, false);
    }
  }

  async function checkMembers(name, definition, interfaceObject) {
    const proto = interfaceObject.prototype;
    for (const [memberName, member] of Object.entries(definition.members)) {
      const where = `${name}.${memberName}`;
      const holder = member.static ? interfaceObject : proto;
      if (member.kind === 'attribute') {
        await checkAttribute(where, holder, memberName, member);
      } else {
        await checkOperation(where, holder, memberName, member.length, member.promise, !member.static);
      }
    }
    if (definition.maplike) {
      await checkAttribute(`${name}.size`, proto, 'size', { readonly: true });
      for (const [operation, length] of Object.entries(MAPLIKE_READONLY)) {
        await checkOperation(`${name}.${operation}`, proto, operation, length, false, true);
      }
      if (proto[Symbol.iterator] !== proto.entries) differ(`${name}[Symbol.iterator]`, 'is not entries');
    }
  }

  function checkNoExtras(name, definition, interfaceObject) {
    const declared = new Set(Object.keys(definition.members));
    if (definition.maplike) ['size', ...Object.keys(MAPLIKE_READONLY)].forEach((key) => declared.add(key));
    for (const key of Object.getOwnPropertyNames(interfaceObject.prototype)) {
      if (key !== 'constructor' && !declared.has(key)) differ(`${name}.${key}`, 'not in the IDL');
    }
    for (const key of Object.getOwnPropertyNames(interfaceObject)) {
      if (!['length', 'name', 'prototype'].includes(key) && !declared.has(key)) differ(`${name}.${key}`, 'static, not in the IDL');
    }
  }

  function checkInterfaceObject(name, definition, interfaceObject) {
    const property = Object.getOwnPropertyDescriptor(window, name);
    if (!property.writable || property.enumerable || !property.configurable) {
      differ(name, 'window property is not writable, non-enumerable and configurable');
    }
    if (interfaceObject.name !== name) differ(name, `name is "${interfaceObject.name}"`);
    const length = definition.constructorLength ?? 0;
    if (interfaceObject.length !== length) differ(name, `length is ${interfaceObject.length}, the IDL says ${length}`);
    if (definition.constructorLength === null) {
      try {
        new interfaceObject(); // eslint-disable-line no-new
        differ(name, 'constructible, the IDL has no constructor');
      } catch (error) {
        if (!(error instanceof TypeError)) differ(name, `new threw ${error.name}, not TypeError`);
      }
    }
    const parent = definition.inherits ? window[definition.inherits] : null;
    if (Object.getPrototypeOf(interfaceObject.prototype) !== (parent ? parent.prototype : Object.prototype)) {
      differ(name, `prototype does not inherit from ${definition.inherits || 'Object'}.prototype`);
    }
    if (Object.getPrototypeOf(interfaceObject) !== (parent || Function.prototype)) {
      differ(name, `interface object does not inherit from ${definition.inherits || 'Function.prototype'}`);
    }
    const tag = Object.getOwnPropertyDescriptor(interfaceObject.prototype, Symbol.toStringTag);
    if (!tag || tag.value !== name || tag.writable || tag.enumerable || !tag.configurable) {
      differ(name, 'Symbol.toStringTag is not the interface name (read-only, non-enumerable, configurable)');
    }
  }

  for (const [name, definition] of Object.entries(model)) {
    const interfaceObject = window[name];
    if (typeof interfaceObject !== 'function') {
      differ(name, 'no interface object');
      continue;
    }
    if (definition.owned) {
      checkInterfaceObject(name, definition, interfaceObject);
      checkNoExtras(name, definition, interfaceObject);
    }
    await checkMembers(name, definition, interfaceObject);
  }
  // A WebRTC or media capture global the IDL does not know is never checked at all.
  for (const name of Object.getOwnPropertyNames(window)) {
    if (/^(RTC|MediaStream)/.test(name) && !(name in model)) differ(name, 'a global the IDL does not have');
  }
  return differences;
}
